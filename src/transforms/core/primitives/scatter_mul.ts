/**
 * `scatter_mul`: multiply indexed positions along an axis by the updates (duplicates multiply
 * in turn). Linear in the operand. Its derivative in the updates is defined, as in JAX, only
 * when the indices are declared unique. JAX: `lax.scatter_mul_p` (what `x.at[i].mul(v)` binds).
 */
import { TransformArgumentError } from "../errors.js"
import type { PrimitiveDef } from "../primitive.js"
import type { Tensor } from "../Tensor.js"
import { bind1 } from "../trace.js"
import * as lax from "../lax.js"
import * as K from "../../../kernels/index.js"
import { isUndef, wrap, addTangents } from "./families.js"
import { scatterAbstractEval, scatterBatch } from "./scatter_add.js"

export type ScatterMulParams = { axis: number; uniqueIndices: boolean }

const notUnique = (): TransformArgumentError =>
  new TransformArgumentError({
    transform: "scatter_mul",
    message:
      "scatter_mul: the derivative with respect to the updates is only defined when the indices are unique " +
      "(with repeated indices an update's effect depends on the others it is multiplied with, and JAX leaves this unimplemented too). " +
      "Fix: if your indices have no repeats, say so with jnp.at(x, i).mul(v, { uniqueIndices: true }); otherwise stop the gradient of the updates."
  })

export const scatter_mul: PrimitiveDef<ScatterMulParams> = {
  name: "scatter_mul",
  impl: ([op, idx, upd], { axis }) => [wrap(K.scatter("mul", op!.host, idx!.host, upd!.host, axis))],
  abstractEval: scatterAbstractEval("scatter_mul"),
  jvp: ([op, idx, upd], [top, , tupd], params) => {
    const o = bind1(scatter_mul, [op!, idx!, upd!], params)
    const a = top ? bind1(scatter_mul, [top, idx!, upd!], params) : null
    let b: Tensor | null = null
    if (tupd) {
      if (!params.uniqueIndices) throw notUnique()
      b = lax.mul(op!, lax.scatterAdd(lax.zerosLike(op!), idx!, tupd, params.axis))
    }
    return [[o], [addTangents(a, b)]]
  },
  transpose: (cts, [op, idx, upd], params) => {
    const ct = cts[0]
    if (!ct) return [null, null, null]
    if (isUndef(op) && isUndef(upd)) throw new Error("scatter_mul transpose: operand and updates are both linear (the jaxpr is not linear)")
    if (isUndef(op)) return [bind1(scatter_mul, [ct, idx as unknown as Tensor, upd as unknown as Tensor], params), null, null]
    if (!params.uniqueIndices) throw notUnique()
    return [null, null, lax.gather(lax.mul(ct, op as unknown as Tensor), idx as unknown as Tensor, params.axis)]
  },
  batch: scatterBatch(() => scatter_mul),
  printParams: (p) => `axis=${p.axis} unique_indices=${p.uniqueIndices ? "True" : "False"}`
}
