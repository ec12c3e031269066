/** `exp`: elementwise e^x; JVP t·e^x. JAX: `lax.exp_p`. */
import { smooth } from "./unary.js"

export const exp = smooth("exp", (_x, y) => y)
