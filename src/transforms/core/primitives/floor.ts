/** `floor`: elementwise floor; zero tangent. JAX: `lax.floor_p`. */
import { F, flat } from "./unary.js"

export const floor = flat("floor", F)
