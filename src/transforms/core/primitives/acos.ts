/** `acos`: elementwise arccosine; JVP -t/√(1 - x²). JAX: `lax.acos_p`. */
import * as lax from "../lax.js"
import { c, smooth } from "./unary.js"

export const acos = smooth("acos", (x) => lax.neg(lax.rsqrt(lax.sub(c(x, 1), lax.mul(x, x)))))
