/** `atan`: elementwise arctangent; JVP t/(1 + x²). JAX: `lax.atan_p`. */
import * as lax from "../lax.js"
import { c, smooth } from "./unary.js"

export const atan = smooth("atan", (x) => lax.div(c(x, 1), lax.add(c(x, 1), lax.mul(x, x))))
