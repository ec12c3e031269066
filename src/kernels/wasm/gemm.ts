/**
 * Single-precision GEMM in WebAssembly SIMD128, after the Goto/BLIS scheme: `C[M,N] = A[M,K] ·
 * B[K,N]` with A and B read through arbitrary element strides (so transposed operands are
 * packed in place, never copied first), packed into panels — A into MR-row panels, B into
 * NR-column panels, zero-padded at the edges — and multiplied by an MR×NR register-blocked
 * microkernel (`v128.load32_splat` of A, `v128.load` of B, f32x4 mul + add into MR·NR/4
 * accumulators).
 *
 * The reduction order of every output element is fixed: K in blocks of KC in ascending order,
 * each block summed k = 0..KC-1 in registers and then added to C. Partitioning M or N (edge tiles
 * and threads) never changes it, so results are bit-identical for any tiling or thread count.
 */
import { F32, Fn, I32, type Local, ModuleBuilder, V128 } from "./emitter.js"
import type { MemoryImport } from "./emitter.js"

/** Blocking of the GEMM: microkernel MR × (4·NRV), and the K, M, N blocks. */
export interface GemmConfig {
  readonly MR: number
  readonly NRV: number
  readonly KC: number
  readonly MC: number
  readonly NC: number
}

/** The blocking used (chosen by measurement on the bench machine, see BENCHMARKS.md). */
export const GEMM: GemmConfig = { MR: 4, NRV: 3, KC: 256, MC: 96, NC: 1020 }

/** Scratch bytes one gemm call needs for its packed panels and edge tile. */
export const scratchBytes = (c: GemmConfig = GEMM): { ap: number; bp: number; tmp: number } => ({
  ap: 4 * c.KC * Math.ceil(c.MC / c.MR) * c.MR,
  bp: 4 * c.KC * Math.ceil(c.NC / (4 * c.NRV)) * 4 * c.NRV,
  tmp: 4 * c.MR * 4 * c.NRV
})

/** i8x16.shuffle lanes of a 4×4 f32 transpose: interleave 32-bit lanes, then 64-bit halves. */
const lanes32 = (l: number[]): number[] => l.flatMap((x) => [4 * x, 4 * x + 1, 4 * x + 2, 4 * x + 3])
const LO32 = lanes32([0, 4, 1, 5])
const HI32 = lanes32([2, 6, 3, 7])
const LO64 = lanes32([0, 1, 4, 5])
const HI64 = lanes32([2, 3, 6, 7])
const shuffle = (f: Fn, a: Local, b: Local, lanes: number[], out: Local): void => {
  f.get(a).get(b).shuffle(lanes).set(out)
}

/**
 * `packA(A, rsA, csA, mc, kc, Ap)`: rows [0, mc) and columns [0, kc) of the strided A (byte
 * strides) into MR-row panels: `Ap[panel][k][r]`, zero past row mc.
 */
const packA = (mb: ModuleBuilder, { MR, NRV }: GemmConfig): void => {
  const NR = 4 * NRV
  const { fn: f } = mb.add("packA", [I32, I32, I32, I32, I32, I32], [])
  const [A, rsA, csA, mc, kc, Ap] = f.paramList(6)
  const ir = f.local(I32)
  const k = f.local(I32)
  const src = f.local(I32)
  const rows = f.local(I32)
  const dst = f.local(I32)
  const rowsV = [0, 1, 2, 3].map(() => f.local(V128))
  const t = [0, 1, 2, 3].map(() => f.local(V128))
  f.get(Ap).set(dst)
  f.for(ir, 0, () => f.get(mc), MR, () => {
    f.get(mc).get(ir).op("i32.sub").set(rows)
    f.get(rows).i32(MR).op("i32.ge_s")
    f.if(
      () => {
        const scalarK = (from: number | (() => void)): void => {
          f.for(k, from, () => f.get(kc), 1, () => {
            // src = A + ir*rsA + k*csA
            f.get(A).get(ir).get(rsA).op("i32.mul").op("i32.add").get(k).get(csA).op("i32.mul").op("i32.add").set(src)
            for (let r = 0; r < MR; r++) {
              f.get(dst).get(src)
              if (r > 0) f.get(rsA).i32(r).op("i32.mul").op("i32.add")
              f.f32load().f32store(4 * r)
            }
            f.get(dst).i32(4 * MR).op("i32.add").set(dst)
          })
        }
        if (MR !== 4) return scalarK(0)
        // columns contiguous (a transposed operand): each k's four rows are one v128
        f.get(rsA).i32(4).op("i32.eq")
        f.if(
          () => {
            f.for(k, 0, () => f.get(kc), 1, () => {
              f.get(dst).get(A).get(ir).i32(4).op("i32.mul").op("i32.add").get(k).get(csA).op("i32.mul").op("i32.add").v128load().v128store()
              f.get(dst).i32(16).op("i32.add").set(dst)
            })
          },
          () => {
            // rows contiguous: four k at a time, a 4×4 transpose in registers, the rest one by one
            f.get(csA).i32(4).op("i32.eq")
            f.if(
              () => {
                const kEnd = f.local(I32)
                f.get(kc).get(kc).i32(3).op("i32.and").op("i32.sub").set(kEnd)
                f.for(k, 0, () => f.get(kEnd), 4, () => {
                  f.get(A).get(ir).get(rsA).op("i32.mul").op("i32.add").get(k).i32(4).op("i32.mul").op("i32.add").set(src)
                  for (let r = 0; r < 4; r++) {
                    f.get(src)
                    if (r > 0) f.get(rsA).i32(r).op("i32.mul").op("i32.add")
                    f.v128load().set(rowsV[r]!)
                  }
                  shuffle(f, rowsV[0]!, rowsV[1]!, LO32, t[0]!)
                  shuffle(f, rowsV[0]!, rowsV[1]!, HI32, t[1]!)
                  shuffle(f, rowsV[2]!, rowsV[3]!, LO32, t[2]!)
                  shuffle(f, rowsV[2]!, rowsV[3]!, HI32, t[3]!)
                  const outs: Array<[number, number, number[]]> = [[0, 2, LO64], [0, 2, HI64], [1, 3, LO64], [1, 3, HI64]]
                  outs.forEach(([x, y, lanes], j) => {
                    f.get(dst)
                    f.get(t[x]!).get(t[y]!).shuffle(lanes)
                    f.v128store(16 * j)
                  })
                  f.get(dst).i32(64).op("i32.add").set(dst)
                })
                scalarK(() => f.get(kEnd))
              },
              () => scalarK(0)
            )
          }
        )
      },
      () => {
        f.for(k, 0, () => f.get(kc), 1, () => {
          f.get(A).get(ir).get(rsA).op("i32.mul").op("i32.add").get(k).get(csA).op("i32.mul").op("i32.add").set(src)
          for (let r = 0; r < MR; r++) {
            f.get(dst)
            f.i32(r).get(rows).op("i32.lt_s")
            f.if(
              () => {
                f.get(src)
                if (r > 0) f.get(rsA).i32(r).op("i32.mul").op("i32.add")
                f.f32load()
              },
              () => f.f32(0),
              F32
            )
            f.f32store(4 * r)
          }
          f.get(dst).i32(4 * MR).op("i32.add").set(dst)
        })
      }
    )
  })
}

/**
 * `packB(B, rsB, csB, kc, nc, Bp)`: rows [0, kc) and columns [0, nc) of the strided B into
 * NR-column panels `Bp[panel][k][c]`, zero past column nc. Contiguous rows move as v128.
 */
const packB = (mb: ModuleBuilder, { MR, NRV }: GemmConfig): void => {
  const NR = 4 * NRV
  const { fn: f } = mb.add("packB", [I32, I32, I32, I32, I32, I32], [])
  const [B, rsB, csB, kc, nc, Bp] = f.paramList(6)
  const jr = f.local(I32)
  const k = f.local(I32)
  const c = f.local(I32)
  const src = f.local(I32)
  const cols = f.local(I32)
  const dst = f.local(I32)
  f.get(Bp).set(dst)
  f.for(jr, 0, () => f.get(nc), NR, () => {
    f.get(nc).get(jr).op("i32.sub").set(cols)
    f.get(cols).i32(NR).op("i32.ge_s").get(csB).i32(4).op("i32.eq").op("i32.and")
    f.if(
      () => {
        f.for(k, 0, () => f.get(kc), 1, () => {
          f.get(B).get(k).get(rsB).op("i32.mul").op("i32.add").get(jr).i32(4).op("i32.mul").op("i32.add").set(src)
          for (let v = 0; v < NRV; v++) f.get(dst).get(src).v128load(16 * v).v128store(16 * v)
          f.get(dst).i32(4 * NR).op("i32.add").set(dst)
        })
      },
      () => {
        f.for(k, 0, () => f.get(kc), 1, () => {
          f.get(B).get(k).get(rsB).op("i32.mul").op("i32.add").get(jr).get(csB).op("i32.mul").op("i32.add").set(src)
          f.for(c, 0, NR, 1, () => {
            f.get(dst).get(c).i32(4).op("i32.mul").op("i32.add")
            f.get(c).get(cols).op("i32.lt_s")
            f.if(() => f.get(src).get(c).get(csB).op("i32.mul").op("i32.add").f32load(), () => f.f32(0), F32)
            f.f32store()
          })
          f.get(dst).i32(4 * NR).op("i32.add").set(dst)
        })
      }
    )
  })
}

/** Epilogue flags: what the GEMM applies to each result as it stores the last K block. */
export const EPI_SCALE = 1
export const EPI_BIAS = 2
export const EPI_RELU = 4

/**
 * `micro(kc, Ap, Bp, C, ldc, acc, epi, scale, bias)`: the MR×NR tile `C (+)= Ap · Bp` over kc, C
 * rows `ldc` bytes apart; `acc` = 0 stores, 1 adds to what C holds; then the epilogue `epi`:
 * `· scale`, `+ bias[col]` (bias points at the tile's first column), `max(·, 0)`, in that order.
 */
const micro = (mb: ModuleBuilder, { MR, NRV }: GemmConfig): void => {
  const NR = 4 * NRV
  const { fn: f } = mb.add("micro", [I32, I32, I32, I32, I32, I32, I32, F32, I32], [])
  const [kc, Ap, Bp, C, ldc, acc, epi, scale, bias] = f.paramList(9)
  const accs: Local[][] = Array.from({ length: MR }, () => Array.from({ length: NRV }, () => f.local(V128)))
  const bs: Local[] = Array.from({ length: NRV }, () => f.local(V128))
  const a = f.local(V128)
  const k = f.local(I32)
  const pa = f.local(I32)
  const pb = f.local(I32)
  const row = f.local(I32)
  f.get(Ap).set(pa)
  f.get(Bp).set(pb)
  for (const r of accs) for (const l of r) f.f32x4(0).set(l)
  f.for(k, 0, () => f.get(kc), 1, () => {
    for (let v = 0; v < NRV; v++) f.get(pb).v128load(16 * v).set(bs[v]!)
    for (let r = 0; r < MR; r++) {
      f.get(pa).v128load32splat(4 * r).set(a)
      for (let v = 0; v < NRV; v++) {
        f.get(accs[r]![v]!).get(a).get(bs[v]!).simd("f32x4.mul").simd("f32x4.add").set(accs[r]![v]!)
      }
    }
    f.get(pa).i32(4 * MR).op("i32.add").set(pa)
    f.get(pb).i32(4 * NR).op("i32.add").set(pb)
  })
  f.get(C).set(row)
  const val = f.local(V128)
  for (let r = 0; r < MR; r++) {
    for (let v = 0; v < NRV; v++) {
      f.get(acc)
      f.if(() => f.get(row).v128load(16 * v).get(accs[r]![v]!).simd("f32x4.add").set(val), () => f.get(accs[r]![v]!).set(val))
      f.get(epi)
      f.if(() => {
        f.get(epi).i32(EPI_SCALE).op("i32.and")
        f.if(() => f.get(val).get(scale).simd("f32x4.splat").simd("f32x4.mul").set(val))
        f.get(epi).i32(EPI_BIAS).op("i32.and")
        f.if(() => f.get(val).get(bias).v128load(16 * v).simd("f32x4.add").set(val))
        f.get(epi).i32(EPI_RELU).op("i32.and")
        f.if(() => f.get(val).f32x4(0).simd("f32x4.max").set(val))
      })
      f.get(row).get(val).v128store(16 * v)
    }
    f.get(row).get(ldc).op("i32.add").set(row)
  }
}

/** `tile(tmp, C, ldc, rows, cols, acc, epi, scale, bias)`: the valid `rows × cols` corner of an edge tile into C, with the epilogue. */
const tile = (mb: ModuleBuilder, { MR, NRV }: GemmConfig): void => {
  const NR = 4 * NRV
  const { fn: f } = mb.add("tile", [I32, I32, I32, I32, I32, I32, I32, F32, I32], [])
  const [tmp, C, ldc, rows, cols, acc, epi, scale, bias] = f.paramList(9)
  const r = f.local(I32)
  const c = f.local(I32)
  const dst = f.local(I32)
  const src = f.local(I32)
  const val = f.local(F32)
  f.for(r, 0, () => f.get(rows), 1, () => {
    f.for(c, 0, () => f.get(cols), 1, () => {
      f.get(C).get(r).get(ldc).op("i32.mul").op("i32.add").get(c).i32(4).op("i32.mul").op("i32.add").set(dst)
      f.get(tmp).get(r).i32(4 * NR).op("i32.mul").op("i32.add").get(c).i32(4).op("i32.mul").op("i32.add").set(src)
      f.get(acc)
      f.if(() => f.get(dst).f32load().get(src).f32load().op("f32.add").set(val), () => f.get(src).f32load().set(val))
      f.get(epi)
      f.if(() => {
        f.get(epi).i32(EPI_SCALE).op("i32.and")
        f.if(() => f.get(val).get(scale).op("f32.mul").set(val))
        f.get(epi).i32(EPI_BIAS).op("i32.and")
        f.if(() => f.get(val).get(bias).get(c).i32(4).op("i32.mul").op("i32.add").f32load().op("f32.add").set(val))
        f.get(epi).i32(EPI_RELU).op("i32.and")
        f.if(() => f.get(val).f32(0).op("f32.max").set(val))
      })
      f.get(dst).get(val).f32store()
    })
  })
}

const min = (f: Fn, a: () => void, b: () => void, out: Local): void => {
  a()
  b()
  a()
  b()
  f.op("i32.lt_s").op("select").set(out)
}

/**
 * `gemm(M, N, K, A, rsA, csA, B, rsB, csB, C, ldc, Ap, Bp, tmp, m0, m1, n0, n1, epi, scale, bias)`:
 * rows [m0, m1) and columns [n0, n1) of C (row stride `ldc` bytes) from A and B (byte pointers,
 * byte strides), the epilogue applied as the last K block is stored (bias: N values, stride 4).
 */
const gemm = (mb: ModuleBuilder, { MR, NRV, KC, MC, NC }: GemmConfig, idx: { packA: number; packB: number; micro: number; tile: number }): void => {
  const NR = 4 * NRV
  const { fn: f } = mb.add("gemm", [...Array<typeof I32>(19).fill(I32), F32, I32], [])
  const [, , K, A, rsA, csA, B, rsB, csB, C, ldc, Ap, Bp, tmp, m0, m1, n0, n1, epi, scale, bias] = f.paramList(21)
  const epiNow = f.local(I32)
  const biasAt = f.local(I32)
  const jc = f.local(I32)
  const nc = f.local(I32)
  const pc = f.local(I32)
  const kc = f.local(I32)
  const ic = f.local(I32)
  const mc = f.local(I32)
  const jr = f.local(I32)
  const ir = f.local(I32)
  const cptr = f.local(I32)
  const accum = f.local(I32)
  const rows = f.local(I32)
  const cols = f.local(I32)
  f.for(jc, () => f.get(n0), () => f.get(n1), NC, () => {
    min(f, () => f.i32(NC), () => f.get(n1).get(jc).op("i32.sub"), nc)
    f.for(pc, 0, () => f.get(K), KC, () => {
      min(f, () => f.i32(KC), () => f.get(K).get(pc).op("i32.sub"), kc)
      f.get(pc).i32(0).op("i32.gt_s").set(accum)
      // the epilogue applies once, as the last K block is added
      f.get(epi).i32(0).get(pc).get(kc).op("i32.add").get(K).op("i32.ge_s").op("select").set(epiNow)
      // packB(B + pc*rsB + jc*csB, rsB, csB, kc, nc, Bp)
      f.get(B).get(pc).get(rsB).op("i32.mul").op("i32.add").get(jc).get(csB).op("i32.mul").op("i32.add")
      f.get(rsB).get(csB).get(kc).get(nc).get(Bp).call(idx.packB)
      f.for(ic, () => f.get(m0), () => f.get(m1), MC, () => {
        min(f, () => f.i32(MC), () => f.get(m1).get(ic).op("i32.sub"), mc)
        f.get(A).get(ic).get(rsA).op("i32.mul").op("i32.add").get(pc).get(csA).op("i32.mul").op("i32.add")
        f.get(rsA).get(csA).get(mc).get(kc).get(Ap).call(idx.packA)
        f.for(jr, 0, () => f.get(nc), NR, () => {
          f.for(ir, 0, () => f.get(mc), MR, () => {
            // cptr = C + (ic + ir) * ldc + (jc + jr) * 4
            f.get(C).get(ic).get(ir).op("i32.add").get(ldc).op("i32.mul").op("i32.add").get(jc).get(jr).op("i32.add").i32(4).op("i32.mul").op("i32.add").set(cptr)
            f.get(mc).get(ir).op("i32.sub").set(rows)
            f.get(nc).get(jr).op("i32.sub").set(cols)
            f.get(bias).get(jc).get(jr).op("i32.add").i32(4).op("i32.mul").op("i32.add").set(biasAt)
            f.get(rows).i32(MR).op("i32.ge_s").get(cols).i32(NR).op("i32.ge_s").op("i32.and")
            f.if(
              () => {
                f.get(kc).get(Ap).get(ir).get(kc).op("i32.mul").i32(4).op("i32.mul").op("i32.add")
                f.get(Bp).get(jr).get(kc).op("i32.mul").i32(4).op("i32.mul").op("i32.add")
                f.get(cptr).get(ldc).get(accum).get(epiNow).get(scale).get(biasAt).call(idx.micro)
              },
              () => {
                f.get(kc).get(Ap).get(ir).get(kc).op("i32.mul").i32(4).op("i32.mul").op("i32.add")
                f.get(Bp).get(jr).get(kc).op("i32.mul").i32(4).op("i32.mul").op("i32.add")
                f.get(tmp).i32(4 * NR).i32(0).i32(0).f32(0).i32(0).call(idx.micro)
                min(f, () => f.i32(MR), () => f.get(rows), rows)
                min(f, () => f.i32(NR), () => f.get(cols), cols)
                f.get(tmp).get(cptr).get(ldc).get(rows).get(cols).get(accum).get(epiNow).get(scale).get(biasAt).call(idx.tile)
              }
            )
          })
        })
      })
    })
  })
}

/** The bytes of the GEMM module over a memory with these limits. */
export const gemmModule = (memory: MemoryImport, c: GemmConfig = GEMM): Uint8Array => {
  const mb = new ModuleBuilder(memory)
  packA(mb, c)
  packB(mb, c)
  micro(mb, c)
  tile(mb, c)
  gemm(mb, c, { packA: 0, packB: 1, micro: 2, tile: 3 })
  return mb.build()
}

/** Signature of the exported `gemm`. */
export type GemmFn = (
  M: number, N: number, K: number,
  A: number, rsA: number, csA: number,
  B: number, rsB: number, csB: number,
  C: number, ldc: number,
  Ap: number, Bp: number, tmp: number,
  m0: number, m1: number, n0: number, n1: number,
  epi: number, scale: number, bias: number
) => void

export { F32 }
