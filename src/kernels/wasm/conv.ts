/**
 * `lax.conv_general_dilated` on the WebAssembly SIMD GEMM: for each feature or batch group, the
 * input windows of a block of output positions are gathered into a patch matrix (im2col: one row
 * per output position, one column per (input feature, kernel offset), zero where the window
 * leaves the padded or dilated input), multiplied by the kernel read in place as a strided
 * matrix, and the block's result is scattered into the output layout. Row blocks keep the patch
 * matrix to a few MiB, whatever the image size. Every layout, stride, padding, dilation and
 * grouping the gpu.js kernel accepts is accepted; the gradients of a conv (which JAX writes as
 * convs with other dimension numbers) take the same path.
 */
import { coalesce } from "../codegen.js"
import { type ConvParams, convShape, convSignature, convSizes } from "../conv.js"
import { allocStorage, sizeOf, stridesOf } from "../dtype.js"
import { type HostArray, result } from "../HostArray.js"
import { I32, type Local, type MemoryImport, ModuleBuilder } from "./emitter.js"
import { gemmOf } from "./dot.js"
import type { DotPlan } from "./dot.js"
import { loopKey, loopModule } from "./expr.js"
import type { LoopSpec } from "../fusion.js"
import { type WasmRuntime, wasm } from "./runtime.js"
import { addressOf, resultBlock } from "./resident.js"
import { parallelGemm } from "./threads.js"

/** The geometry of a conv, from the operand shapes and params (all element strides). */
interface ConvGeometry {
  readonly ns: number
  /** Batch per batch group, input features per feature group, output features per group. */
  readonly Nb: number
  readonly I: number
  readonly Og: number
  readonly groups: number
  readonly batchGroups: number
  /** Output spatial sizes and their count. */
  readonly Y: number[]
  readonly Yprod: number
  /** Kernel spatial sizes. */
  readonly Kd: number[]
  /** Patch columns: (dim kind, size, lhs stride, rhs stride) in the kernel's memory order. */
  readonly cols: Array<{ readonly spatial: number; readonly size: number; readonly rhsStride: number }>
  readonly Kdim: number
  readonly ls: number[]
  readonly rs: number[]
  readonly os: number[]
}

const geometry = (lhsShape: ReadonlyArray<number>, rhsShape: ReadonlyArray<number>, p: ConvParams, outShape: ReadonlyArray<number>): ConvGeometry => {
  const { rd, od, ls, rs, G, B, O, I, N } = convSizes(lhsShape, rhsShape, p)
  const ns = lhsShape.length - 2
  const os = stridesOf(outShape)
  const Y = Array.from({ length: ns }, (_, j) => outShape[od[j + 2]!]!)
  const Kd = Array.from({ length: ns }, (_, j) => rhsShape[rd[j + 2]!]!)
  // columns over (input feature, kernel offsets) in the order the kernel stores them
  const cols = [
    { spatial: -1, size: I, rhsStride: rs[rd[1]!]! },
    ...Kd.map((size, j) => ({ spatial: j, size, rhsStride: rs[rd[j + 2]!]! }))
  ].sort((a, b) => b.rhsStride - a.rhsStride)
  return {
    ns,
    Nb: N / B,
    I,
    Og: O / (G * B),
    groups: G,
    batchGroups: B,
    Y,
    Yprod: Y.reduce((a, b) => a * b, 1),
    Kd,
    cols,
    Kdim: I * Kd.reduce((a, b) => a * b, 1),
    ls,
    rs,
    os
  }
}

const convKey = (lhsShape: ReadonlyArray<number>, rhsShape: ReadonlyArray<number>, p: ConvParams): string => `im2col|${convSignature(lhsShape, rhsShape, p)}`

/**
 * The im2col module: `run(lhs, patches, row0, rows, lhsBase)` writes rows [row0, row0 + rows) of
 * the patch matrix (row = (batch, output position...), Kdim columns) for the group whose first
 * input element is at `lhsBase` (bytes).
 */
const im2colModule = (lhsShape: ReadonlyArray<number>, p: ConvParams, g: ConvGeometry, memory: MemoryImport): Uint8Array => {
  const mb = new ModuleBuilder(memory)
  const { fn: f } = mb.add("run", [I32, I32, I32, I32, I32], [])
  const [, P, row0, rows, lhsBase] = f.paramList(5)
  const { lhs: ld } = p.dimensionNumbers
  const r = f.local(I32)
  const rest = f.local(I32)
  const n = f.local(I32)
  const y = g.Y.map(() => f.local(I32))
  const base = f.local(I32)
  const dst = f.local(I32)
  const q = g.Kd.map(() => f.local(I32))
  const valid = f.local(I32)
  const src = f.local(I32)
  const counters = g.cols.map(() => f.local(I32))
  const featStride = 4 * g.ls[ld[1]!]!
  // innermost column dim: the input features, contiguous in the input and a multiple of 4 wide
  const inner = g.cols[g.cols.length - 1]!
  const vectorFeatures = inner.spatial === -1 && featStride === 4 && g.I % 4 === 0

  f.get(P).set(dst)
  f.for(r, () => f.get(row0), () => f.get(row0).get(rows).op("i32.add"), 1, () => {
    // r = n · Yprod + Σ y_j · (Π later Y)
    f.get(r).set(rest)
    for (let j = g.ns - 1; j >= 0; j--) {
      f.get(rest).i32(g.Y[j]!).op("i32.rem_u").set(y[j]!)
      f.get(rest).i32(g.Y[j]!).op("i32.div_u").set(rest)
    }
    f.get(rest).set(n)
    f.get(lhsBase).get(n).i32(4 * g.ls[ld[0]!]!).op("i32.mul").op("i32.add").set(base)

    // the source address and validity of the current column, from the spatial counters
    const spatialCheck = (): void => {
      f.i32(1).set(valid)
      f.get(base).set(src)
      for (let j = 0; j < g.ns; j++) {
        const kc = counters[g.cols.findIndex((c) => c.spatial === j)]!
        const S = p.windowStrides[j]!
        const RD = p.rhsDilation[j]!
        const LD = p.lhsDilation[j]!
        const LO = p.padding[j]![0]
        const X = lhsShape[ld[j + 2]!]!
        // pos = y·S − LO + k·RD; with lhs dilation LD the input index is pos / LD when pos % LD == 0
        f.get(y[j]!).i32(S).op("i32.mul").i32(LO).op("i32.sub").get(kc).i32(RD).op("i32.mul").op("i32.add").set(q[j]!)
        if (LD > 1) {
          f.get(valid).get(q[j]!).i32(0).op("i32.ge_s").op("i32.and").set(valid)
          f.get(valid).get(q[j]!).i32(LD).op("i32.rem_s").op("i32.eqz").op("i32.and").set(valid)
          f.get(q[j]!).i32(LD).op("i32.div_s").set(q[j]!)
        }
        f.get(valid).get(q[j]!).i32(0).op("i32.ge_s").op("i32.and").get(q[j]!).i32(X).op("i32.lt_s").op("i32.and").set(valid)
        f.get(src).get(q[j]!).i32(4 * g.ls[ld[j + 2]!]!).op("i32.mul").op("i32.add").set(src)
      }
    }

    const emitCols = (d: number): void => {
      const c = g.cols[d]!
      const isLast = d === g.cols.length - 1
      if (isLast && vectorFeatures) {
        spatialCheck()
        const ci = counters[d]!
        f.get(valid)
        f.if(
          () => f.for(ci, 0, g.I, 4, () => {
            f.get(dst).get(src).get(ci).i32(featStride).op("i32.mul").op("i32.add").v128load().v128store()
            f.get(dst).i32(16).op("i32.add").set(dst)
          }),
          () => f.for(ci, 0, g.I, 4, () => {
            f.get(dst).f32x4(0).v128store()
            f.get(dst).i32(16).op("i32.add").set(dst)
          })
        )
        return
      }
      f.for(counters[d]!, 0, c.size, 1, () => {
        if (!isLast) return emitCols(d + 1)
        spatialCheck()
        const fi = counters[g.cols.findIndex((cc) => cc.spatial === -1)]!
        f.get(dst)
        f.get(valid)
        f.if(() => f.get(src).get(fi).i32(featStride).op("i32.mul").op("i32.add").f32load(), () => f.f32(0), 0x7d)
        f.f32store()
        f.get(dst).i32(4).op("i32.add").set(dst)
      })
    }
    emitCols(0)
  })
  return mb.build()
}

/** Output positions per patch block: about 4 MiB of patches, a multiple of the GEMM's row tile. */
const blockRows = (g: ConvGeometry, total: number): number => Math.min(total, Math.max(96, Math.floor((1 << 20) / Math.max(1, g.Kdim) / 96) * 96))

/** `conv` of float32 operands via im2col + the WebAssembly SIMD GEMM (inputs validated). */
export const wasmConv = (launched: () => void) => (lhs: HostArray, rhs: HostArray, p: ConvParams): HostArray => {
  const outShape = convShape(lhs, rhs, p)
  const total = sizeOf(outShape)
  if (total === 0) return result("float32", outShape, allocStorage("float32", 0))
  const rt = wasm()
  return rt.scoped(() => {
    const pl = addressOf(rt, lhs)
    const pr = addressOf(rt, rhs)
    const out = resultBlock(rt, "float32", total)
    runConv(rt, lhs.shape, rhs.shape, p, outShape, pl, pr, out.ptr)
    launched()
    return out.wrap(outShape)
  })
}

/** Runs a conv on byte pointers (operands and output contiguous in their layouts). */
export const runConv = (rt: WasmRuntime, lhsShape: ReadonlyArray<number>, rhsShape: ReadonlyArray<number>, p: ConvParams, outShape: ReadonlyArray<number>, pl: number, pr: number, po: number): void => {
  const g = geometry(lhsShape, rhsShape, p, outShape)
  const { lhs: ld, rhs: rd, out: od } = p.dimensionNumbers
  const im2col = rt.instance(convKey(lhsShape, rhsShape, p), () => im2colModule(lhsShape, p, g, rt.limits)).run as (...a: number[]) => void
  const gemm = gemmOf(rt)
  const M = g.Nb * g.Yprod
  const MB = blockRows(g, M)
  // the kernel as a [Kdim, Og] matrix: its column dims merge into one stride in most layouts;
  // otherwise each group's kernel is first copied into that order
  const merged = coalesce(g.cols.map((c) => c.size), [g.cols.map((c) => c.rhsStride)])
  const inPlace = merged.shape.length <= 1
  const colStride = merged.shape.length === 1 ? merged.views[0]![0]! : 0
  const oStride = g.rs[rd[0]!]!
  // the scatter of a [rows, Og] block into the output: rows are (n, y...) and columns the features
  const rowDims = [g.Nb, ...g.Y]
  const rowStrides = [g.os[od[0]!]!, ...g.Y.map((_, j) => g.os[od[j + 2]!]!)]
  const featStride = g.os[od[1]!]!
  const unflat = (row: number): number[] => {
    const idx = new Array<number>(rowDims.length)
    let rest = row
    for (let d = rowDims.length - 1; d >= 0; d--) {
      idx[d] = rest % rowDims[d]!
      rest = Math.floor(rest / rowDims[d]!)
    }
    return idx
  }
  rt.scoped(() => {
    const patches = rt.alloc(4 * MB * g.Kdim)
    const block = rt.alloc(4 * MB * g.Og)
    const packed = inPlace ? 0 : rt.alloc(4 * g.Kdim * g.Og)
    const pack = inPlace
      ? null
      : (() => {
          const spec: LoopSpec = {
            shape: [...g.cols.map((c) => c.size), g.Og],
            leaves: [{ dtype: "float32", strides: [...g.cols.map((c) => c.rhsStride), oStride] }],
            outs: [{ kind: "leaf", index: 0, dtype: "float32" }]
          }
          return rt.instance(loopKey(spec), () => loopModule(spec, rt.limits)).run as (a: number, b: number) => void
        })()
    for (let bg = 0; bg < g.batchGroups; bg++) {
      for (let fg = 0; fg < g.groups; fg++) {
        const o0 = (bg * g.groups + fg) * g.Og
        const lhsBase = pl + 4 * (bg * g.Nb * g.ls[ld[0]!]! + fg * g.I * g.ls[ld[1]!]!)
        let rhsBase = pr + 4 * o0 * oStride
        if (pack !== null) {
          pack(rhsBase, packed)
          rhsBase = packed
        }
        const [rsB, csB] = pack !== null ? [g.Og, 1] : [colStride, oStride]
        for (let r0 = 0; r0 < M; r0 += MB) {
          const rows = Math.min(MB, M - r0)
          im2col(pl, patches, r0, rows, lhsBase)
          const plan: DotPlan = { M: rows, N: g.Og, K: g.Kdim, rsA: g.Kdim, csA: 1, rsB, csB, batch: { shape: [], a: [], b: [], c: [] }, outShape: [rows, g.Og] }
          parallelGemm(rt, gemm, plan, patches, rhsBase, block)
          scatter(rt, rows, g.Og, block, po + 4 * o0 * featStride, unflat(r0), rowDims, rowStrides, featStride)
        }
      }
    }
  })
}

/**
 * Copies a contiguous [rows, cols] block into the output, where the rows continue the
 * multi-index `start` over `rowDims` (strides `rowStrides`) and columns step by `colStride`.
 * Split into runs along the last row dim so each run is one strided 2-D copy.
 */
const scatter = (rt: WasmRuntime, rows: number, cols: number, src: number, dstBase: number, start: number[], rowDims: number[], rowStrides: number[], colStride: number): void => {
  const idx = [...start]
  let done = 0
  const last = rowDims.length - 1
  while (done < rows) {
    const run = Math.min(rows - done, rowDims[last]! - idx[last]!)
    let off = 0
    idx.forEach((v, d) => (off += v * rowStrides[d]!))
    copy2d(rt, run, cols, src + 4 * done * cols, dstBase + 4 * off, rowStrides[last]!, colStride)
    done += run
    idx[last]! += run
    for (let d = last; d > 0 && idx[d]! >= rowDims[d]!; d--) {
      idx[d] = 0
      idx[d - 1]!++
    }
  }
}

/** A strided 2-D copy `dst[r·rs + c·cs] = src[r·cols + c]` through a fused copy loop. */
const copy2d = (rt: WasmRuntime, rows: number, cols: number, src: number, dst: number, rs: number, cs: number): void => {
  if (rs === cols && cs === 1) {
    rt.f32(dst, rows * cols).set(rt.f32(src, rows * cols))
    return
  }
  // the loop iterates the destination's memory order: [rows, cols] if rows are the outer stride
  const spec: LoopSpec =
    rs >= cs
      ? { shape: [rows, cols], leaves: [{ dtype: "float32", strides: [cols, 1] }], outs: [{ kind: "leaf", index: 0, dtype: "float32" }] }
      : { shape: [cols, rows], leaves: [{ dtype: "float32", strides: [1, cols] }], outs: [{ kind: "leaf", index: 0, dtype: "float32" }] }
  const outRows = rs >= cs ? rows : cols
  const outCols = rs >= cs ? cols : rows
  const [ors, ocs] = rs >= cs ? [rs, cs] : [cs, rs]
  // the loop writes contiguously; when the destination rows are not packed, copy row by row
  const run = rt.instance(loopKey(spec), () => loopModule(spec, rt.limits)).run as (a: number, b: number) => void
  if (ocs === 1 && ors === outCols) {
    run(src, dst)
    return
  }
  rt.scoped(() => {
    const tmp = rt.alloc(4 * rows * cols)
    run(src, tmp)
    const t = rt.f32(tmp, rows * cols)
    const out = new Float32Array(rt.memory.buffer)
    const d0 = dst / 4
    for (let r = 0; r < outRows; r++) for (let c = 0; c < outCols; c++) out[d0 + r * ors + c * ocs] = t[r * outCols + c]!
  })
}

export type { Local }
