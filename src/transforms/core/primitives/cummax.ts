/** `cummax`: running maximum along an axis; JVP through the prefix scan of max. JAX: `lax.cummax_p`. */
import * as lax from "../lax.js"
import { make, nonlinear, scanJvp } from "./cumulative.js"

export const cummax = make("cummax", scanJvp((a, b) => lax.max(a, b)), nonlinear)
