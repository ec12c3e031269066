/** `log`: elementwise natural log; JVP t/x. JAX: `lax.log_p`. */
import * as lax from "../lax.js"
import { c, smooth } from "./unary.js"

export const log = smooth("log", (x) => lax.div(c(x, 1), x))
