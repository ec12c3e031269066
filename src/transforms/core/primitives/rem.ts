/** `rem`: remainder with the sign of x (C fmod); JVP t_x - t_y·trunc(x/y). JAX: `lax.rem_p`. */
import * as lax from "../lax.js"
import { NUM, make, smooth } from "./binary.js"

export const rem = make(
  "rem",
  NUM,
  smooth(
    (x) => lax.onesLike(x),
    (x, y) => {
      const q = lax.div(x, y)
      return lax.neg(lax.mul(lax.sign(q), lax.floor(lax.abs(q))))
    }
  )
)
