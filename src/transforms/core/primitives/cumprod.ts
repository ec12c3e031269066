/** `cumprod`: cumulative product along an axis; JVP through the prefix scan of mul. JAX: `lax.cumprod_p`. */
import * as lax from "../lax.js"
import { make, nonlinear, scanJvp } from "./cumulative.js"

export const cumprod = make("cumprod", scanJvp((a, b) => lax.mul(a, b)), nonlinear)
