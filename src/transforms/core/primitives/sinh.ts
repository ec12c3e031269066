/** `sinh`: elementwise hyperbolic sine; JVP t·cosh x. JAX: `lax.sinh_p`. */
import * as lax from "../lax.js"
import { smooth } from "./unary.js"

export const sinh = smooth("sinh", (x) => lax.cosh(x))
