/** `expm1`: elementwise e^x - 1; JVP t·e^x. JAX: `lax.expm1_p`. */
import * as lax from "../lax.js"
import { c, smooth } from "./unary.js"

export const expm1 = smooth("expm1", (x, y) => lax.add(y, c(x, 1)))
