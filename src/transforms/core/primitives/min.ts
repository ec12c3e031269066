/** `min`: elementwise minimum; ties split the tangent evenly. JAX: `lax.min_p`. */
import * as lax from "../lax.js"
import { NUM, make, minmaxJvp } from "./binary.js"

export const min = make("min", NUM, minmaxJvp((x, y) => lax.lt(x, y)))
