/** `sqrt`: elementwise √x; JVP t/(2y). JAX: `lax.sqrt_p`. */
import * as lax from "../lax.js"
import { c, smooth } from "./unary.js"

export const sqrt = smooth("sqrt", (x, y) => lax.div(c(x, 0.5), y))
