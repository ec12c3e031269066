/** `argmin`: index of the minimum along one axis. JAX: `lax.argmin_p`. */
import { makeArg } from "./reduce.js"

export const argmin = makeArg("argmin")
