/** `rsqrt`: elementwise 1/√x; JVP -t·y/(2x). JAX: `lax.rsqrt_p`. */
import * as lax from "../lax.js"
import { c, smooth } from "./unary.js"

export const rsqrt = smooth("rsqrt", (x, y) => lax.mul(c(x, -0.5), lax.div(y, x)))
