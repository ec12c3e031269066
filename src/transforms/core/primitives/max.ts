/** `max`: elementwise maximum; ties split the tangent evenly (as JAX). JAX: `lax.max_p`. */
import * as lax from "../lax.js"
import { NUM, make, minmaxJvp } from "./binary.js"

export const max = make("max", NUM, minmaxJvp((x, y) => lax.gt(x, y)))
