/**
 * `jax.lax` entry points whose JAX signatures take options (negative axes, one operand or
 * several): thin wrappers that normalise the arguments and bind the primitives.
 */
import { Tensor } from "../transforms/core/Tensor.js"
import * as core from "../transforms/core/lax.js"
import { shapeError } from "../transforms/core/errors.js"
import { normalizeAxis } from "../transforms/core/shape.js"

/** Options of the cumulative reductions. */
export interface CumulativeOptions {
  /** Axis to accumulate along (default 0; negative counts from the end). */
  readonly axis?: number
  /** Accumulate from the end. */
  readonly reverse?: boolean
}

const cumulative = (name: string, f: (x: Tensor, axis: number, reverse: boolean) => Tensor) => (x: Tensor, options: CumulativeOptions = {}): Tensor => {
  if (x.ndim === 0) throw shapeError(name, `needs an array of rank >= 1, got ${x.aval}.`)
  return f(x, normalizeAxis(name, options.axis ?? 0, x.ndim), options.reverse ?? false)
}

/** Running sum. JAX: `lax.cumsum`. */
export const cumsum = cumulative("cumsum", core.cumsum)
/** Running product. JAX: `lax.cumprod`. */
export const cumprod = cumulative("cumprod", core.cumprod)
/** Running maximum (NaN propagates). JAX: `lax.cummax`. */
export const cummax = cumulative("cummax", core.cummax)
/** Running minimum (NaN propagates). JAX: `lax.cummin`. */
export const cummin = cumulative("cummin", core.cummin)

/** Options of `sort`. */
export interface SortOptions {
  /** Dimension to sort along (default -1). */
  readonly dimension?: number
  /** Accepted for JAX compatibility: tanka's sort is always stable. */
  readonly isStable?: boolean
  /** How many leading operands are sort keys (lexicographic, first primary). Default 1. */
  readonly numKeys?: number
}

/**
 * Sorts along `dimension` (NaN last, -0 equal to 0, stable). Given several operands, sorts by the
 * first `numKeys` of them and applies the same permutation to all.
 *
 * JAX: `lax.sort`.
 *
 * @example
 * declare const k: Tensor, v: Tensor
 * const [keys, values] = jax.lax.sort([k, v])
 */
export function sort(operand: Tensor, options?: SortOptions): Tensor
export function sort(operands: ReadonlyArray<Tensor>, options?: SortOptions): Tensor[]
export function sort(operand: Tensor | ReadonlyArray<Tensor>, options: SortOptions = {}): Tensor | Tensor[] {
  const ops = operand instanceof Tensor ? [operand] : [...operand]
  if (ops.length === 0) throw shapeError("sort", "needs at least one operand.")
  const numKeys = options.numKeys ?? 1
  if (operand instanceof Tensor && numKeys !== 1) throw shapeError("sort", `numKeys=${numKeys} must equal 1 for a single operand.`)
  const dimension = normalizeAxis("sort", options.dimension ?? -1, ops[0]!.ndim)
  const out = core.sort(ops, dimension, numKeys)
  return operand instanceof Tensor ? out[0]! : out
}

/** Sorts `keys` along `dimension` and applies the same permutation to `values`. JAX: `lax.sort_key_val`. */
export const sortKeyVal = (keys: Tensor, values: Tensor, dimension = -1): [Tensor, Tensor] =>
  sort([keys, values], { dimension }) as [Tensor, Tensor]

/**
 * The `k` largest entries along `axis` (default last) and their int32 indices, largest first;
 * equal entries keep index order.
 *
 * JAX: `lax.top_k`.
 *
 * @example
 * declare const logits: Tensor
 * const [values, indices] = jax.lax.topK(logits, 5)
 */
export const topK = (operand: Tensor, k: number, options: { axis?: number } = {}): [Tensor, Tensor] => {
  if (operand.ndim === 0) throw shapeError("top_k", `the operand must have at least one dimension, got ${operand.aval}.`)
  return core.topK(operand, k, normalizeAxis("top_k", options.axis ?? -1, operand.ndim))
}
