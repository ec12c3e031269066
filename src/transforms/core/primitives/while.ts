/**
 * while: loop while a predicate jaxpr holds. Forward-mode differentiable and batchable; like
 * JAX, it has no transpose (reverse mode needs a known trip count: use scan / foriLoop).
 */
import { ShapedArray } from "../aval.js"
import { TransformArgumentError } from "../errors.js"
import { ClosedJaxpr, evalClosed, traceToJaxpr } from "../jaxpr.js"
import type { BatchDim, PrimitiveDef } from "../primitive.js"
import { ConcreteTensor, Tensor } from "../Tensor.js"
import { bind } from "../trace.js"
import { jvpFlat } from "../jvp.js"
import { vmapFlat } from "../batching.js"
import * as lax from "../lax.js"
import { instantiate, moveBatchToFront } from "./families.js"

export interface WhileParams {
  readonly condJaxpr: ClosedJaxpr
  readonly bodyJaxpr: ClosedJaxpr
  readonly condNConsts: number
  readonly bodyNConsts: number
}

export const while_loop: PrimitiveDef<WhileParams> = {
  name: "while",
  impl: (args, p) => {
    const cc = args.slice(0, p.condNConsts)
    const bc = args.slice(p.condNConsts, p.condNConsts + p.bodyNConsts)
    let carry: Tensor[] = args.slice(p.condNConsts + p.bodyNConsts)
    for (;;) {
      const pred = evalClosed(p.condJaxpr, [...cc, ...carry])[0] as ConcreteTensor
      if (pred.item() === 0) break
      carry = evalClosed(p.bodyJaxpr, [...bc, ...carry])
    }
    return carry as ConcreteTensor[]
  },
  abstractEval: (avals, p) => {
    const carry = avals.slice(p.condNConsts + p.bodyNConsts)
    const pred = p.condJaxpr.outAvals
    if (pred.length !== 1 || pred[0]!.dtype !== "bool" || pred[0]!.ndim !== 0) {
      throw new TransformArgumentError({ transform: "jax.lax.whileLoop", message: `jax.lax.whileLoop: condFn must return a bool scalar, got (${pred.join(", ")}). Compare with jnp.less(...) etc.` })
    }
    const out = p.bodyJaxpr.outAvals
    if (out.length !== carry.length || out.some((a, i) => !a.equals(carry[i]!))) {
      throw new TransformArgumentError({
        transform: "jax.lax.whileLoop",
        message: `jax.lax.whileLoop: bodyFn changed the loop value's type: (${carry.join(", ")}) in, (${out.join(", ")}) out. It must keep shapes and dtypes.`
      })
    }
    return carry
  },
  jvp: (primals, tangents, p) => {
    const nc = p.condNConsts
    const nb = p.bodyNConsts
    const bc = primals.slice(nc, nc + nb)
    const carry = primals.slice(nc + nb)
    const bct = tangents.slice(nc, nc + nb).map((t, i) => instantiate(t ?? null, bc[i]!))
    const kt = tangents.slice(nc + nb).map((t, i) => instantiate(t ?? null, carry[i]!))
    const nk = carry.length
    const bodyAvals = p.bodyJaxpr.inAvals
    // body: [bodyConsts, bodyConstsDot, carry, carryDot] -> [carry, carryDot]
    const jvpBody = traceToJaxpr(
      (...a: Tensor[]) => {
        const c = a.slice(0, nb)
        const cd = a.slice(nb, 2 * nb)
        const k = a.slice(2 * nb, 2 * nb + nk)
        const kd = a.slice(2 * nb + nk)
        const [po, to] = jvpFlat((...xs) => evalClosed(p.bodyJaxpr, xs), [...c, ...k], [...cd, ...kd], "jax.lax.whileLoop")
        return [...po, ...to]
      },
      [...bodyAvals.slice(0, nb), ...bodyAvals.slice(0, nb), ...bodyAvals.slice(nb), ...bodyAvals.slice(nb)],
      "jax.lax.whileLoop (jvp)"
    ).closed
    const condAvals = p.condJaxpr.inAvals
    const jvpCond = traceToJaxpr((...a: Tensor[]) => evalClosed(p.condJaxpr, [...a.slice(0, nc), ...a.slice(nc, nc + nk)]), [...condAvals, ...condAvals.slice(nc)], "jax.lax.whileLoop (jvp)").closed
    const outs = bind(while_loop, [...primals.slice(0, nc), ...bc, ...bct, ...carry, ...kt], { condJaxpr: jvpCond, bodyJaxpr: jvpBody, condNConsts: nc, bodyNConsts: 2 * nb })
    return [outs.slice(0, nk), outs.slice(nk)]
  },
  // Reached when reverse mode (grad, vjp) transposes the loop's tangent part: the trip count is
  // not known ahead, so there is no tape to run backwards. JAX raises here too.
  transpose: () => {
    throw new TransformArgumentError({
      transform: "jax.lax.whileLoop",
      message:
        "jax.lax.whileLoop: reverse-mode differentiation (jax.grad, jax.vjp, jax.valueAndGrad) does not work through a while loop, whose trip count is not known ahead. " +
        "Use jax.lax.scan, or jax.lax.foriLoop with number bounds (it lowers to scan); forward mode (jax.jvp) works."
    })
  },
  batch: (vals, dims, p, axisSize) => {
    const nc = p.condNConsts
    const nb = p.bodyNConsts
    const front = vals.map((v, i) => (dims[i] === null ? v : lax.moveAxis(v, dims[i]!, 0)))
    const carryDims = dims.slice(nc + nb)
    const anyBatched = dims.some((d) => d !== null)
    const carry = front.slice(nc + nb).map((v, i) => (anyBatched ? moveBatchToFront(v, carryDims[i] === null ? null : 0, axisSize) : v))
    const cDims: BatchDim[] = dims.slice(0, nc).map((d) => (d === null ? null : 0))
    const bDims: BatchDim[] = dims.slice(nc, nc + nb).map((d) => (d === null ? null : 0))
    const kDims: BatchDim[] = carry.map(() => 0)
    const bav = (a: ShapedArray, d: BatchDim) => (d === null ? a : new ShapedArray([axisSize, ...a.shape], a.dtype))
    const condB = traceToJaxpr(
      (...a: Tensor[]) => vmapFlat((...xs) => evalClosed(p.condJaxpr, xs), axisSize, [...cDims, ...kDims], () => [0], a),
      p.condJaxpr.inAvals.map((a, i) => bav(a, [...cDims, ...kDims][i]!)),
      "jax.lax.whileLoop (vmap)"
    ).closed
    // keep iterating while any example's predicate holds; finished examples keep their value
    const anyCond = traceToJaxpr(
      (...a: Tensor[]) => {
        const pr = evalClosed(condB, a)[0]!
        return [lax.gt(lax.reduceMax(lax.convertElementType(pr, "int32"), [0]), lax.scalar(0, "int32"))]
      },
      condB.inAvals,
      "jax.lax.whileLoop (vmap)"
    ).closed
    const bodyB = traceToJaxpr(
      (...a: Tensor[]) => {
        const cc = a.slice(0, nc)
        const bc = a.slice(nc, nc + nb)
        const k = a.slice(nc + nb)
        const pr = evalClosed(condB, [...cc, ...k])[0]!
        const next = vmapFlat((...xs) => evalClosed(p.bodyJaxpr, xs), axisSize, [...bDims, ...kDims], () => k.map(() => 0), [...bc, ...k])
        return next.map((n, i) => lax.selectN(lax.broadcastInDim(pr, n.shape, [0]), k[i]!, n))
      },
      [...p.condJaxpr.inAvals.slice(0, nc).map((a, i) => bav(a, cDims[i]!)), ...p.bodyJaxpr.inAvals.map((a, i) => bav(a, [...bDims, ...kDims][i]!))],
      "jax.lax.whileLoop (vmap)"
    ).closed
    const consts = front.slice(0, nc + nb)
    const outs = bind(while_loop, [...consts, ...consts, ...carry], {
      condJaxpr: traceToJaxpr((...a: Tensor[]) => evalClosed(anyCond, [...a.slice(0, nc), ...a.slice(nc + nb)]), bodyB.inAvals, "jax.lax.whileLoop (vmap)").closed,
      bodyJaxpr: bodyB,
      condNConsts: nc + nb,
      bodyNConsts: nc + nb
    })
    return [outs, outs.map(() => 0)]
  },
  printParams: (p) => `body_nconsts=${p.bodyNConsts} cond_nconsts=${p.condNConsts}`,
  subJaxprs: (p) => [{ name: "cond_jaxpr", jaxpr: p.condJaxpr }, { name: "body_jaxpr", jaxpr: p.bodyJaxpr }]
}
