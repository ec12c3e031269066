/** `ge`: x >= y (bool). JAX: `lax.ge_p`. */
import { nonlinear, zeroJvp } from "./families.js"
import { NUM, make } from "./binary.js"

export const ge = make("ge", NUM, zeroJvp, nonlinear, "bool")

