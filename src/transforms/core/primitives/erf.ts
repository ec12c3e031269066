/** `erf`: elementwise error function; JVP t·2/√π·e^(-x²). JAX: `lax.erf_p`. */
import * as lax from "../lax.js"
import { c, smooth } from "./unary.js"

export const erf = smooth("erf", (x) => lax.mul(c(x, 2 / Math.sqrt(Math.PI)), lax.exp(lax.neg(lax.mul(x, x)))))
