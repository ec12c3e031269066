/** `reduce_sum`: sum over axes; linear, transposes to a broadcast. JAX: `lax.reduce_sum_p`. */
import { ShapedArray } from "../aval.js"
import type { PrimitiveDef } from "../primitive.js"
import { bind1 } from "../trace.js"
import { AxesParams, unreduce, make } from "./reduce.js"

export const reduce_sum: PrimitiveDef<AxesParams> = make(
  "reduce_sum",
  "sum",
  ([x], [t], params) => [[bind1(reduce_sum, [x!], params)], [t ? bind1(reduce_sum, [t], params) : null]],
  (cts, [x], { axes }) => {
    const ct = cts[0]
    const shape = (x as { aval: ShapedArray }).aval.shape
    return [ct ? unreduce(ct, shape, axes.map((a) => (a < 0 ? a + shape.length : a))) : null]
  }
)
