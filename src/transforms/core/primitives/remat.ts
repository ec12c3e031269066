/** `remat`: checkpoint: run a jaxpr, and in reverse mode recompute its values instead of storing them. JAX: `jax.checkpoint (remat_p)`. */
import { ShapedArray } from "../aval.js"
import { ClosedJaxpr, evalClosed, traceToJaxpr } from "../jaxpr.js"
import type { PrimitiveDef } from "../primitive.js"
import { UndefPrimal } from "../primitive.js"
import { ConcreteTensor, Tensor } from "../Tensor.js"
import { bind } from "../trace.js"
import { vmapFlat } from "../batching.js"
import { backwardPass } from "../transpose.js"
import * as lax from "../lax.js"
import { instantiate, isUndef } from "./families.js"
import { tangentBranch } from "./cond.js"

/** remat: run a jaxpr, and in reverse mode recompute its primal values instead of storing them. */
export const remat: PrimitiveDef<{ jaxpr: ClosedJaxpr }> = {
  name: "checkpoint",
  impl: (ops, { jaxpr }) => evalClosed(jaxpr, ops) as ConcreteTensor[],
  abstractEval: (_avals, { jaxpr }) => jaxpr.outAvals,
  jvp: (ops, tangents, { jaxpr }) => {
    const ts = tangents.map((t, i) => instantiate(t ?? null, ops[i]!))
    const primalsOut = bind(remat, ops, { jaxpr })
    const tangentsOut = bind(remat, [...ops, ...ts], { jaxpr: tangentBranch(jaxpr, ops.length) })
    return [primalsOut, tangentsOut]
  },
  transpose: (cts, ops, { jaxpr }) => {
    const lin = ops.map(isUndef)
    const known = ops.filter((o) => !isUndef(o)) as Tensor[]
    const outAvals = jaxpr.outAvals
    const t = traceToJaxpr(
      (...a: Tensor[]) => {
        let k = 0
        const args = lin.map((l, i) => (l ? new UndefPrimal(jaxpr.inAvals[i]!) : a[k++]!))
        const res = backwardPass(jaxpr.jaxpr, jaxpr.consts, args, a.slice(known.length))
        return res.map((r, i) => (lin[i] ? instantiate(r, jaxpr.inAvals[i]!) : null)).filter((r): r is Tensor => r !== null)
      },
      [...known.map((x) => x.aval), ...outAvals],
      "jax.checkpoint (transpose)"
    ).closed
    const outs = bind(remat, [...known, ...outAvals.map((a, i) => instantiate(cts[i] ?? null, a))], { jaxpr: t })
    let j = 0
    return lin.map((l) => (l ? outs[j++]! : null))
  },
  batch: (ops, dims, { jaxpr }, axisSize) => {
    const nOut = jaxpr.outAvals.length
    const front = ops.map((o, i) => (dims[i] === null ? o : lax.moveAxis(o, dims[i]!, 0)))
    const inDims = dims.map((d) => (d === null ? null : 0))
    const batched = traceToJaxpr(
      (...a: Tensor[]) => vmapFlat((...xs) => evalClosed(jaxpr, xs), axisSize, inDims, () => new Array(nOut).fill(0), a),
      jaxpr.inAvals.map((a, i) => (inDims[i] === null ? a : new ShapedArray([axisSize, ...a.shape], a.dtype))),
      "jax.checkpoint (vmap)"
    ).closed
    return [bind(remat, front, { jaxpr: batched }), new Array(nOut).fill(0)]
  },
  printParams: () => "",
  subJaxprs: (p) => [{ name: "jaxpr", jaxpr: p.jaxpr }]
}
