/** `shift_left`: integer shift left. JAX: `lax.shift_left_p`. */
import { zeroJvp } from "./families.js"
import { make } from "./binary.js"

export const shift_left = make("shift_left", ["int32", "uint32"], zeroJvp)
