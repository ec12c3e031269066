/** `ne`: x != y (bool). JAX: `lax.ne_p`. */
import { nonlinear, zeroJvp } from "./families.js"
import { ALL, make } from "./binary.js"

export const ne = make("ne", ALL, zeroJvp, nonlinear, "bool")
