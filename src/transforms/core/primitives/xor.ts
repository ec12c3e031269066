/** `xor`: logical / bitwise xor. JAX: `lax.xor_p`. */
import { zeroJvp } from "./families.js"
import { BITS, make } from "./binary.js"

export const xor = make("xor", BITS, zeroJvp)
