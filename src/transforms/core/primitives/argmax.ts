/** `argmax`: index of the maximum along one axis (first on ties, NaN is the max). JAX: `lax.argmax_p`. */
import { makeArg } from "./reduce.js"

export const argmax = makeArg("argmax")
