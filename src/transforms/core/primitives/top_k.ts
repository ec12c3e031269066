/**
 * `top_k`: the k largest entries along an axis and their int32 indices, largest first; equal
 * entries keep index order, NaN counts as the largest and +0 ranks above -0. The JVP gathers the
 * tangent at the indices. JAX: `lax.top_k_p`.
 */
import { ShapedArray } from "../aval.js"
import { shapeError } from "../errors.js"
import type { PrimitiveDef } from "../primitive.js"
import { bind } from "../trace.js"
import * as lax from "../lax.js"
import type { Tensor } from "../Tensor.js"
import { takeAlongAxis } from "../lowered.js"
import * as K from "../../../kernels/index.js"
import { nonlinear, wrap } from "./families.js"

export type TopKParams = { k: number; axis: number }

export const top_k: PrimitiveDef<TopKParams> = {
  name: "top_k",
  impl: ([x], { k, axis }) => {
    const h = x!.host
    const perm = K.sortPermutation([h], axis, "descending")
    const limit = h.shape.map((d, i) => (i === axis ? k : d))
    const idx = K.slice(perm, h.shape.map(() => 0), limit)
    return [wrap(K.takeAlongAxis(h, idx, axis)), wrap(idx)]
  },
  abstractEval: ([x], { k, axis }) => {
    if (x!.ndim === 0) throw shapeError("top_k", `the operand must have at least one dimension, got ${x!.toString()}.`)
    if (!Number.isInteger(axis) || axis < 0 || axis >= x!.ndim) throw shapeError("top_k", `axis ${axis} is out of range for ${x!.toString()}.`)
    if (!Number.isInteger(k) || k < 0 || k > x!.shape[axis]!) {
      throw shapeError("top_k", `k=${k} must be an integer between 0 and the size of axis ${axis} (${x!.shape[axis]}) of ${x!.toString()}.`)
    }
    const shape = x!.shape.map((d, i) => (i === axis ? k : d))
    return [new ShapedArray(shape, x!.dtype), new ShapedArray(shape, "int32")]
  },
  jvp: ([x], [t], params) => {
    const [values, indices] = bind(top_k, [x!], params) as [Tensor, Tensor]
    return [[values, indices], [t ? takeAlongAxis(t, indices, params.axis) : null, null]]
  },
  transpose: nonlinear,
  batch: ([x], [d], params) => [bind(top_k, [lax.moveAxis(x!, d!, 0)], { ...params, axis: params.axis + 1 }), [0, 0]],
  printParams: (p) => `k=${p.k} axis=${p.axis}`
}
