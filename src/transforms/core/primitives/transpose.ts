/** `transpose`: axis permutation; linear, transposes to the inverse permutation. JAX: `lax.transpose_p`. */
import { ShapedArray } from "../aval.js"
import { shapeError } from "../errors.js"
import type { PrimitiveDef } from "../primitive.js"
import { bind1 } from "../trace.js"
import * as lax from "../lax.js"
import * as K from "../../../kernels/index.js"
import { invertPerm } from "../shape.js"
import { linearJvp, wrap } from "./families.js"

export const transpose: PrimitiveDef<{ perm: number[] }> = {
  name: "transpose",
  impl: ([x], { perm }) => [wrap(K.transpose(x!.host, perm))],
  abstractEval: ([x], { perm }) => {
    const sorted = [...perm].sort((a, b) => a - b)
    if (perm.length !== x!.ndim || sorted.some((p, i) => p !== i)) {
      throw shapeError("transpose", `permutation ${JSON.stringify(perm)} is not a permutation of the axes of ${x!.toString()}.`)
    }
    return [new ShapedArray(perm.map((p) => x!.shape[p]!), x!.dtype)]
  },
  jvp: linearJvp(() => transpose),
  transpose: (cts, _args, { perm }) => [cts[0] ? lax.transpose(cts[0], invertPerm(perm)) : null],
  batch: ([x], [d], { perm }) => [[bind1(transpose, [lax.moveAxis(x!, d!, 0)], { perm: [0, ...perm.map((p) => p + 1)] })], [0]],
  printParams: (p) => `permutation=(${p.perm.join(", ")})`
}
