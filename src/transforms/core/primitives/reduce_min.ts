/** `reduce_min`: min over axes; JVP averages the tangent over the minima. JAX: `lax.reduce_min_p`. */
import type { PrimitiveDef } from "../primitive.js"
import { nonlinear } from "./families.js"
import { AxesParams, make, chooserJvp } from "./reduce.js"

export const reduce_min: PrimitiveDef<AxesParams> = make("reduce_min", "min", chooserJvp(() => reduce_min), nonlinear)
