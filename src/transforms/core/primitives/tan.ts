/** `tan`: elementwise tangent; JVP t·(1 + y²). JAX: `lax.tan_p`. */
import * as lax from "../lax.js"
import { c, smooth } from "./unary.js"

export const tan = smooth("tan", (x, y) => lax.add(c(x, 1), lax.mul(y, y)))
