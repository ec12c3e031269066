/** `or`: logical / bitwise or. JAX: `lax.or_p`. */
import { zeroJvp } from "./families.js"
import { BITS, make } from "./binary.js"

export const or = make("or", BITS, zeroJvp)
