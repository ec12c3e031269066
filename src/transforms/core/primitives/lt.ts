/** `lt`: x < y (bool). JAX: `lax.lt_p`. */
import { nonlinear, zeroJvp } from "./families.js"
import { NUM, make } from "./binary.js"

export const lt = make("lt", NUM, zeroJvp, nonlinear, "bool")
