/** `not`: elementwise logical / bitwise not; zero tangent. JAX: `lax.not_p`. */
import { flat } from "./unary.js"

export const not = flat("not", ["bool", "int32", "uint32"])
