/** `cosh`: elementwise hyperbolic cosine; JVP t·sinh x. JAX: `lax.cosh_p`. */
import * as lax from "../lax.js"
import { smooth } from "./unary.js"

export const cosh = smooth("cosh", (x) => lax.sinh(x))
