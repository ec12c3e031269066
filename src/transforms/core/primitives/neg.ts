/** neg: -x. Linear; its own transpose up to sign. JAX: `lax.neg_p`. */
import type { PrimitiveDef } from "../primitive.js"
import * as lax from "../lax.js"
import * as K from "../../../kernels/index.js"
import { unaryAbstractEval, unaryTranspose, vectorizedBatch, wrap, linearJvp } from "./families.js"
import { NUM } from "./unary.js"

export const neg: PrimitiveDef = {
  name: "neg",
  impl: ([x]) => [wrap(K.unary("neg", x!.host))],
  abstractEval: unaryAbstractEval("neg", NUM),
  jvp: linearJvp(() => neg),
  transpose: unaryTranspose((ct) => lax.neg(ct)),
  batch: vectorizedBatch(() => neg)
}
