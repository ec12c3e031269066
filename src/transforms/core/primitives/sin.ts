/** `sin`: elementwise sine; JVP t·cos x. JAX: `lax.sin_p`. */
import * as lax from "../lax.js"
import { smooth } from "./unary.js"

export const sin = smooth("sin", (x) => lax.cos(x))
