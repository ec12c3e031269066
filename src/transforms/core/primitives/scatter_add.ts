/** `scatter_add`: add updates at indexed positions along an axis: the transpose of gather. JAX: `lax.scatter_add_p`. */
import { range } from "../shape.js"
import { dtypeError, shapeError } from "../errors.js"
import type { PrimitiveDef, BatchDim } from "../primitive.js"
import type { ShapedArray } from "../aval.js"
import type { Tensor } from "../Tensor.js"
import { bind1 } from "../trace.js"
import * as lax from "../lax.js"
import * as K from "../../../kernels/index.js"
import { isUndef, moveBatchToFront, wrap } from "./families.js"
import { AxisParams, gatherShape, foldBatch } from "./gather.js"

/**
 * Batching rule shared by the scatter primitives (`scatter_add`, `scatter`, `scatter_mul`): with
 * unbatched indices the axis shifts; with batched indices the batch is folded into the scattered
 * axis so one scatter does it (the same layout trick as gather's rule).
 */
export const scatterBatch =
  <P extends AxisParams>(prim: () => PrimitiveDef<P>) =>
  ([op, idx, upd]: ReadonlyArray<Tensor>, [dop, di, du]: ReadonlyArray<BatchDim>, params: P, axisSize: number): [Tensor[], BatchDim[]] => {
    const { axis } = params
    const opm = moveBatchToFront(op!, dop!, axisSize)
    const um = moveBatchToFront(upd!, du!, axisSize)
    if (di === null) return [[bind1(prim(), [opm, idx!, um], { ...params, axis: axis + 1 })], [0]]
    const im = moveBatchToFront(idx!, di!, axisSize)
    const f = foldBatch(opm, im, axis)
    // updates [B, pre, I, post] -> [B, I, pre, post]
    const I = im.ndim - 1
    const pre = axis
    const rest = um.ndim - 1 - I - pre
    const perm = [0, ...range(I).map((i) => 1 + pre + i), ...range(pre).map((i) => 1 + i), ...range(rest).map((i) => 1 + pre + I + i)]
    const flatOut = bind1(prim(), [f.flat, f.idx, lax.transpose(um, perm)], { ...params, axis: 0 }) // [B*n, pre, post]
    const B = opm.shape[0]!
    const unflat = lax.reshape(flatOut, [B, f.n, ...flatOut.shape.slice(1)]) // [B, n, pre, post]
    const back = [0, ...range(pre).map((i) => 2 + i), 1, ...range(opm.ndim - 2 - pre).map((i) => 2 + pre + i)]
    return [[lax.transpose(unflat, back)], [0]]
  }

/** The shape rule shared by the scatter primitives. */
export const scatterAbstractEval =
  (name: string) =>
  ([op, idx, upd]: ReadonlyArray<ShapedArray>, { axis }: AxisParams): ShapedArray[] => {
    if (idx!.dtype !== "int32") throw dtypeError(name, `indices must be int32, got ${idx!.toString()}.`)
    if (op!.dtype !== upd!.dtype) throw dtypeError(name, `operand ${op!.toString()} and updates ${upd!.toString()} must share a dtype.`)
    if (!Number.isInteger(axis) || axis < 0 || axis >= op!.ndim) throw shapeError(name, `axis ${axis} is out of range for ${op!.toString()}.`)
    const expect = gatherShape(op!.shape, idx!.shape, axis)
    if (expect.length !== upd!.ndim || expect.some((d, i) => d !== upd!.shape[i])) {
      throw shapeError(name, `updates ${upd!.toString()} must have shape [${expect.join(",")}] for operand ${op!.toString()} and indices ${idx!.toString()} on axis ${axis}.`)
    }
    return [op!]
  }

export const scatter_add: PrimitiveDef<AxisParams> = {
  name: "scatter_add",
  impl: ([op, idx, upd], { axis }) => [wrap(K.binary("add", op!.host, K.scatterAdd([...op!.shape], idx!.host, upd!.host, axis)))],
  abstractEval: scatterAbstractEval("scatter_add"),
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
  batch: scatterBatch(() => scatter_add),
  printParams: (p) => `axis=${p.axis}`
}
