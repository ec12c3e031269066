/** `reduce_max`: max over axes; JVP averages the tangent over the maxima. JAX: `lax.reduce_max_p`. */
import type { PrimitiveDef } from "../primitive.js"
import { nonlinear } from "./families.js"
import { AxesParams, make, chooserJvp } from "./reduce.js"

export const reduce_max: PrimitiveDef<AxesParams> = make("reduce_max", "max", chooserJvp(() => reduce_max), nonlinear)
