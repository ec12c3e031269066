/** `le`: x <= y (bool). JAX: `lax.le_p`. */
import { nonlinear, zeroJvp } from "./families.js"
import { NUM, make } from "./binary.js"

export const le = make("le", NUM, zeroJvp, nonlinear, "bool")
