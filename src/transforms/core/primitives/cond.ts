/**
 * cond (n-way `switch`) and remat (checkpoint): primitives holding closed jaxprs. Their JVP
 * emits a primal call and a separate tangent call that recomputes the primal inside, so the
 * tangent call is linear in its tangent inputs and transposes branch by branch.
 */
import { TransformArgumentError, dtypeError } from "../errors.js"
import { ClosedJaxpr, evalClosed, traceToJaxpr } from "../jaxpr.js"
import type { PrimitiveDef, Tangent } from "../primitive.js"
import { UndefPrimal } from "../primitive.js"
import { ConcreteTensor, Tensor } from "../Tensor.js"
import { bind } from "../trace.js"
import { jvpFlat } from "../jvp.js"
import { batchJaxpr } from "../batching.js"
import { backwardPass } from "../transpose.js"
import * as lax from "../lax.js"
import { instantiate, isUndef, moveBatchToFront } from "./families.js"

export interface CondParams {
  readonly branches: ReadonlyArray<ClosedJaxpr>
}

/** Branch i's tangent function: (primals..., tangents...) -> tangents out. */
export const tangentBranch = (br: ClosedJaxpr, n: number): ClosedJaxpr =>
  traceToJaxpr(
    (...a: Tensor[]) => jvpFlat((...xs) => evalClosed(br, xs), a.slice(0, n), a.slice(n), "jax.lax.cond")[1],
    [...br.inAvals, ...br.inAvals],
    "jax.lax.cond (jvp)"
  ).closed

export const clampIndex = (i: number, n: number) => Math.min(Math.max(Math.trunc(i), 0), n - 1)

export const cond: PrimitiveDef<CondParams> = {
  name: "cond",
  impl: ([index, ...ops], { branches }) => evalClosed(branches[clampIndex(index!.item(), branches.length)]!, ops) as ConcreteTensor[],
  abstractEval: ([index, ...ops], { branches }) => {
    if (index!.dtype !== "int32" || index!.ndim !== 0) {
      throw dtypeError("cond", `the branch index must be an int32 scalar, got ${index!.toString()} (jax.lax.cond takes a bool scalar predicate).`)
    }
    const outs = branches[0]!.outAvals
    branches.forEach((b, k) => {
      b.inAvals.forEach((a, i) => {
        if (!a.equals(ops[i]!)) throw new TransformArgumentError({ transform: "jax.lax.cond", message: `jax.lax.cond: operand ${ops[i]} does not match branch ${k}'s input ${a}.` })
      })
      const o = b.outAvals
      if (o.length !== outs.length || o.some((a, i) => !a.equals(outs[i]!))) {
        throw new TransformArgumentError({
          transform: "jax.lax.cond",
          message: `jax.lax.cond: branches must return the same types, but branch 0 returns (${outs.join(", ")}) and branch ${k} returns (${o.join(", ")}). Make every branch return arrays of the same shapes and dtypes (cast or broadcast inside the branch).`
        })
      }
    })
    return outs
  },
  jvp: ([index, ...ops], [, ...tangents], { branches }) => {
    const n = ops.length
    const ts = tangents.map((t, i) => instantiate(t ?? null, ops[i]!))
    if (index instanceof ConcreteTensor) {
      // a known branch: differentiate it inline
      const [po, to] = jvpFlat((...xs) => evalClosed(branches[clampIndex(index.item(), branches.length)]!, xs), ops, ts, "jax.lax.cond")
      return [po, to]
    }
    const primalsOut = bind(cond, [index!, ...ops], { branches })
    const tangentsOut = bind(cond, [index!, ...ops, ...ts], { branches: branches.map((b) => tangentBranch(b, n)) })
    return [primalsOut, tangentsOut]
  },
  transpose: (cts, [index, ...ops], { branches }) => {
    if (isUndef(index)) throw new Error("cond transpose: the index cannot be linear")
    const lin = ops.map(isUndef)
    const known = ops.filter((o) => !isUndef(o)) as Tensor[]
    const outAvals = branches[0]!.outAvals
    const ctsIn = outAvals.map((a, i) => instantiate(cts[i] ?? null, a))
    const transposed = branches.map(
      (b) =>
        traceToJaxpr(
          (...a: Tensor[]) => {
            const kn = a.slice(0, known.length)
            const c = a.slice(known.length)
            let k = 0
            const args = lin.map((l, i) => (l ? new UndefPrimal(b.inAvals[i]!) : kn[k++]!))
            const res = backwardPass(b.jaxpr, b.consts, args, c)
            return res.map((r, i) => (lin[i] ? instantiate(r, b.inAvals[i]!) : null)).filter((r): r is Tensor => r !== null)
          },
          [...known.map((x) => x.aval), ...outAvals],
          "jax.lax.cond (transpose)"
        ).closed
    )
    const outs = bind(cond, [index as unknown as Tensor, ...known, ...ctsIn], { branches: transposed })
    let j = 0
    return [null, ...lin.map((l) => (l ? outs[j++]! : null))] as Tangent[]
  },
  batch: ([index, ...ops], [di, ...dops], { branches }, axisSize) => {
    const nOut = branches[0]!.outAvals.length
    const opsFront = ops.map((o, i) => (dops[i] === null ? o : lax.moveAxis(o, dops[i]!, 0)))
    const inDims = dops.map((d) => (d === null ? null : 0))
    if (di === null) {
      // an output is batched if any branch batches it; then every branch must produce it batched
      const natural = branches.map((b) => batchJaxpr(b, axisSize, inDims, new Array(nOut).fill(false), "jax.lax.cond (vmap)").outBatched)
      const force = new Array(nOut).fill(false).map((_, j) => natural.some((n) => n[j]))
      const batched = branches.map((b) => batchJaxpr(b, axisSize, inDims, force, "jax.lax.cond (vmap)").jaxpr)
      return [bind(cond, [index!, ...opsFront], { branches: batched }), force.map((f) => (f ? 0 : null))]
    }
    // a batched index: run every branch on the batch, then select per example
    const idx = moveBatchToFront(index!, di!, axisSize)
    const all = new Array(nOut).fill(true)
    const results = branches.map((b) => evalClosed(batchJaxpr(b, axisSize, inDims, all, "jax.lax.cond (vmap)").jaxpr, opsFront))
    const outs = results[0]!.map((_, j) => {
      let out = results[0]![j]!
      for (let k = 1; k < branches.length; k++) {
        const pick = lax.broadcastInDim(lax.eq(idx, lax.scalar(k, "int32")), out.shape, [0])
        out = lax.selectN(pick, out, results[k]![j]!)
      }
      return out
    })
    return [outs, new Array(nOut).fill(0)]
  },
  printParams: () => "",
  subJaxprs: (p) => p.branches.map((b, i) => ({ name: `branch${i}`, jaxpr: b }))
}
