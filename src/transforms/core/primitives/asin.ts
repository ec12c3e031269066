/** `asin`: elementwise arcsine; JVP t/√(1 - x²). JAX: `lax.asin_p`. */
import * as lax from "../lax.js"
import { c, smooth } from "./unary.js"

export const asin = smooth("asin", (x) => lax.rsqrt(lax.sub(c(x, 1), lax.mul(x, x))))
