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

type AxisParams = { axis: number }

const gatherShape = (x: ReadonlyArray<number>, idx: ReadonlyArray<number>, axis: number): number[] => [...x.slice(0, axis), ...idx, ...x.slice(axis + 1)]

/**
 * Both operand and indices mapped: fold the batch into the gathered axis so one gather does it.
 * x [B, pre, n, post] -> [B*n, pre, post]; idx' = idx + b*n; result [B, I, pre, post] -> [B, pre, I, post].
 */
const foldBatch = (x: Tensor, idx: Tensor, axis: number): { flat: Tensor; idx: Tensor; n: number; pre: number } => {
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

export const scatter_add: PrimitiveDef<AxisParams> = {
  name: "scatter_add",
  impl: ([op, idx, upd], { axis }) => [wrap(K.binary("add", op!.host, K.scatterAdd([...op!.shape], idx!.host, upd!.host, axis)))],
  abstractEval: ([op, idx, upd], { axis }) => {
    if (idx!.dtype !== "int32") throw dtypeError("scatter_add", `indices must be int32, got ${idx!.toString()}.`)
    if (op!.dtype !== upd!.dtype) throw dtypeError("scatter_add", `operand ${op!.toString()} and updates ${upd!.toString()} must share a dtype.`)
    const expect = gatherShape(op!.shape, idx!.shape, axis)
    if (expect.length !== upd!.ndim || expect.some((d, i) => d !== upd!.shape[i])) {
      throw shapeError("scatter_add", `updates ${upd!.toString()} must have shape [${expect.join(",")}] for operand ${op!.toString()} and indices ${idx!.toString()} on axis ${axis}.`)
    }
    return [op!]
  },
  jvp: ([op, idx, upd], [top, , tupd], params) => {
    const o = bind1(scatter_add, [op!, idx!, upd!], params)
    if (!top && !tupd) return [[o], [null]]
    return [[o], [bind1(scatter_add, [top ?? lax.zerosLike(op!), idx!, tupd ?? lax.zerosLike(upd!)], params)]]
  },
  transpose: (cts, [op, idx, upd], { axis }) => {
    const ct = cts[0]
    if (!ct) return [null, null, null]
    return [isUndef(op) ? ct : null, null, isUndef(upd) ? lax.gather(ct, idx as Tensor, axis) : null]
  },
  batch: ([op, idx, upd], [dop, di, du], { axis }, axisSize) => {
    const opm = moveBatchToFront(op!, dop!, axisSize)
    const um = moveBatchToFront(upd!, du!, axisSize)
    if (di === null) return [[bind1(scatter_add, [opm, idx!, um], { axis: axis + 1 })], [0]]
    const im = moveBatchToFront(idx!, di!, axisSize)
    const f = foldBatch(opm, im, axis)
    // updates [B, pre, I, post] -> [B, I, pre, post]
    const I = im.ndim - 1
    const pre = axis
    const rest = um.ndim - 1 - I - pre
    const perm = [0, ...range(I).map((i) => 1 + pre + i), ...range(pre).map((i) => 1 + i), ...range(rest).map((i) => 1 + pre + I + i)]
    const flatOut = bind1(scatter_add, [f.flat, f.idx, lax.transpose(um, perm)], { axis: 0 }) // [B*n, pre, post]
    const B = opm.shape[0]!
    const unflat = lax.reshape(flatOut, [B, f.n, ...flatOut.shape.slice(1)]) // [B, n, pre, post]
    const back = [0, ...range(pre).map((i) => 2 + i), 1, ...range(opm.ndim - 2 - pre).map((i) => 2 + pre + i)]
    return [[lax.transpose(unflat, back)], [0] as BatchDim[]]
  },
  printParams: (p) => `axis=${p.axis}`
}
