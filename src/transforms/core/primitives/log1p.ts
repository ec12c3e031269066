/** `log1p`: elementwise log(1 + x); JVP t/(1 + x). JAX: `lax.log1p_p`. */
import * as lax from "../lax.js"
import { c, smooth } from "./unary.js"

export const log1p = smooth("log1p", (x) => lax.div(c(x, 1), lax.add(x, c(x, 1))))
