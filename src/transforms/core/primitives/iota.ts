/** `iota`: the indices 0..n-1 along one dimension of a shape. JAX: `lax.iota_p`. */
import { ShapedArray } from "../aval.js"
import type { PrimitiveDef } from "../primitive.js"
import { bind1 } from "../trace.js"
import * as K from "../../../kernels/index.js"
import type { DType } from "../../../kernels/dtype.js"
import { nonlinear, wrap, zeroJvp } from "./families.js"

export const iota: PrimitiveDef<{ dtype: DType; shape: number[]; dimension: number }> = {
  name: "iota",
  impl: (_args, { dtype, shape, dimension }) => [wrap(K.iota(dtype, shape, dimension))],
  abstractEval: (_avals, { dtype, shape }) => [new ShapedArray(shape, dtype)],
  jvp: zeroJvp(() => iota),
  transpose: nonlinear,
  batch: (_v, _d, params) => [[bind1(iota, [], params)], [null]]
}
