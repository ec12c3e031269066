/** `erf_inv`: elementwise inverse error function (normal sampling); JVP t·√π/2·e^(y²). JAX: `lax.erf_inv_p`. */
import * as lax from "../lax.js"
import { c, smooth } from "./unary.js"

export const erf_inv = smooth("erf_inv", (x, y) => lax.mul(c(x, Math.sqrt(Math.PI) / 2), lax.exp(lax.mul(y, y))))
