/** `and`: logical / bitwise and. JAX: `lax.and_p`. */
import { zeroJvp } from "./families.js"
import { BITS, make } from "./binary.js"

export const and = make("and", BITS, zeroJvp)
