/** `reshape`: reshape (no kernel: same storage); linear. JAX: `lax.reshape_p`. */
import { ShapedArray } from "../aval.js"
import { shapeError } from "../errors.js"
import type { PrimitiveDef } from "../primitive.js"
import { bind1 } from "../trace.js"
import * as lax from "../lax.js"
import * as K from "../../../kernels/index.js"
import { sizeOf } from "../../../kernels/dtype.js"
import { linearJvp, wrap } from "./families.js"
import { avalOf } from "./families.js"

export const reshape: PrimitiveDef<{ newSizes: number[] }> = {
  name: "reshape",
  impl: ([x], { newSizes }) => [wrap(K.reshape(x!.host, newSizes))],
  abstractEval: ([x], { newSizes }) => {
    if (newSizes.some((d) => !Number.isInteger(d) || d < 0) || sizeOf(newSizes) !== x!.size) {
      throw shapeError("reshape", `cannot reshape ${x!.toString()} (size ${x!.size}) into shape [${newSizes.join(",")}] (size ${sizeOf(newSizes)}); the sizes must match.`)
    }
    return [new ShapedArray(newSizes, x!.dtype)]
  },
  jvp: linearJvp(() => reshape),
  transpose: (cts, [x]) => [cts[0] ? lax.reshape(cts[0], avalOf(x).shape) : null],
  batch: ([x], [d], { newSizes }) => {
    const xm = lax.moveAxis(x!, d!, 0)
    return [[bind1(reshape, [xm], { newSizes: [xm.shape[0]!, ...newSizes] })], [0]]
  },
  printParams: (p) => `dimensions=None new_sizes=(${p.newSizes.join(", ")}${p.newSizes.length === 1 ? "," : ""})`
}
