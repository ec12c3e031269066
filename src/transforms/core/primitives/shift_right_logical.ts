/** `shift_right_logical`: integer logical shift right. JAX: `lax.shift_right_logical_p`. */
import { zeroJvp } from "./families.js"
import { make } from "./binary.js"

export const shift_right_logical = make("shift_right_logical", ["int32", "uint32"], zeroJvp)
