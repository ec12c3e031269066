/**
 * `jax.lax` control flow: scan, map, cond, switch, whileLoop, foriLoop, and `jax.checkpoint`.
 * Each traces its functions to closed jaxprs held by one primitive, so transforms see one op.
 */
import { ShapedArray } from "../core/aval.js"
import { ClosedJaxpr, evalClosed, traceToJaxpr } from "../core/jaxpr.js"
import { closureConvert } from "../core/partialEval.js"
import { Tensor } from "../core/Tensor.js"
import { bind } from "../core/trace.js"
import { P } from "../core/primitives/index.js"
import * as tree from "../core/tree.js"
import * as lax from "../core/lax.js"
import { TransformArgumentError } from "../core/errors.js"
import { callBody, finish } from "./effectful.js"
import type { EffectIf, Pure, PureOut, ValueOfOut } from "./purity.js"
import { flattenTensors } from "./args.js"

const argErr = (transform: string, message: string) => new TransformArgumentError({ transform, message: `${transform}: ${message}` })

/** Trace a pytree function to a closure-converted jaxpr: its constants become leading operands. */
const traceFn = (f: (...a: any[]) => unknown, inDef: tree.TreeDef, avals: ShapedArray[], name: string, seen: { effectful: boolean } = { effectful: false }) => {
  let outDef: tree.TreeDef | null = null
  let outValue: unknown
  const { closed } = traceToJaxpr(
    (...xs: Tensor[]) => {
      outValue = callBody(f, tree.unflatten<unknown[]>(inDef, xs), name, seen)
      const [leaves, def] = flattenTensors(outValue, name, "output")
      outDef = def
      return leaves
    },
    avals,
    name
  )
  const converted = new ClosedJaxpr(closureConvert(closed), [])
  return { jaxpr: converted, consts: closed.consts as Tensor[], outDef: outDef!, outValue }
}

/**
 * Loop `f(carry, x) -> [carry, y]` over the leading axis of `xs`, returning `[carry, ys]`.
 *
 * JAX: `jax.lax.scan`.
 *
 * @example
 * // a running sum: the carry is the total so far, each step also outputs it
 * const [total, partials] = jax.lax.scan((c: Tensor, v: Tensor) => [jnp.add(c, v), jnp.add(c, v)] as const, jnp.zeros([2]), jnp.ones([5, 2]))
 * // total: [5, 5]; partials: [[1, 1], [2, 2], …, [5, 5]]
 * @typeParam F - the body's type, inferred; it must be pure (use `hk.scan` inside a transform)
 */
export const scan = <F extends (carry: any, x: any) => any>(
  f: Pure<F, "jax.lax.scan">,
  init: Parameters<F>[0],
  xs: Parameters<F>[1] | null,
  options: { length?: number; reverse?: boolean } = {}
): ReturnType<F> => {
  const seen = { effectful: false }
  return finish(seen, () => scanImpl(f as F, init, xs, options, seen)) as ReturnType<F>
}

const scanImpl = <C, X>(f: (c: C, x: X) => unknown, init: C, xs: X | null, options: { length?: number; reverse?: boolean }, seen: { effectful: boolean }): [C, unknown] => {
  const name = "jax.lax.scan"
  const [carryLeaves, carryDef] = flattenTensors(init, name)
  const [xLeaves] = xs === undefined || xs === null ? [[] as Tensor[]] : flattenTensors(xs, name)
  const lengths = new Set(xLeaves.map((x) => x.shape[0]))
  if (options.length !== undefined) lengths.add(options.length)
  if (lengths.size === 0) throw argErr(name, "give xs with a leading axis, or { length } when xs is null.")
  if (lengths.size > 1 || [...lengths][0] === undefined) {
    throw argErr(name, `the xs leaves have different leading sizes (${xLeaves.map((x) => x.aval.toString()).join(", ")}${options.length !== undefined ? `, length ${options.length}` : ""}); they must all match.`)
  }
  const length = [...lengths][0]!
  const xAvals = xLeaves.map((x) => new ShapedArray(x.shape.slice(1), x.dtype))
  const nCarry = carryLeaves.length
  const inDef = tree.structure([init, xs])
  const body = (c: C, x: X) => {
    const out = callBody(f, [c, x], name, seen) as unknown[]
    if (!Array.isArray(out) || out.length !== 2) throw argErr(name, "the body must return [newCarry, y].")
    const [, newDef] = tree.flatten(out[0])
    if (!tree.treeEqual(newDef, carryDef)) {
      throw argErr(name, `the body changed its carry's structure: ${tree.showTreeDef(carryDef)} in, ${tree.showTreeDef(newDef)} out. Return a carry with the same structure.`)
    }
    return out
  }
  const traced = traceFn(body, inDef, [...carryLeaves.map((c) => c.aval), ...xAvals], name, seen)
  traced.jaxpr.outAvals.slice(0, nCarry).forEach((a, i) => {
    if (!a.equals(carryLeaves[i]!.aval)) {
      throw argErr(name, `the body changed its carry's type: carry leaf ${i} goes in as ${carryLeaves[i]!.aval} and comes out as ${a}. The carry must keep its shape and dtype; cast or reshape inside the body.`)
    }
  })
  const outs = bind(P.scan, [...traced.consts, ...carryLeaves, ...xLeaves], {
    jaxpr: traced.jaxpr,
    numConsts: traced.consts.length,
    numCarry: nCarry,
    length,
    reverse: options.reverse ?? false
  })
  const [, yDef] = tree.flatten((traced.outValue as [unknown, unknown])[1])
  const [outCarryDef] = [carryDef]
  return [tree.unflatten<C>(outCarryDef, outs.slice(0, nCarry)), tree.unflatten(yDef, outs.slice(nCarry))]
}

/**
 * Apply `f` to each slice of `xs` along the leading axis, stacking the results.
 *
 * JAX: `jax.lax.map`.
 *
 * @example
 * jax.lax.map((x: Tensor) => jnp.sum(x), jnp.ones([4, 3])) // shape [4]
 * @typeParam F - the function's type, inferred; it must be pure (use `hk.map` inside a transform)
 */
export const map = <F extends (x: any) => any>(f: Pure<F, "jax.lax.map">, xs: Parameters<F>[0]): ReturnType<F> => {
  const seen = { effectful: false }
  return finish(seen, () => scanImpl((c: null, x: unknown) => [c, callBody(f as F, [x], "jax.lax.map", seen)], null, xs, {}, seen)[1]) as ReturnType<F>
}

/**
 * Run `branches[index](...operands)` (index clamped into range). Each branch is checked on its
 * own, so a Haiku-effectful branch is the one the compile error points at.
 *
 * JAX: `jax.lax.switch`.
 *
 * @example
 * jax.lax.switch(1, [(x: Tensor) => x, (x: Tensor) => jnp.negative(x)], jnp.ones([2])) // [-1, -1]
 * @typeParam B - the branches' types, inferred (each pure, all returning the same structure)
 */
export const switchCase = <const B extends ReadonlyArray<(...args: any[]) => any>>(
  index: Tensor | number,
  branches: { readonly [K in keyof B]: Pure<B[K], "jax.lax.switch"> },
  ...operands: Parameters<B[0]>
): EffectIf<ReturnType<B[number]>, ValueOfOut<ReturnType<B[0]>>> => switchImpl(index, branches as unknown as ReadonlyArray<(...args: any[]) => unknown>, operands, false)

const switchImpl = (index: Tensor | number, branches: ReadonlyArray<(...args: any[]) => unknown>, operands: unknown[], condNames: boolean): any => {
  const seen = { effectful: false }
  return finish(seen, () => switchTraced(index, branches, operands, condNames, seen))
}

const switchTraced = (index: Tensor | number, branches: ReadonlyArray<(...args: any[]) => unknown>, operands: unknown[], condNames: boolean, seen: { effectful: boolean }): unknown => {
  const name = condNames ? "jax.lax.cond" : "jax.lax.switch"
  if (branches.length === 0) throw argErr(name, "needs at least one branch.")
  const idx = typeof index === "number" ? lax.scalar(index, "int32") : index
  if (!(idx instanceof Tensor) || idx.ndim !== 0 || (idx.dtype !== "int32" && idx.dtype !== "bool")) {
    throw argErr(name, `the index must be an int32 scalar, got ${idx instanceof Tensor ? idx.aval.toString() : typeof idx}.`)
  }
  const [ops, def] = flattenTensors(operands, name)
  const traced = branches.map((b) => traceFn(b, def, ops.map((o) => o.aval), name, seen))
  const outs0 = traced[0]!.jaxpr.outAvals
  traced.forEach((t, k) => {
    const o = t.jaxpr.outAvals
    if (!tree.treeEqual(t.outDef, traced[0]!.outDef) || o.length !== outs0.length || o.some((a, i) => !a.equals(outs0[i]!))) {
      throw argErr(
        name,
        condNames
          ? `trueFn and falseFn must return the same types, but trueFn returns (${o.join(", ")}) and falseFn returns (${outs0.join(", ")}). Make both return arrays of the same shapes and dtypes (cast or broadcast inside the branch).`
          : `branches must return the same types, but branch 0 returns (${outs0.join(", ")}) and branch ${k} returns (${o.join(", ")}). Make every branch return arrays of the same shapes and dtypes (cast or broadcast inside the branch).`
      )
    }
  })
  const allConsts = traced.flatMap((t) => t.consts)
  // every branch takes [all consts, operands] and uses its own slice of the consts
  let offset = 0
  const uniform = traced.map((t) => {
    const start = offset
    offset += t.consts.length
    return traceToJaxpr(
      (...a: Tensor[]) => {
        const mine = a.slice(start, start + t.consts.length)
        return evalClosed(t.jaxpr, [...mine, ...a.slice(allConsts.length)])
      },
      [...allConsts.map((c) => c.aval), ...ops.map((o) => o.aval)],
      name
    ).closed
  })
  const i32 = idx.dtype === "bool" ? lax.convertElementType(idx, "int32") : idx
  const outs = bind(P.cond, [i32, ...allConsts, ...ops], { branches: uniform })
  return tree.unflatten(traced[0]!.outDef, outs)
}

/**
 * `trueFn(...operands)` if `pred`, else `falseFn(...operands)`; both must return the same types.
 * Each branch is checked on its own, so a Haiku-effectful branch is the one the compile error
 * points at.
 *
 * JAX: `jax.lax.cond`.
 *
 * @example
 * jax.lax.cond(jnp.greater(jnp.sum(x), 0), (x: Tensor) => x, (x: Tensor) => jnp.negative(x), x)
 * @typeParam T - the true branch's type, inferred
 * @typeParam F - the false branch's type, inferred (both branches must be pure and return the same structure)
 */
export const cond = <T extends (...args: any[]) => any, F extends (...args: any[]) => any>(
  pred: Tensor | boolean,
  trueFn: Pure<T, "jax.lax.cond">,
  falseFn: Pure<F, "jax.lax.cond">,
  ...operands: Parameters<T>
): EffectIf<ReturnType<T> | ReturnType<F>, ValueOfOut<ReturnType<T>>> => {
  const p = typeof pred === "boolean" ? lax.scalar(pred ? 1 : 0, "bool") : pred
  if (!(p instanceof Tensor) || p.ndim !== 0 || p.dtype !== "bool") {
    throw argErr("jax.lax.cond", `the predicate must be a bool scalar, got ${p instanceof Tensor ? p.aval.toString() : typeof p}. Compare first, e.g. jnp.greater(x, 0), and reduce to a scalar.`)
  }
  return switchImpl(lax.convertElementType(p, "int32"), [falseFn as F, trueFn as T], operands, true)
}

/**
 * Repeat `bodyFn` while `condFn` holds. Either may return an `Effect<…, E, never>`, and the
 * loop then returns an Effect. Forward-mode differentiable; not reverse-mode (use scan or
 * foriLoop with static bounds).
 *
 * JAX: `jax.lax.while_loop`.
 *
 * @example
 * jax.lax.whileLoop((v) => jnp.less(jnp.sum(v), 10), (v) => jnp.add(v, 1), jnp.zeros([2])) // [5, 5]
 */
export const whileLoop = <T, CO = Tensor | boolean, BO = T>(
  condFn: (val: T) => PureOut<CO, "jax.lax.whileLoop">,
  bodyFn: (val: T) => PureOut<BO, "jax.lax.whileLoop">,
  init: T
): EffectIf<CO | BO, T> => {
  const seen = { effectful: false }
  return finish(seen, () => whileImpl(condFn, bodyFn, init, "jax.lax.whileLoop", seen)) as EffectIf<CO | BO, T>
}

const whileImpl = <T>(condFn: (val: T) => unknown, bodyFn: (val: T) => unknown, init: T, name: string, seen: { effectful: boolean }): T => {
  const [leaves, def] = flattenTensors(init, name)
  const avals = leaves.map((l) => l.aval)
  const c = traceFn((v: T) => {
    const r = callBody(condFn, [v], name, seen)
    return typeof r === "boolean" ? lax.scalar(r ? 1 : 0, "bool") : r
  }, tree.structure([init]), avals, name)
  const b = traceFn((v: T) => {
    const out = callBody(bodyFn, [v], name, seen)
    const [, d] = tree.flatten(out)
    if (!tree.treeEqual(d, def)) throw argErr(name, `bodyFn changed the loop value's structure: ${tree.showTreeDef(def)} in, ${tree.showTreeDef(d)} out.`)
    return out
  }, tree.structure([init]), avals, name)
  const outs = bind(P.while, [...c.consts, ...b.consts, ...leaves], { condJaxpr: c.jaxpr, bodyJaxpr: b.jaxpr, condNConsts: c.consts.length, bodyNConsts: b.consts.length })
  return tree.unflatten<T>(def, outs)
}

/**
 * `for i in [lower, upper): val = bodyFn(i, val)`. With number bounds it lowers to `scan`
 * (reverse-mode differentiable, as in JAX); with traced bounds to `whileLoop`. `bodyFn` may
 * return an `Effect<…, E, never>`, and the loop then returns an Effect.
 *
 * JAX: `jax.lax.fori_loop`.
 *
 * @example
 * jax.lax.foriLoop(0, 3, (i, v) => jnp.add(v, 1), jnp.zeros([2])) // [3, 3]
 */
export const foriLoop = <T, BO = T>(lower: number | Tensor, upper: number | Tensor, bodyFn: (i: Tensor, val: T) => PureOut<BO, "jax.lax.foriLoop">, init: T): EffectIf<BO, T> => {
  const name = "jax.lax.foriLoop"
  const seen = { effectful: false }
  const body = (i: Tensor, val: T): T => callBody(bodyFn, [i, val], name, seen) as T
  return finish(seen, () => {
    if (typeof lower === "number" && typeof upper === "number") {
      if (!Number.isInteger(lower) || !Number.isInteger(upper)) throw argErr(name, `bounds must be integers, got (${lower}, ${upper}).`)
      const n = Math.max(0, upper - lower)
      const [out] = scanImpl((val: T, i: Tensor) => [body(i, val), null] as const, init, lax.add(lax.iota("int32", [n], 0), lax.scalar(lower, "int32")), {}, seen)
      return out
    }
    const lo = typeof lower === "number" ? lax.scalar(lower, "int32") : lower
    const hi = typeof upper === "number" ? lax.scalar(upper, "int32") : upper
    const [, out] = whileImpl(
      ([i]: [Tensor, T]) => lax.lt(i, hi),
      ([i, v]: [Tensor, T]) => [lax.add(i, lax.scalar(1, "int32")), body(i, v)] as [Tensor, T],
      [lo, init] as [Tensor, T],
      name,
      seen
    )
    return out
  }) as EffectIf<BO, T>
}

/**
 * Rematerialise `f` in reverse mode: its intermediate values are recomputed during the
 * backward pass instead of stored. JAX: `jax.checkpoint` / `jax.remat`.
 *
 * @example
 * const block = jax.checkpoint((x: Tensor) => jnp.tanh(jnp.sin(x)))
 * const g = jax.grad((x: Tensor) => jnp.sum(block(x)))(jnp.ones([3])) // sin(x) is recomputed on the way back
 * @typeParam F - the function's type, inferred; it must be pure (use `hk.remat` inside a transform)
 */
export const checkpoint =
  <F extends (...args: any[]) => any>(f: Pure<F, "jax.checkpoint">) =>
  (...args: Parameters<F>): ReturnType<F> => {
    const name = "jax.checkpoint"
    const seen = { effectful: false }
    return finish(seen, () => {
      const [leaves, def] = flattenTensors(args, name)
      const traced = traceFn(f as F, def, leaves.map((l) => l.aval), name, seen)
      const outs = bind(P.remat, [...traced.consts, ...leaves], { jaxpr: traced.jaxpr })
      return tree.unflatten(traced.outDef, outs)
    }) as ReturnType<F>
  }

export type { ClosedJaxpr }
