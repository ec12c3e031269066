/** `sign`: elementwise sign; zero tangent. JAX: `lax.sign_p`. */
import { NUM, flat } from "./unary.js"

export const sign = flat("sign", NUM)
