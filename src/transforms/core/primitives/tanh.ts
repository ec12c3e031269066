/** `tanh`: elementwise tanh; JVP t·(1 - y²). JAX: `lax.tanh_p`. */
import * as lax from "../lax.js"
import { c, smooth } from "./unary.js"

export const tanh = smooth("tanh", (x, y) => lax.sub(c(x, 1), lax.mul(y, y)))
