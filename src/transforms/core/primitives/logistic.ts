/** `logistic`: elementwise sigmoid 1/(1 + e^-x); JVP t·y·(1 - y). JAX: `lax.logistic_p`. */
import * as lax from "../lax.js"
import { c, smooth } from "./unary.js"

export const logistic = smooth("logistic", (x, y) => lax.mul(y, lax.sub(c(x, 1), y)))
