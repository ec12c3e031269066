/** `stop_gradient`: identity whose tangent is zero. JAX: `lax.stop_gradient_p`. */
import type { PrimitiveDef } from "../primitive.js"
import { nonlinear, vectorizedBatch, zeroJvp } from "./families.js"

export const stop_gradient: PrimitiveDef = {
  name: "stop_gradient",
  impl: ([x]) => [x!],
  abstractEval: ([x]) => [x!],
  jvp: zeroJvp(() => stop_gradient),
  transpose: nonlinear,
  batch: vectorizedBatch(() => stop_gradient)
}
