/** `cos`: elementwise cosine; JVP -t·sin x. JAX: `lax.cos_p`. */
import * as lax from "../lax.js"
import { smooth } from "./unary.js"

export const cos = smooth("cos", (x) => lax.neg(lax.sin(x)))
