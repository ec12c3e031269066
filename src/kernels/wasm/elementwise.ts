/**
 * Eager elementwise ops (`unary`, `binary`, `select`, `convert`) as one-node fused loops on the
 * WebAssembly SIMD runtime: operands are copied into the arena, one loop runs, the result is
 * copied out.
 */
import { type DType, type Storage, allocStorage, sizeOf, stridesOf } from "../dtype.js"
import type { BinaryOp, UnaryOp } from "../elementwise.js"
import { type HostArray, result } from "../HostArray.js"
import { broadcastShapes, broadcastStrides } from "../shape.js"
import type { ReduceOp } from "../reduce.js"
import type { ReduceSpec } from "../fusion.js"
import { type Expr, type LoopSpec, fusibleBinary, fusibleUnary, loopKey, loopModule } from "./expr.js"
import { reduceKey, reduceModule } from "./reduce.js"
import { wasm } from "./runtime.js"
import { addressOf, resultBlock } from "./resident.js"

const COMPARISONS = new Set(["eq", "ne", "lt", "le", "gt", "ge"])

/** Runs a fused loop over its inputs (read where they live) into new resident results of `shape`. */
export const runLoop = (spec: LoopSpec, inputs: ReadonlyArray<HostArray>, launched: () => void): HostArray[] => {
  const n = sizeOf(spec.shape)
  if (n === 0) return spec.outs.map((o) => result(o.dtype, spec.shape, allocStorage(o.dtype, 0)))
  const rt = wasm()
  const run = rt.instance(loopKey(spec), () => loopModule(spec, rt.limits)).run as (...ptrs: number[]) => void
  return rt.scoped(() => {
    const ins = inputs.map((x) => addressOf(rt, x))
    const outs = spec.outs.map((o) => resultBlock(rt, o.dtype, n))
    run(...ins, ...outs.map((o) => o.ptr))
    launched()
    return outs.map((o) => o.wrap(spec.shape))
  })
}

const leaf = (index: number, dtype: DType): Expr => ({ kind: "leaf", index, dtype })

const view = (x: HostArray, shape: ReadonlyArray<number>) => ({ dtype: x.dtype, strides: broadcastStrides(x.shape, shape) })

/** Whether the wasm loop computes this unary call. */
export const wasmUnarySupports = (op: UnaryOp, x: HostArray): boolean => fusibleUnary(op, x.dtype)
/** Whether the wasm loop computes this binary call. */
export const wasmBinarySupports = (op: BinaryOp, a: HostArray): boolean => fusibleBinary(op, a.dtype)

export const wasmUnary = (launched: () => void) => (op: UnaryOp, x: HostArray): HostArray => {
  const spec: LoopSpec = { shape: x.shape, leaves: [{ dtype: x.dtype, strides: stridesOf(x.shape) }], outs: [{ kind: "unary", op: op as never, x: leaf(0, x.dtype), dtype: x.dtype }] }
  return runLoop(spec, [x], launched)[0]!
}

export const wasmBinary = (launched: () => void) => (op: BinaryOp, a: HostArray, b: HostArray): HostArray => {
  const shape = broadcastShapes(op, [a, b])
  const dtype: DType = COMPARISONS.has(op) ? "bool" : a.dtype
  const spec: LoopSpec = {
    shape,
    leaves: [view(a, shape), view(b, shape)],
    outs: [{ kind: "binary", op: op as never, a: leaf(0, a.dtype), b: leaf(1, b.dtype), dtype }]
  }
  return runLoop(spec, [a, b], launched)[0]!
}

export const wasmSelect = (launched: () => void) => (pred: HostArray, onTrue: HostArray, onFalse: HostArray): HostArray => {
  const shape = broadcastShapes("select", [pred, onTrue, onFalse])
  const dtype = onTrue.dtype
  const spec: LoopSpec = {
    shape,
    leaves: [view(pred, shape), view(onTrue, shape), view(onFalse, shape)],
    outs: [{ kind: "select", pred: leaf(0, "bool"), t: leaf(1, dtype), f: leaf(2, dtype), dtype }]
  }
  return runLoop(spec, [pred, onTrue, onFalse], launched)[0]!
}

export const wasmConvert = (launched: () => void) => (x: HostArray, dtype: DType): HostArray => {
  if (dtype === x.dtype) return x
  const spec: LoopSpec = { shape: x.shape, leaves: [{ dtype: x.dtype, strides: stridesOf(x.shape) }], outs: [{ kind: "convert", x: leaf(0, x.dtype), dtype }] }
  return runLoop(spec, [x], launched)[0]!
}

/** Whether the wasm reduction computes this call (float32 sum, max, min). */
export const wasmReduceSupports = (op: ReduceOp, x: HostArray): boolean => x.dtype === "float32" && (op === "sum" || op === "max" || op === "min")

/** Runs a fused reduction over its inputs (read where they live) into a new resident result. */
export const runReduceSpec = (spec: ReduceSpec, inputs: ReadonlyArray<HostArray>, launched: () => void): HostArray => {
  const outShape = spec.shape.filter((_, d) => !spec.axes.includes(d))
  const n = sizeOf(outShape)
  if (n === 0) return result("float32", outShape, new Float32Array(0))
  const rt = wasm()
  const run = rt.instance(reduceKey(spec), () => reduceModule(spec, rt.limits)).run as (...ptrs: number[]) => void
  return rt.scoped(() => {
    const ins = inputs.map((x) => addressOf(rt, x))
    const out = resultBlock(rt, "float32", n)
    run(...ins, out.ptr)
    launched()
    return out.wrap(outShape)
  })
}

export const wasmReduce = (launched: () => void) => (op: ReduceOp, x: HostArray, axes: ReadonlyArray<number>): HostArray => {
  const sorted = [...axes].sort((p, q) => p - q)
  const spec: ReduceSpec = {
    op: op as "sum",
    shape: x.shape,
    axes: sorted,
    leaves: [{ dtype: "float32", strides: stridesOf(x.shape) }],
    expr: leaf(0, "float32")
  }
  return runReduceSpec(spec, [x], launched)
}
