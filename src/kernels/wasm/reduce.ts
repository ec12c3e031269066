/**
 * Fused reductions in WebAssembly SIMD: `sum`/`max`/`min` over some axes of an expression of
 * strided input views, written to the kept dims (contiguous). Two loop orders:
 *
 * - columns: when the innermost kept dim is contiguous in every input, four outputs are reduced
 *   at once, each summed in index order (e.g. a bias gradient, the sum over the batch);
 * - rows: otherwise each output reduces its innermost reduced dim four lanes at a time (long
 *   sums in blocks of 256 elements), then combines the lanes (e.g. softmax's row sums).
 *
 * The order of every sum is fixed by the shapes alone, so results repeat bit for bit.
 */
import { coalesce } from "../codegen.js"
import { stridesOf } from "../dtype.js"
import type { Expr, ReduceSpec } from "../fusion.js"
import { showExpr } from "../fusion.js"
import { F32, F64, type Fn, I32, type Local, type MemoryImport, ModuleBuilder, V128 } from "./emitter.js"
import { ExprEmitter, usesLane } from "./expr.js"
import { LANE_FUNCTIONS, type LaneFunction, Vec } from "./vmath.js"

/** Cache key of a reduce spec. */
export const reduceKey = (s: ReduceSpec): string =>
  `reduce|${s.op}|${s.shape.join(",")}|${s.axes.join(",")}|${s.leaves.map((l) => `${l.dtype}:${l.strides.join(",")}`).join(";")}|${showExpr(s.expr)}`

const INIT = { sum: 0, max: -Infinity, min: Infinity } as const
const VOP = { sum: "f32x4.add", max: "f32x4.max", min: "f32x4.min" } as const
const SOP = { sum: "f32.add", max: "f32.max", min: "f32.min" } as const

/** Elements summed per block in the rows order (the blocked sum's inner length). */
const BLOCK = 256

/** The module of a fused reduction: exports `run(leaf0, …, out)` on byte pointers. */
export const reduceModule = (spec: ReduceSpec, memory: MemoryImport): Uint8Array => {
  const mb = new ModuleBuilder(memory)
  const lanes: Partial<Record<LaneFunction, number>> = {}
  for (const fn of usesLane(spec.expr, new Set())) lanes[fn] = mb.importFn("math", fn, new Array(LANE_FUNCTIONS[fn]).fill(F64), [F64])
  const nl = spec.leaves.length
  const { fn: f } = mb.add("run", new Array(nl + 1).fill(I32), [])
  emitReduce(f, spec, lanes)
  return mb.build()
}

const emitReduce = (f: Fn, spec: ReduceSpec, lanes: Partial<Record<LaneFunction, number>>): void => {
  const nl = spec.leaves.length
  const keptDims = spec.shape.map((_, d) => d).filter((d) => !spec.axes.includes(d))
  const redDims = spec.shape.map((_, d) => d).filter((d) => spec.axes.includes(d))
  const keptShape = keptDims.map((d) => spec.shape[d]!)
  const kept = coalesce(keptShape, [...spec.leaves.map((l) => keptDims.map((d) => l.strides[d]!)), stridesOf(keptShape)])
  const red = coalesce(redDims.map((d) => spec.shape[d]!), spec.leaves.map((l) => redDims.map((d) => l.strides[d]!)))
  const kr = kept.shape.length
  const rr = red.shape.length
  const op = spec.op
  const ptrs: Local[] = spec.leaves.map((_, j) => f.param(j))
  const outPtr = f.param(nl)
  const addr = f.local(I32)

  const kLast = kr === 0 ? 1 : kept.shape[kr - 1]!
  const columns = kr > 0 && kLast >= 4 && spec.leaves.every((_, j) => kept.views[j]![kr - 1]! <= 1)

  // address of leaf j at the current counters: ptr + Σ counter_d · stride_d · 4
  const leafBase = (j: number, kCounters: ReadonlyArray<Local | null>, rCounters: ReadonlyArray<Local | null>): void => {
    f.get(ptrs[j]!)
    kCounters.forEach((c, d) => {
      const s = kept.views[j]![d]!
      if (c !== null && s !== 0) f.get(c).i32(4 * s).op("i32.mul").op("i32.add")
    })
    rCounters.forEach((c, d) => {
      const s = red.views[j]![d]!
      if (c !== null && s !== 0) f.get(c).i32(4 * s).op("i32.mul").op("i32.add")
    })
  }

  // one value of the expression at the current counters; `vector` loads four lanes along the
  // dim whose stride per leaf is `laneStride(j)` (stride 0: splat; tail: splat of one element)
  const evaluate = (vector: boolean, laneStride: (j: number) => number, kCounters: ReadonlyArray<Local | null>, rCounters: ReadonlyArray<Local | null>): Local => {
    const v = new Vec(f, lanes)
    const load = (j: number): Local => {
      const l = f.local(V128)
      leafBase(j, kCounters, rCounters)
      f.set(addr)
      const s = laneStride(j)
      if (!vector || s === 0) f.get(addr).v128load32splat().set(l)
      else if (s === 1) f.get(addr).v128load().set(l)
      else {
        f.get(addr).v128load32splat().set(l)
        for (let lane = 1; lane < 4; lane++) f.get(l).get(addr).i32load(4 * s * lane).lane("i32x4.replace_lane", lane).set(l)
      }
      return l
    }
    return new ExprEmitter(v, load).value(spec.expr)
  }

  const kCounters: Local[] = kept.shape.map(() => f.local(I32))
  const rCounters: Local[] = red.shape.map(() => f.local(I32))
  const acc = f.local(V128)

  // the output address of the current kept counters
  const outAddr = (): void => {
    f.get(outPtr)
    kCounters.forEach((c, d) => {
      const s = kept.views[nl]![d]!
      if (s !== 0) f.get(c).i32(4 * s).op("i32.mul").op("i32.add")
    })
  }

  const nest = (counters: Local[], shape: number[], from: number, to: number, body: () => void): void => {
    const rec = (d: number): void => {
      if (d === to) return body()
      f.for(counters[d]!, 0, shape[d]!, 1, () => rec(d + 1))
    }
    rec(from)
  }

  if (columns) {
    // kept outer dims, then the innermost kept dim four at a time, then every reduced dim
    const jd = kr - 1
    const colBody = (vector: boolean): void => {
      f.f32x4(INIT[op]).set(acc)
      nest(rCounters, red.shape, 0, rr, () => {
        const val = evaluate(vector, (j) => kept.views[j]![jd]!, kCounters, rCounters)
        f.get(acc).get(val).simd(VOP[op]).set(acc)
      })
      outAddr()
      if (vector) f.get(acc).v128store()
      else f.get(acc).lane("f32x4.extract_lane", 0).f32store()
    }
    nest(kCounters, kept.shape, 0, jd, () => {
      const vecEnd = kLast - (kLast % 4)
      if (vecEnd > 0) f.for(kCounters[jd]!, 0, vecEnd, 4, () => colBody(true))
      if (vecEnd < kLast) f.for(kCounters[jd]!, vecEnd, kLast, 1, () => colBody(false))
    })
    return
  }

  // rows: every kept dim is an outer loop; the innermost reduced dim runs four lanes at a time
  const rd = rr - 1
  const rLast = rr === 0 ? 1 : red.shape[rd]!
  const tail = f.local(V128)
  const part = f.local(V128)
  const result = f.local(F32)
  const laneStride = (j: number): number => (rr === 0 ? 0 : red.views[j]![rd]!)
  const innerCounters = (): Array<Local | null> => (rr === 0 ? [] : rCounters)
  nest(kCounters, kept.shape, 0, kr, () => {
    f.f32x4(INIT[op]).set(acc)
    f.f32x4(INIT[op]).set(tail)
    nest(rCounters, red.shape, 0, Math.max(0, rd), () => {
      if (rr === 0) {
        const val = evaluate(false, laneStride, kCounters, [])
        f.get(tail).get(val).simd(VOP[op]).set(tail)
        return
      }
      const vecEnd = rLast - (rLast % 4)
      const inner = rCounters[rd]!
      if (vecEnd > 0) {
        if (op === "sum" && vecEnd > 2 * BLOCK) {
          // blocked sum: blocks of BLOCK elements summed apart, then added in order
          const blockStart = f.local(I32)
          const blocks = Math.floor(vecEnd / BLOCK)
          f.for(blockStart, 0, blocks * BLOCK, BLOCK, () => {
            f.f32x4(0).set(part)
            f.for(inner, () => f.get(blockStart), () => f.get(blockStart).i32(BLOCK).op("i32.add"), 4, () => {
              const val = evaluate(true, laneStride, kCounters, innerCounters())
              f.get(part).get(val).simd("f32x4.add").set(part)
            })
            f.get(acc).get(part).simd("f32x4.add").set(acc)
          })
          if (blocks * BLOCK < vecEnd) {
            f.for(inner, blocks * BLOCK, vecEnd, 4, () => {
              const val = evaluate(true, laneStride, kCounters, innerCounters())
              f.get(acc).get(val).simd("f32x4.add").set(acc)
            })
          }
        } else {
          f.for(inner, 0, vecEnd, 4, () => {
            const val = evaluate(true, laneStride, kCounters, innerCounters())
            f.get(acc).get(val).simd(VOP[op]).set(acc)
          })
        }
      }
      if (vecEnd < rLast) {
        f.for(inner, vecEnd, rLast, 1, () => {
          const val = evaluate(false, laneStride, kCounters, innerCounters())
          f.get(tail).get(val).simd(VOP[op]).set(tail)
        })
      }
    })
    // (l0 op l1) op (l2 op l3), then the tail
    f.get(acc).lane("f32x4.extract_lane", 0).get(acc).lane("f32x4.extract_lane", 1).op(SOP[op])
    f.get(acc).lane("f32x4.extract_lane", 2).get(acc).lane("f32x4.extract_lane", 3).op(SOP[op])
    f.op(SOP[op]).get(tail).lane("f32x4.extract_lane", 0).op(SOP[op]).set(result)
    outAddr()
    f.get(result).f32store()
  })
}

export type { Expr }
