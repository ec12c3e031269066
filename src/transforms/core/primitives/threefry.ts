/** threefry2x32: the counter-based block cipher every random number comes from. */
import { ShapedArray } from "../aval.js"
import { dtypeError, shapeError } from "../errors.js"
import type { PrimitiveDef } from "../primitive.js"
import { bind } from "../trace.js"
import * as K from "../../../kernels/index.js"
import { moveBatchToFront, nonlinear, wrap } from "./families.js"

export const threefry2x32: PrimitiveDef = {
  name: "threefry2x32",
  impl: ([k0, k1, x0, x1]) => K.threefry2x32(k0!.host, k1!.host, x0!.host, x1!.host).map(wrap),
  abstractEval: (avals) => {
    const first = avals[0]!
    for (const a of avals) {
      if (a.dtype !== "uint32") throw dtypeError("threefry2x32", `all operands must be uint32, got ${avals.map(String).join(", ")}.`)
      if (!a.equals(first)) throw shapeError("threefry2x32", `all operands must have one shape, got ${avals.map(String).join(", ")}.`)
    }
    return [new ShapedArray(first.shape, "uint32"), new ShapedArray(first.shape, "uint32")]
  },
  jvp: (primals) => [bind(threefry2x32, primals), [null, null]],
  transpose: nonlinear,
  batch: (vals, dims, _p, axisSize) => [bind(threefry2x32, vals.map((v, i) => moveBatchToFront(v, dims[i]!, axisSize))), [0, 0]]
}
