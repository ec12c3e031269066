/** `round`: elementwise round half away from zero; zero tangent. JAX: `lax.round_p`. */
import { F, flat } from "./unary.js"

export const round = flat("round", F)
