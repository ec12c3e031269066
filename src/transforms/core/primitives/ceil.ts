/** `ceil`: elementwise ceiling; zero tangent. JAX: `lax.ceil_p`. */
import { F, flat } from "./unary.js"

export const ceil = flat("ceil", F)
