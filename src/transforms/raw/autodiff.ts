/** `jax.jvp`, `jax.linearize`, `jax.vjp`, `jax.grad`, `jax.valueAndGrad`, over pytrees. */
import { jvpFlat } from "../core/jvp.js"
import { Effect } from "effect"
import { JaxprBuilder, JaxprTrace, JaxprTracer, evalClosed, type ClosedJaxpr } from "../core/jaxpr.js"
import { backwardPass } from "../core/transpose.js"
import { UndefPrimal } from "../core/primitive.js"
import { Tensor } from "../core/Tensor.js"
import { newMain } from "../core/trace.js"
import * as tree from "../core/tree.js"
import * as lax from "../core/lax.js"
import { TransformArgumentError } from "../core/errors.js"
import { callBody, finish } from "./effectful.js"
import { flattenTensors } from "./args.js"
import type { GradResult, Pure, ValueAndGradResult } from "./purity.js"

const argErr = (transform: string, message: string) => new TransformArgumentError({ transform, message: `${transform}: ${message}` })

/** Flatten and trace `f` with the given flat inputs, recording the output structure. */
const flatFn = (f: (...a: any[]) => unknown, inDef: tree.TreeDef, name: string, seen: { effectful: boolean }, out: { def?: tree.TreeDef }) =>
  (...xs: Tensor[]): Tensor[] => {
    const value = callBody(f, tree.unflatten<unknown[]>(inDef, xs), name, seen)
    const [leaves, def] = flattenTensors(value, name, "output")
    out.def = def
    return leaves
  }

/**
 * Forward mode: the outputs of `f` at `primals` and their directional derivatives along `tangents`.
 *
 * JAX: `jax.jvp`.
 *
 * @example
 * // the derivative of sin at x along the direction t: cos(x) * t
 * const [y, dy] = jax.jvp(jnp.sin, [jnp.array([0, 1])], [jnp.ones([2])])
 * @typeParam F - the function's type, inferred; it must be pure (no Haiku services: use `hk.jvp`)
 */
export const jvp = <F extends (...args: any[]) => any>(f: Pure<F, "jax.jvp">, primals: ReadonlyArray<unknown>, tangents: ReadonlyArray<unknown>): [any, any] => {
  const seen = { effectful: false }
  return finish(seen, () => {
    const [p, pDef] = flattenTensors(primals, "jax.jvp")
    const [t, tDef] = flattenTensors(tangents, "jax.jvp")
    if (!tree.treeEqual(pDef, tDef)) throw argErr("jax.jvp", `primals ${tree.showTreeDef(pDef)} and tangents ${tree.showTreeDef(tDef)} have different structures.`)
    p.forEach((x, i) => {
      if (!x.aval.equals(t[i]!.aval)) throw argErr("jax.jvp", `primal ${x.aval} and tangent ${t[i]!.aval} differ in shape or dtype at leaf ${i}.`)
    })
    const out: { def?: tree.TreeDef } = {}
    const [po, to] = jvpFlat(flatFn(f as F, pDef, "jax.jvp", seen, out), p, t)
    return [tree.unflatten(out.def!, po), tree.unflatten(out.def!, to)] as [any, any]
  }) as [any, any]
}

/** Primal outputs and the linear map (a jaxpr of tangent operations) at `primals`. */
export const linearizeFlat = (f: (...xs: Tensor[]) => Tensor[], primals: ReadonlyArray<Tensor>, transform: string): [Tensor[], ClosedJaxpr] => {
  const builder = new JaxprBuilder()
  return newMain(JaxprTrace, transform, builder, (main) => {
    const trace = new JaxprTrace(main)
    const tangentsIn = primals.map((p) => {
      const t = builder.newTracer(trace, p.aval)
      builder.addVar(t)
      return t
    })
    const [primalsOut, tangentsOut] = jvpFlat(f, primals, tangentsIn, transform)
    const outTracers = tangentsOut.map((t) => trace.fullRaise(t) as JaxprTracer)
    return [primalsOut, builder.build(tangentsIn, outTracers)]
  })
}

/** Reverse mode on flat lists: outputs and a function from output cotangents to input cotangents. */
export const vjpFlat = (f: (...xs: Tensor[]) => Tensor[], primals: ReadonlyArray<Tensor>, transform: string): [Tensor[], (cts: ReadonlyArray<Tensor | null>) => Tensor[]] => {
  const [out, linear] = linearizeFlat(f, primals, transform)
  const back = (cts: ReadonlyArray<Tensor | null>): Tensor[] => {
    const undefs = linear.jaxpr.invars.map((v) => new UndefPrimal(v.aval))
    const res = backwardPass(linear.jaxpr, linear.consts, undefs, cts)
    return res.map((r, i) => r ?? lax.zerosLike(primals[i]!.aval))
  }
  return [out, back]
}

/**
 * The outputs of `f` at `primals` and the function that maps the linearised tangents.
 *
 * JAX: `jax.linearize`.
 *
 * @example
 * const [y, fJvp] = jax.linearize((v: Tensor) => jnp.multiply(v, v), jnp.array([3]))
 * fJvp(jnp.array([1])) // [6]: the derivative at 3, with no re-linearisation
 * @typeParam F - the function's type, inferred; it must be pure
 */
export const linearize = <F extends (...args: any[]) => any>(f: Pure<F, "jax.linearize">, ...primals: Parameters<F>): [ReturnType<F>, (...tangents: Parameters<F>) => ReturnType<F>] => {
  const seen = { effectful: false }
  const [p, pDef] = flattenTensors(primals, "jax.linearize")
  const out: { def?: tree.TreeDef } = {}
  const [po, linear] = linearizeFlat(flatFn(f as F, pDef, "jax.linearize", seen, out), p, "jax.linearize")
  const fJvp = (...tangents: unknown[]) => {
    const [t] = flattenTensors(tangents, "jax.linearize")
    return tree.unflatten(out.def!, evalClosed(linear, t))
  }
  return [tree.unflatten(out.def!, po), fJvp as any]
}

/**
 * Reverse mode: the outputs of `f` and a function from output cotangents to argument cotangents.
 *
 * JAX: `jax.vjp`.
 *
 * @example
 * const [y, pullback] = jax.vjp((a: Tensor, b: Tensor) => jnp.multiply(a, b), jnp.array([2]), jnp.array([5]))
 * const [da, db] = pullback(jnp.ones([1])) // [5], [2]
 * @typeParam F - the function's type, inferred; it must be pure
 */
export const vjp = <F extends (...args: any[]) => any>(f: Pure<F, "jax.vjp">, ...primals: Parameters<F>): [ReturnType<F>, (ct: unknown) => any[]] => {
  const seen = { effectful: false }
  const [p, pDef] = flattenTensors(primals, "jax.vjp")
  const out: { def?: tree.TreeDef } = {}
  const [po, back] = vjpFlat(flatFn(f as F, pDef, "jax.vjp", seen, out), p, "jax.vjp")
  const fVjp = (ct: unknown) => {
    const [cts, ctDef] = flattenTensors(ct, "jax.vjp")
    if (!tree.treeEqual(ctDef, out.def!)) throw argErr("jax.vjp", `the cotangent's structure ${tree.showTreeDef(ctDef)} differs from the output's ${tree.showTreeDef(out.def!)}.`)
    cts.forEach((c, i) => {
      if (!c.aval.equals(po[i]!.aval)) throw argErr("jax.vjp", `cotangent ${c.aval} does not match output ${po[i]!.aval} at leaf ${i}.`)
    })
    return tree.unflatten<any[]>(pDef, back(cts))
  }
  return [tree.unflatten(out.def!, po), fVjp]
}

/** Options of `jax.grad` and `jax.valueAndGrad`, as JAX's keyword arguments. */
export interface GradOptions {
  /** Which positional argument(s) to differentiate with respect to. Default 0. */
  readonly argnums?: number | ReadonlyArray<number>
  /** `f` returns `[loss, aux]`; the aux value is passed through. */
  readonly hasAux?: boolean
}

const valueAndGradImpl = (f: (...args: any[]) => any, options: GradOptions, name: string) => (...args: any[]) => {
  const seen = { effectful: false }
  return finish(seen, () => {
    const argnums = options.argnums ?? 0
    const nums = typeof argnums === "number" ? [argnums] : [...argnums]
    for (const n of nums) {
      if (!Number.isInteger(n) || n < 0 || n >= args.length) throw argErr(name, `argnums ${JSON.stringify(argnums)} refers to argument ${n}, but the function was called with ${args.length} argument(s).`)
    }
    const diffArgs = nums.map((n) => args[n])
    const [flat, def] = flattenTensors(diffArgs, name)
    flat.forEach((x, i) => {
      if (x.dtype !== "float32") {
        throw argErr(name, `${name} requires float32 inputs, but leaf ${i} of the differentiated arguments is ${x.aval}. Cast it with astype("float32"), or move it out of argnums.`)
      }
    })
    // aux tensors leave the trace as extra outputs (with zero cotangents), so they never leak
    let auxDef: tree.TreeDef | null = null
    let auxLeaves: unknown[] = []
    let outDef: tree.TreeDef | null = null
    const g = (...xs: Tensor[]): Tensor[] => {
      const diff = tree.unflatten<unknown[]>(def, xs)
      const full = [...args]
      nums.forEach((n, i) => (full[n] = diff[i]))
      let value = callBody(f, full, name, seen)
      let auxTensors: Tensor[] = []
      if (options.hasAux) {
        if (!Array.isArray(value) || value.length !== 2) throw argErr(name, "with hasAux the function must return [loss, aux].")
        const [leaves, d] = tree.flatten(value[1])
        auxDef = d
        auxLeaves = leaves
        auxTensors = leaves.filter((l): l is Tensor => l instanceof Tensor)
        value = value[0]
      }
      const [leaves, d] = flattenTensors(value, name, "output")
      outDef = d
      if (leaves.length !== 1 || leaves[0]!.ndim !== 0) {
        throw argErr(name, `${name} requires a scalar output, got ${leaves.length === 1 ? leaves[0]!.aval.toString() : `a pytree of ${leaves.length} leaves`}. Reduce it (jnp.sum / jnp.mean), or use jax.vjp for non-scalar outputs.`)
      }
      if (leaves[0]!.dtype !== "float32") throw argErr(name, `${name} requires a float32 output, got ${leaves[0]!.aval}.`)
      return [...leaves, ...auxTensors]
    }
    const [out, back] = vjpFlat(g, flat, name)
    const grads = tree.unflatten<unknown[]>(def, back([lax.onesLike(out[0]!.aval), ...out.slice(1).map(() => null)]))
    const gradValue = typeof argnums === "number" ? grads[0] : grads
    const value = tree.unflatten(outDef!, out.slice(0, 1))
    if (!options.hasAux) return [value, gradValue]
    let k = 1
    const aux = tree.unflatten(auxDef!, auxLeaves.map((l) => (l instanceof Tensor ? out[k++]! : l)))
    return [[value, aux], gradValue]
  })
}

/**
 * The gradient of a scalar-valued `f` with respect to argument(s) `argnums`.
 *
 * JAX: `jax.grad`.
 *
 * @example
 * jax.grad((x: Tensor) => jnp.sum(jnp.square(x)))(jnp.array([1, 2])) // [2, 4]
 * @typeParam F - the function's type, inferred; it must be pure (no Haiku services: use `hk.grad`)
 */
export const grad = <F extends (...args: any[]) => any, const O extends GradOptions = {}>(f: Pure<F, "jax.grad">, options: O = {} as O) => {
  const vg = valueAndGradImpl(f as F, options, "jax.grad")
  return (...args: Parameters<F>): GradResult<F, O> => {
    const r = vg(...args) as unknown
    // [value, grad] (or [[value, aux], grad]) -> grad (or [grad, aux])
    const pick = (v: any) => (options.hasAux ? [v[1], v[0][1]] : v[1])
    return (Effect.isEffect(r) ? Effect.map(r, pick) : pick(r)) as GradResult<F, O>
  }
}

/**
 * The value of `f` and its gradient, as `[value, grad]` (`[[value, aux], grad]` with `hasAux`).
 *
 * JAX: `jax.value_and_grad`.
 *
 * @example
 * const loss = (w: Tensor, x: Tensor) => jnp.sum(jnp.square(jnp.matmul(x, w)))
 * const [value, dw] = jax.valueAndGrad(loss)(jnp.ones([3, 1]), jnp.ones([4, 3]))
 * // with an auxiliary output: f returns [loss, aux]
 * const [[l, aux], g] = jax.valueAndGrad((w: Tensor) => [jnp.sum(w), jnp.mean(w)] as const, { hasAux: true })(jnp.ones([3]))
 * @typeParam F - the function's type, inferred; it must be pure (no Haiku services: use `hk.valueAndGrad`)
 */
export const valueAndGrad = <F extends (...args: any[]) => any, const O extends GradOptions = {}>(f: Pure<F, "jax.valueAndGrad">, options: O = {} as O) =>
  valueAndGradImpl(f as F, options, "jax.valueAndGrad") as (...args: Parameters<F>) => ValueAndGradResult<F, O>
