/** `div`: x / y with broadcasting; linear in x. JAX: `lax.div_p`. */
import type { Tensor } from "../Tensor.js"
import * as lax from "../lax.js"
import { isUndef } from "./families.js"
import { NUM, make, smooth, c } from "./binary.js"

export const div = make(
  "div",
  NUM,
  smooth((_x, y) => lax.div(c(y, 1), y), (_x, y, o) => lax.neg(lax.div(o, y))),
  (cts, [x, y]) => {
    const ct = cts[0] ?? null
    if (isUndef(y)) throw new Error("div transpose: the divisor is linear (the jaxpr is not linear)")
    return [isUndef(x) && ct !== null ? lax.unbroadcast(lax.div(ct, y as unknown as Tensor), x.aval.shape) : null, null]
  }
)
