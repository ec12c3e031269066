/** `abs`: elementwise |x|; JVP t·sign(x). JAX: `lax.abs_p`. */
import * as lax from "../lax.js"
import { NUM, smooth } from "./unary.js"

export const abs = smooth("abs", (x) => lax.sign(x), NUM)
