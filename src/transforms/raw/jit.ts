/**
 * `jax.jit`, `jax.makeJaxpr`, `jax.evalShape`: trace to a jaxpr once per input signature
 * (shapes, dtypes, tree structure), cache it (bounded), and run the jaxpr.
 */
import { ShapedArray, shapeDtypeStruct, type ShapeDtypeStruct } from "../core/aval.js"
import { traceToJaxpr, evalClosed, ClosedJaxpr } from "../core/jaxpr.js"
import { Tensor } from "../core/Tensor.js"
import { Tracer, stagingActive } from "../core/trace.js"
import { ConcreteTensor } from "../core/Tensor.js"
import { type Compiled, compile } from "../compile/index.js"
import * as tree from "../core/tree.js"
import { callBody, finish } from "./effectful.js"
import { asTensor, flattenTensors } from "./args.js"
import type { EvalShapeResult, Pure } from "./purity.js"
import type { DType } from "../../kernels/dtype.js"
import { checking, deoptimize, firstInvalid, unlocatedInJit } from "../core/debugNans.js"

const isStruct = (x: unknown): x is ShapeDtypeStruct =>
  !(x instanceof Tensor) && typeof x === "object" && x !== null && Array.isArray((x as ShapeDtypeStruct).shape) && typeof (x as ShapeDtypeStruct).dtype === "string"

/** Flatten arguments whose leaves may be tensors, numbers or `{ shape, dtype }` structs. */
const flattenAvals = (args: unknown, name: string): [ShapedArray[], tree.TreeDef, Tensor[] | null] => {
  const [leaves, def] = tree.flatten(args, isStruct)
  let allTensors = true
  const tensors: Tensor[] = []
  const avals = leaves.map((l) => {
    if (isStruct(l)) {
      allTensors = false
      return new ShapedArray(l.shape, l.dtype as DType)
    }
    const t = asTensor(l, name)
    tensors.push(t)
    return t.aval
  })
  return [avals, def, allTensors ? tensors : null]
}

const traceFn = (f: (...a: any[]) => unknown, inDef: tree.TreeDef, avals: ShapedArray[], name: string, seen: { effectful: boolean }) => {
  let outDef: tree.TreeDef | null = null
  const { closed } = traceToJaxpr(
    (...xs: Tensor[]) => {
      const value = callBody(f, tree.unflatten<unknown[]>(inDef, xs), name, seen)
      const [leaves, def] = flattenTensors(value, name, "output")
      outDef = def
      return leaves
    },
    avals,
    name
  )
  return { closed, outDef: outDef! }
}

/**
 * The jaxpr of `f` at the given arguments' shapes, printable like JAX's.
 *
 * JAX: `jax.make_jaxpr`.
 *
 * @example
 * console.log(String(jax.makeJaxpr((x: Tensor) => jnp.sin(x))(jnp.ones([3]))))
 * @typeParam F - the function's type, inferred; it must be pure
 */
export const makeJaxpr =
  <F extends (...args: any[]) => any>(f: Pure<F, "jax.makeJaxpr">) =>
  (...args: unknown[]): ClosedJaxpr => {
    const [avals, def] = flattenAvals(args, "jax.makeJaxpr")
    return traceFn(f as F, def, avals, "jax.makeJaxpr", { effectful: false }).closed
  }

/**
 * The shapes and dtypes `f` would return, computed by abstract evaluation only: no kernel runs.
 *
 * JAX: `jax.eval_shape`.
 *
 * @example
 * const out = jax.evalShape((a: Tensor, b: Tensor) => jnp.matmul(a, b), jax.shapeDtypeStruct([8, 3], "float32"), jnp.ones([3, 5]))
 * String(out) // "ShapeDtypeStruct(shape=[8, 5], dtype=float32)"
 * @typeParam F - the function's type, inferred; it must be pure (use `hk.evalShape` inside a transform)
 */
export const evalShape = <F extends (...args: any[]) => any>(f: Pure<F, "jax.evalShape">, ...args: unknown[]): EvalShapeResult<F> => {
  const seen = { effectful: false }
  return finish(seen, () => {
    const [avals, def] = flattenAvals(args, "jax.evalShape")
    const { closed, outDef } = traceFn(f as F, def, avals, "jax.evalShape", seen)
    return tree.unflatten(outDef, closed.outAvals.map((a): ShapeDtypeStruct => shapeDtypeStruct(a.shape, a.dtype)))
  }) as EvalShapeResult<F>
}

/**
 * The cache key of a call whose every leaf is a tensor: its tree structure (object keys quoted,
 * so no key can imitate structure) and each leaf's dtype and shape, built in one pass while
 * collecting the leaves. Null when a leaf is anything else (numbers, shape structs).
 */
const signatureOf = (args: unknown, leaves: Tensor[]): string | null => {
  let key = "@"
  const go = (x: unknown): boolean => {
    if (x instanceof Tensor) {
      leaves.push(x)
      const a = x.aval
      key += `${a.dtype}[${a.shape.join(",")}]`
      return true
    }
    if (Array.isArray(x)) {
      key += "("
      for (const c of x) {
        if (!go(c)) return false
        key += ","
      }
      key += ")"
      return true
    }
    if (x === null || x === undefined) {
      key += x === null ? "N" : "U"
      return true
    }
    if (typeof x !== "object") return false
    const proto = Object.getPrototypeOf(x)
    if (proto !== Object.prototype && proto !== null) return false
    key += "{"
    for (const k of Object.keys(x).sort()) {
      key += JSON.stringify(k) + ":"
      if (!go((x as Record<string, unknown>)[k])) return false
      key += ","
    }
    key += "}"
    return true
  }
  return go(args) ? key : null
}

/** Options for `jax.jit`. */
export interface JitOptions {
  /** How many input signatures to keep compiled (least recently used are dropped). Default 64. */
  readonly cacheSize?: number
}

/**
 * A function compiled by `jax.jit`: callable like `f`, traced once per input signature (shapes,
 * dtypes, tree structure and static arguments) and run as a compiled program afterwards.
 * @typeParam F - the type of the function that was jitted
 */
export interface Jitted<F extends (...args: any[]) => any> {
  /** Runs the compiled program for these arguments (tracing and compiling on a new signature). */
  (...args: Parameters<F>): ReturnType<F>
  /** Number of times `f` was traced (one per new input signature). */
  readonly traceCount: number
  /** The cached jaxpr for these arguments (tracing if needed). */
  lower(...args: Parameters<F>): ClosedJaxpr
}

/**
 * Compile `f`: trace once per input signature, cache the jaxpr, and run it. Under other
 * transforms the jaxpr is evaluated with their tracers, so `grad(jit(f))` works.
 *
 * JAX: `jax.jit`.
 *
 * @example
 * const step = jax.jit((w: Tensor, x: Tensor) => jnp.tanh(jnp.matmul(x, w)))
 * const y = step(jnp.ones([3, 2]), jnp.ones([4, 3])) // traced and compiled on this first call
 * step(jnp.zeros([3, 2]), jnp.ones([4, 3]))          // same signature: runs the compiled program
 * step.traceCount                                    // 1
 * @typeParam F - the function's type, inferred; it must be pure (a Haiku-effectful function does not type-check: transform it first)
 */
export const jit = <F extends (...args: any[]) => any>(f: Pure<F, "jax.jit">, options: JitOptions = {}): Jitted<F> => {
  const capacity = options.cacheSize ?? 64
  // `located`: traced while jax.config debugNans/debugInfs was on, so its equations carry module paths
  const cache = new Map<string, { closed: ClosedJaxpr; outDef: tree.TreeDef; effectful: boolean; located: boolean; compiled?: Compiled }>()
  let traceCount = 0
  const lookup = (args: unknown[]) => {
    // the common call (every leaf a tensor) is keyed in one pass; other calls take the general path
    const fast: Tensor[] = []
    const fastKey = signatureOf(args, fast)
    if (fastKey !== null) {
      const hit = cache.get(fastKey)
      if (hit) {
        cache.delete(fastKey)
        cache.set(fastKey, hit)
        return { entry: hit, tensors: fast }
      }
    }
    const [avals, def, tensors] = flattenAvals(args, "jax.jit")
    const key = fastKey ?? `${tree.showTreeDef(def)}|${avals.map(String).join(";")}`
    let entry = cache.get(key)
    if (entry) {
      cache.delete(key)
      cache.set(key, entry)
    } else {
      const seen = { effectful: false }
      traceCount++
      const traced = traceFn(f as F, def, avals, "jax.jit", seen)
      entry = { ...traced, effectful: seen.effectful, located: checking }
      // a jaxpr that closed over tracers of an enclosing transform must not outlive it
      if (!traced.closed.consts.some((c) => c instanceof Tracer)) {
        cache.set(key, entry)
        if (cache.size > capacity) cache.delete(cache.keys().next().value!)
      }
    }
    return { entry, tensors: tensors! }
  }
  /**
   * jax.config debugNans/debugInfs under jit (as JAX does): the compiled program runs as usual and
   * only its outputs are checked; when one holds a NaN/Inf, the jaxpr is re-run op by op on the
   * same arguments, where each primitive is checked, so the error names the one that produced it.
   * A jaxpr traced while the flags were off is traced again so its equations carry module paths.
   */
  const rerunOnInvalid = (args: unknown[], tensors: Tensor[], outs: ReadonlyArray<Tensor>, entry: { closed: ClosedJaxpr; located: boolean }): void => {
    const bad = firstInvalid(outs)
    if (bad === null) return
    let closed = entry.closed
    if (!entry.located) {
      const [avals, def] = flattenAvals(args, "jax.jit")
      closed = traceFn(f as F, def, avals, "jax.jit", { effectful: false }).closed
    }
    deoptimize(() => evalClosed(closed, tensors))
    throw unlocatedInJit(tensors, outs[bad.index]!.aval, bad.index, bad.kind, bad.count)
  }
  const jitted = ((...args: unknown[]) => {
    const seen = { effectful: false }
    return finish(seen, () => {
      const { entry, tensors } = lookup(args)
      seen.effectful = entry.effectful
      // on concrete values outside any transform: run the compiled program (fused kernels, planned buffers)
      if (!stagingActive() && tensors.every((t) => t instanceof ConcreteTensor)) {
        entry.compiled ??= compile(entry.closed)
        const outs = entry.compiled.run(tensors as ConcreteTensor[])
        if (checking) rerunOnInvalid(args, tensors, outs, entry)
        return tree.unflatten(entry.outDef, outs)
      }
      return tree.unflatten(entry.outDef, evalClosed(entry.closed, tensors))
    })
  }) as unknown as Jitted<F>
  Object.defineProperty(jitted, "traceCount", { get: () => traceCount })
  ;(jitted as any).lower = (...args: unknown[]) => lookup(args).entry.closed
  return jitted
}

