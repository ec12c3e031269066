/** `pow`: x^y with broadcasting. JAX: `lax.pow_p`. */
import * as lax from "../lax.js"
import { F, make, smooth, c } from "./binary.js"

export const pow = make(
  "pow",
  F,
  smooth(
    (x, y) => lax.mul(y, lax.pow(x, lax.sub(y, c(y, 1)))),
    (x, _y, o) => {
      const safe = lax.selectN(lax.eq(x, c(x, 0)), x, lax.onesLike(x))
      return lax.mul(o, lax.log(safe))
    }
  )
)
