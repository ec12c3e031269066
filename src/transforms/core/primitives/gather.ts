/** gather (take along an axis) and its transpose scatter_add. */
import { ShapedArray } from "../aval.js"
import { dtypeError, shapeError } from "../errors.js"
import type { PrimitiveDef, BatchDim } from "../primitive.js"
import type { Tensor } from "../Tensor.js"
import { bind1 } from "../trace.js"
import * as lax from "../lax.js"
import * as K from "../../../kernels/index.js"
import { range } from "../shape.js"
import { isUndef, moveBatchToFront, wrap } from "./families.js"

export type AxisParams = { axis: number }

export const gatherShape = (x: ReadonlyArray<number>, idx: ReadonlyArray<number>, axis: number): number[] => [...x.slice(0, axis), ...idx, ...x.slice(axis + 1)]

/**
 * Both operand and indices mapped: fold the batch into the gathered axis so one gather does it.
 * x [B, pre, n, post] -> [B*n, pre, post]; idx' = idx + b*n; result [B, I, pre, post] -> [B, pre, I, post].
 */
export const foldBatch = (x: Tensor, idx: Tensor, axis: number): { flat: Tensor; idx: Tensor; n: number; pre: number } => {
  const B = x.shape[0]!
  const n = x.shape[axis + 1]!
  const perm = [0, axis + 1, ...range(x.ndim).filter((i) => i !== 0 && i !== axis + 1)]
  const moved = lax.transpose(x, perm)
  const flat = lax.reshape(moved, [B * n, ...moved.shape.slice(2)])
  const offsets = lax.mul(lax.iota("int32", idx.shape, 0), lax.scalar(n, "int32"))
  return { flat, idx: lax.add(idx, offsets), n, pre: axis }
}

export const gather: PrimitiveDef<AxisParams> = {
  name: "gather",
  impl: ([x, idx], { axis }) => [wrap(K.gather(x!.host, idx!.host, axis))],
  abstractEval: ([x, idx], { axis }) => {
    if (idx!.dtype !== "int32") throw dtypeError("gather", `indices must be int32, got ${idx!.toString()}; cast with astype("int32") (fractional indices are not allowed).`)
    if (!Number.isInteger(axis) || axis < 0 || axis >= x!.ndim) throw shapeError("gather", `axis ${axis} is out of range for ${x!.toString()}.`)
    return [new ShapedArray(gatherShape(x!.shape, idx!.shape, axis), x!.dtype)]
  },
  jvp: ([x, idx], [tx], params) => [[bind1(gather, [x!, idx!], params)], [tx ? bind1(gather, [tx, idx!], params) : null]],
  transpose: (cts, [x, idx], { axis }) => {
    const ct = cts[0]
    if (isUndef(idx)) throw new Error("gather transpose: indices cannot be linear")
    if (!ct || !isUndef(x)) return [null, null]
    return [lax.scatterAdd(lax.zerosLike(x.aval), idx as unknown as Tensor, ct, axis), null]
  },
  batch: ([x, idx], [dx, di], { axis }, axisSize) => {
    if (di === null) return [[bind1(gather, [lax.moveAxis(x!, dx!, 0), idx!], { axis: axis + 1 })], [0]]
    if (dx === null) return [[bind1(gather, [x!, idx!], { axis })], [axis + di!]]
    const xm = moveBatchToFront(x!, dx!, axisSize)
    const im = moveBatchToFront(idx!, di!, axisSize)
    const f = foldBatch(xm, im, axis)
    const out = bind1(gather, [f.flat, f.idx], { axis: 0 }) // [B, I..., pre..., post...]
    const I = im.ndim - 1
    const pre = axis
    const rest = out.ndim - 1 - I - pre
    const perm = [0, ...range(pre).map((i) => 1 + I + i), ...range(I).map((i) => 1 + i), ...range(rest).map((i) => 1 + I + pre + i)]
    return [[lax.transpose(out, perm)], [0] as BatchDim[]]
  },
  printParams: (p) => `axis=${p.axis}`
}
