/** `mul`: x · y with broadcasting; bilinear. JAX: `lax.mul_p`. */
import type { Tensor } from "../Tensor.js"
import * as lax from "../lax.js"
import { isUndef } from "./families.js"
import { NUM, make, smooth } from "./binary.js"

export const mul = make(
  "mul",
  NUM,
  smooth((_x, y) => y, (x) => x),
  (cts, [x, y]) => {
    const ct = cts[0] ?? null
    if (ct === null) return [null, null]
    if (isUndef(x) && isUndef(y)) throw new Error("mul transpose: both operands are linear (the jaxpr is not linear)")
    return [
      isUndef(x) ? lax.unbroadcast(lax.mul(ct, y as unknown as Tensor), x.aval.shape) : null,
      isUndef(y) ? lax.unbroadcast(lax.mul(x as unknown as Tensor, ct), y.aval.shape) : null
    ]
  }
)
