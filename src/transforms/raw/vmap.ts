/**
 * `jax.vmap`: vectorise a function over a leading (or chosen) axis. Every primitive has a
 * batching rule, so a batched matmul is one batched kernel, not a loop.
 */
import { vmapFlat } from "../core/batching.js"
import type { BatchDim } from "../core/primitive.js"
import { Tensor } from "../core/Tensor.js"
import * as tree from "../core/tree.js"
import { TransformArgumentError } from "../core/errors.js"
import { callBody, finish } from "./effectful.js"
import { flattenTensors } from "./args.js"
import type { Pure } from "./purity.js"

/** Options of `jax.vmap`, as JAX's `in_axes`, `out_axes` and `axis_size`. */
export interface VmapOptions {
  /** Axis to map per positional argument (a number, `null` for unmapped, or a pytree prefix of the argument). Default 0. */
  readonly inAxes?: number | null | ReadonlyArray<unknown>
  /** Where the mapped axis goes in the outputs (a number, `null`, or a pytree prefix). Default 0. */
  readonly outAxes?: number | null | unknown
  /** The mapped size, needed when no input is mapped. */
  readonly axisSize?: number
}

const err = (message: string) => new TransformArgumentError({ transform: "jax.vmap", message: `jax.vmap: ${message}` })

/** Broadcast a pytree prefix of axes to one axis per leaf of `def`. */
export const broadcastPrefix = (prefix: unknown, value: unknown, what: string): BatchDim[] => {
  if (prefix === null || prefix === undefined || typeof prefix === "number") {
    const [leaves] = tree.flatten(value)
    return leaves.map(() => (prefix ?? null) as BatchDim)
  }
  if (Array.isArray(prefix)) {
    if (!Array.isArray(value) || value.length !== prefix.length) {
      throw err(`${what} ${JSON.stringify(prefix)} does not match the structure of the value (${Array.isArray(value) ? `${value.length} entries` : "not an array"}); give one entry per element or a single number.`)
    }
    return prefix.flatMap((p, i) => broadcastPrefix(p, value[i], what))
  }
  if (typeof prefix === "object") {
    const v = value as Record<string, unknown>
    const keys = Object.keys(v ?? {}).sort()
    const pk = Object.keys(prefix as object)
    if (pk.length !== keys.length || pk.some((k) => !keys.includes(k))) throw err(`${what} keys ${JSON.stringify(pk.sort())} do not match the value's keys ${JSON.stringify(keys)}.`)
    return keys.flatMap((k) => broadcastPrefix((prefix as Record<string, unknown>)[k], v[k], what))
  }
  throw err(`${what} must be a number, null, or a pytree of them; got ${String(prefix)}.`)
}

/**
 * Vectorise `f` over an axis of its arguments.
 *
 * JAX: `jax.vmap`.
 *
 * @example
 * const f = (x: Tensor) => jnp.sum(jnp.multiply(x, x))
 * jax.vmap(f)(jnp.ones([4, 3])) // shape [4]
 * @typeParam F - the function's type, inferred; a function whose result is an Effect needing Haiku services does not type-check (use `hk.vmap`)
 */
export const vmap =
  <F extends (...args: any[]) => any>(f: Pure<F, "jax.vmap">, options: VmapOptions = {}) =>
  (...args: Parameters<F>): ReturnType<F> => {
    const seen = { effectful: false }
    return finish(seen, () => {
      const inAxes = options.inAxes === undefined ? 0 : options.inAxes
      if (Array.isArray(inAxes) && inAxes.length !== args.length) {
        throw err(`inAxes has ${inAxes.length} entries but the function was called with ${args.length} arguments; give one entry per positional argument.`)
      }
      const [flat, inDef] = flattenTensors(args, "jax.vmap")
      const dims = broadcastPrefix(Array.isArray(inAxes) ? inAxes : (inAxes as number | null), args, "inAxes")
      const norm = dims.map((d, i) => {
        if (d === null) return null
        const n = flat[i]!.ndim
        if (!Number.isInteger(d) || d < -n || d >= n) throw err(`inAxes entry ${d} is out of range for an argument of shape [${flat[i]!.shape.join(",")}].`)
        return d < 0 ? d + n : d
      })
      const sizes = new Set(norm.flatMap((d, i) => (d === null ? [] : [flat[i]!.shape[d]!])))
      if (options.axisSize !== undefined) sizes.add(options.axisSize)
      if (sizes.size === 0) throw err("no argument is mapped (every inAxes entry is null) and no axisSize was given; map at least one argument or pass axisSize.")
      if (sizes.size > 1) {
        const detail = norm.flatMap((d, i) => (d === null ? [] : [`argument leaf ${i} has size ${flat[i]!.shape[d]} on axis ${d}`])).join(", ")
        throw err(`the mapped axes have different sizes (${detail}${options.axisSize !== undefined ? `, axisSize ${options.axisSize}` : ""}); they must all match.`)
      }
      const axisSize = [...sizes][0]!
      let outDef: tree.TreeDef | null = null
      let outValue: unknown
      const outs = vmapFlat(
        (...xs: Tensor[]) => {
          const unflat = tree.unflatten<unknown[]>(inDef, xs)
          outValue = callBody(f as F, unflat, "jax.vmap", seen)
          const [leaves, def] = flattenTensors(outValue, "jax.vmap", "output")
          outDef = def
          return leaves
        },
        axisSize,
        norm,
        () => broadcastPrefix(options.outAxes === undefined ? 0 : options.outAxes, outValue, "outAxes"),
        flat
      )
      return tree.unflatten(outDef!, outs)
    }) as ReturnType<F>
  }
