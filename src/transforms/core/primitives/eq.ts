/** `eq`: x == y (bool). JAX: `lax.eq_p`. */
import { nonlinear, zeroJvp } from "./families.js"
import { ALL, make } from "./binary.js"

export const eq = make("eq", ALL, zeroJvp, nonlinear, "bool")
