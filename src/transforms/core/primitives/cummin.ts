/** `cummin`: running minimum along an axis; JVP through the prefix scan of min. JAX: `lax.cummin_p`. */
import * as lax from "../lax.js"
import { make, nonlinear, scanJvp } from "./cumulative.js"

export const cummin = make("cummin", scanJvp((a, b) => lax.min(a, b)), nonlinear)
