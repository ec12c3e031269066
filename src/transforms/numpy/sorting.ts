/** jax.numpy sorting, searching and cumulative reductions, on `lax.sort` and the cumulative primitives. */
import type { DType } from "../../kernels/dtype.js"
import { ConcreteTensor, Tensor } from "../core/Tensor.js"
import * as lax from "../core/lax.js"
import { rev } from "../core/lowered.js"
import { ConcretizationError, shapeError } from "../core/errors.js"
import { normalizeAxis } from "../core/shape.js"
import { promoteArgs, type ArrayLike } from "./promote.js"

type A = ArrayLike

/** Options of `sort` / `argsort`. */
export interface SortOptions {
  /** Axis to sort along (default -1); `null` sorts the flattened array. */
  readonly axis?: number | null
  /** Sort largest first (equal elements keep their order, as numpy's stable sort). */
  readonly descending?: boolean
  /** Accepted for numpy compatibility; tanka's sort is always stable. */
  readonly stable?: boolean
}

const prepare = (op: string, x: A, axis: number | null | undefined): [Tensor, number] => {
  let t = promoteArgs(op, x)[0]!
  if (axis === null) return [lax.reshape(t, [t.size]), 0]
  if (t.ndim === 0) throw shapeError(op, `cannot sort a scalar ${t.aval}; pass an array, or axis: null.`)
  return [t, normalizeAxis(op, axis ?? -1, t.ndim)]
}

/**
 * A sorted copy along `axis`: NaN last, -0 and 0 equal, stable.
 *
 * JAX: `jnp.sort`.
 *
 * @example
 * jnp.sort(jnp.array([3, 1, 2]))   // [1, 2, 3]
 */
export const sort = (x: A, options: SortOptions = {}): Tensor => {
  const [t, axis] = prepare("sort", x, options.axis)
  const [sorted] = lax.sort([t], axis)
  return options.descending ? rev(sorted!, [axis]) : sorted!
}

/**
 * The int32 indices that sort `x` along `axis` (stable: equal elements keep their order, also
 * when `descending`).
 *
 * JAX: `jnp.argsort`.
 */
export const argsort = (x: A, options: SortOptions = {}): Tensor => {
  let [t, axis] = prepare("argsort", x, options.axis)
  let iota = lax.iota("int32", t.shape, axis)
  if (options.descending) {
    // reverse first so that equal elements still come out in index order after the final reversal
    t = rev(t, [axis])
    iota = rev(iota, [axis])
  }
  const [, idx] = lax.sort([t, iota], axis, 1)
  return options.descending ? rev(idx!, [axis]) : idx!
}

/** Options of the cumulative reductions. */
export interface CumulativeOptions {
  /** Axis to accumulate along; `null` (the default) flattens first, as numpy does. */
  readonly axis?: number | null
  /** Result dtype (default: the input's, with bool promoted to int32). */
  readonly dtype?: DType
}

const cumulative = (op: "cumsum" | "cumprod", f: (x: Tensor, axis: number) => Tensor) => (x: A, options: CumulativeOptions = {}): Tensor => {
  let t = promoteArgs(op, x)[0]!
  const dtype = options.dtype ?? (t.dtype === "bool" ? "int32" : t.dtype)
  t = lax.convertElementType(t, dtype)
  if (options.axis === undefined || options.axis === null) t = lax.reshape(t, [t.size])
  if (t.ndim === 0) return t
  return f(t, normalizeAxis(op, options.axis ?? 0, t.ndim))
}

/** Running sum along an axis. JAX: `jnp.cumsum`. */
export const cumsum = cumulative("cumsum", (t, axis) => lax.cumsum(t, axis))
/** Running product along an axis. JAX: `jnp.cumprod`. */
export const cumprod = cumulative("cumprod", (t, axis) => lax.cumprod(t, axis))

/**
 * Where to insert `v` into the sorted 1-D `a` to keep it sorted: for `side: "left"` the first
 * such index, for `"right"` the last. Uses lax.sort's order (NaN sorts last). int32 result of
 * `v`'s shape.
 *
 * JAX: `jnp.searchsorted` (computed by comparing against every element, JAX's `method="compare_all"`).
 */
export const searchsorted = (a: A, v: A, options: { side?: "left" | "right" } = {}): Tensor => {
  const [sa, sv] = promoteArgs("searchsorted", a, v)
  if (sa!.ndim !== 1) throw shapeError("searchsorted", `a must be 1-D, got ${sa!.aval}; flatten it or search each row with jax.vmap.`)
  const side = options.side ?? "left"
  if (side !== "left" && side !== "right") throw shapeError("searchsorted", `side must be "left" or "right", got ${JSON.stringify(side)}.`)
  // compare every query (last axis added) with every element of a
  const q = lax.expandDims(sv!, sv!.ndim)
  const shape = [...sv!.shape, sa!.shape[0]!]
  const av = lax.broadcastInDim(sa!, shape, [sv!.ndim])
  const qv = lax.broadcastTo(q, shape)
  const lt = (p: Tensor, r: Tensor): Tensor =>
    p.dtype === "float32" ? lax.and(lax.eq(p, p), lax.or(lax.ne(r, r), lax.lt(p, r))) : lax.lt(p, r)
  const hits = side === "left" ? lt(av, qv) : lax.not(lt(qv, av))
  return lax.reduceSum(lax.convertElementType(hits, "int32"), [sv!.ndim])
}

/**
 * The indices of the nonzero elements, one int32 array per axis, in row-major order. The output
 * size depends on the values, so under `jax.jit` give the static `size`: the result is cut to
 * it or padded with `fillValue` (default 0). Without `size` the input must be concrete.
 *
 * JAX: `jnp.nonzero` (with `size` and `fill_value`).
 *
 * @example
 * declare const mask: Tensor
 * jnp.nonzero(mask, { size: 10, fillValue: -1 })
 */
export const nonzero = (x: A, options: { size?: number; fillValue?: number } = {}): Tensor[] => {
  const t = promoteArgs("nonzero", x)[0]!
  if (t.ndim === 0) throw shapeError("nonzero", `calling nonzero on a 0-d array ${t.aval} is not allowed; reshape it to [1] first (jnp.atleast_1d).`)
  const flat = lax.reshape(t.dtype === "bool" ? t : lax.ne(t, lax.scalar(0, t.dtype)), [t.size])
  let size = options.size
  if (size === undefined) {
    if (!(t instanceof ConcreteTensor)) {
      throw new ConcretizationError({
        aval: t.aval.toString(),
        message: `nonzero: the number of nonzero elements of the traced ${t.aval} is unknown while tracing, so the output shape is too. Fix: pass { size: N } (a static upper bound; extra slots get fillValue), as jnp.nonzero requires under jax.jit.`
      })
    }
    size = lax.reduceSum(lax.convertElementType(flat, "int32"), [0]).item()
  }
  if (!Number.isInteger(size) || size < 0) throw shapeError("nonzero", `size must be a non-negative integer, got ${size}.`)
  const ones = lax.convertElementType(flat, "int32")
  // the k-th nonzero element goes to slot k; zeros (and nonzeros past size) go to a spare slot that is cut off
  const slot = lax.selectN(flat, lax.scalar(size, "int32"), lax.sub(lax.cumsum(ones, 0), lax.scalar(1, "int32")))
  const positions = lax.scatter(lax.full([size + 1], -1, "int32"), lax.min(slot, lax.scalar(size, "int32")), lax.iota("int32", [t.size], 0), 0)
  const found = lax.slice(positions, [0], [size])
  const valid = lax.ge(found, lax.scalar(0, "int32"))
  const fill = lax.full([size], options.fillValue ?? 0, "int32")
  const strides = t.shape.map((_, d) => t.shape.slice(d + 1).reduce((a, b) => a * b, 1))
  const safe = lax.max(found, lax.scalar(0, "int32"))
  return t.shape.map((n, d) => {
    const coord = lax.rem(lax.div(safe, lax.scalar(strides[d]!, "int32")), lax.scalar(Math.max(n, 1), "int32"))
    return lax.selectN(valid, fill, coord)
  })
}
