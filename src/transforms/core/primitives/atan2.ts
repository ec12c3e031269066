/** `atan2`: elementwise atan2(x, y). JAX: `lax.atan2_p`. */
import * as lax from "../lax.js"
import { F, make, smooth } from "./binary.js"

export const atan2 = make(
  "atan2",
  F,
  smooth(
    (x, y) => lax.div(y, lax.add(lax.mul(x, x), lax.mul(y, y))),
    (x, y) => lax.neg(lax.div(x, lax.add(lax.mul(x, x), lax.mul(y, y))))
  )
)
