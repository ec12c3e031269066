/** `gt`: x > y (bool). JAX: `lax.gt_p`. */
import { nonlinear, zeroJvp } from "./families.js"
import { NUM, make } from "./binary.js"

export const gt = make("gt", NUM, zeroJvp, nonlinear, "bool")
