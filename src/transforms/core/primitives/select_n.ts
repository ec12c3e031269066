/** `select_n`: select_n(pred, onFalse, onTrue): elementwise choice; linear in the two cases. JAX: `lax.select_n_p`. */
import { ShapedArray } from "../aval.js"
import { dtypeError } from "../errors.js"
import type { PrimitiveDef } from "../primitive.js"
import type { Tensor } from "../Tensor.js"
import { bind1 } from "../trace.js"
import * as lax from "../lax.js"
import * as K from "../../../kernels/index.js"
import { broadcastingBatch, isUndef, wrap, instantiate } from "./families.js"
import { broadcastShapes } from "../shape.js"

export const select_n: PrimitiveDef = {
  name: "select_n",
  impl: ([p, f, t]) => [wrap(K.select(p!.host, t!.host, f!.host))],
  abstractEval: ([p, f, t]) => {
    if (p!.dtype !== "bool") throw dtypeError("select_n", `the predicate must be bool, got ${p!.toString()}; compare first (jnp.greater, …).`)
    if (f!.dtype !== t!.dtype) throw dtypeError("select_n", `the two cases ${f!.toString()} and ${t!.toString()} must share a dtype.`)
    return [new ShapedArray(broadcastShapes("select_n", [p!.shape, f!.shape, t!.shape]), f!.dtype)]
  },
  jvp: ([p, f, t], [, tf, tt]) => {
    const o = bind1(select_n, [p!, f!, t!])
    if ((tf ?? null) === null && (tt ?? null) === null) return [[o], [null]]
    return [[o], [bind1(select_n, [p!, instantiate(tf ?? null, f!), instantiate(tt ?? null, t!)])]]
  },
  transpose: (cts, [p, f, t]) => {
    const ct = cts[0] ?? null
    if (isUndef(p)) throw new Error("select_n transpose: the predicate cannot be linear")
    if (ct === null) return [null, null, null]
    const zeros = lax.zerosLike(ct)
    return [
      null,
      isUndef(f) ? lax.unbroadcast(bind1(select_n, [p as unknown as Tensor, ct, zeros]), f.aval.shape) : null,
      isUndef(t) ? lax.unbroadcast(bind1(select_n, [p as unknown as Tensor, zeros, ct]), t.aval.shape) : null
    ]
  },
  batch: broadcastingBatch(() => select_n)
}
