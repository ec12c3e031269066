/** jax.numpy operations: broadcasting arithmetic, reductions, shape manipulation, indexing. */
import type { DType } from "../../kernels/dtype.js"
import { Tensor } from "../core/Tensor.js"
import * as lax from "../core/lax.js"
import { shapeError } from "../core/errors.js"
import { normalizeAxes, normalizeAxis, range } from "../core/shape.js"
import { showAval } from "../core/aval.js"
import { promoteArgs, toFloat, type ArrayLike } from "./promote.js"

type A = ArrayLike
const bin = (op: string, f: (x: Tensor, y: Tensor) => Tensor) => (x: A, y: A): Tensor => {
  const [a, b] = promoteArgs(op, x, y)
  return f(a!, b!)
}
const un = (op: string, f: (x: Tensor) => Tensor, float = true) => (x: A): Tensor => f(float ? toFloat(op, x) : promoteArgs(op, x)[0]!)

/** JAX: `jnp.add`. */ export const add = bin("add", lax.add)
/** JAX: `jnp.subtract`. */ export const subtract = bin("subtract", lax.sub)
/** JAX: `jnp.multiply`. */ export const multiply = bin("multiply", lax.mul)
/** True division; integers are promoted to float32. JAX: `jnp.divide`. */
export const divide = (x: A, y: A): Tensor => {
  const [a, b] = promoteArgs("divide", x, y)
  return a!.dtype === "float32" ? lax.div(a!, b!) : lax.div(lax.convertElementType(a!, "float32"), lax.convertElementType(b!, "float32"))
}
/** JAX: `jnp.power`. */ export const power = (x: A, y: A): Tensor => lax.pow(toFloat("power", x), toFloat("power", y))
/** JAX: `jnp.maximum`. */ export const maximum = bin("maximum", lax.max)
/** JAX: `jnp.minimum`. */ export const minimum = bin("minimum", lax.min)
/** JAX: `jnp.equal`. */ export const equal = bin("equal", lax.eq)
/** JAX: `jnp.not_equal`. */ export const notEqual = bin("not_equal", lax.ne)
/** JAX: `jnp.less`. */ export const less = bin("less", lax.lt)
/** JAX: `jnp.less_equal`. */ export const lessEqual = bin("less_equal", lax.le)
/** JAX: `jnp.greater`. */ export const greater = bin("greater", lax.gt)
/** JAX: `jnp.greater_equal`. */ export const greaterEqual = bin("greater_equal", lax.ge)
/** JAX: `jnp.logical_and`. */ export const logicalAnd = (x: A, y: A): Tensor => lax.and(astype(promoteArgs("logical_and", x)[0]!, "bool"), astype(promoteArgs("logical_and", y)[0]!, "bool"))
/** JAX: `jnp.negative`. */ export const negative = un("negative", lax.neg, false)
/** JAX: `jnp.square`. */ export const square = (x: A): Tensor => {
  const t = promoteArgs("square", x)[0]!
  return lax.mul(t, t)
}
/** JAX: `jnp.sqrt`. */ export const sqrt = un("sqrt", lax.sqrt)
/** JAX: `jnp.exp`. */ export const exp = un("exp", lax.exp)
/** JAX: `jnp.log`. */ export const log = un("log", lax.log)
/** JAX: `jnp.log1p`. */ export const log1p = un("log1p", lax.log1p)
/** JAX: `jnp.tanh`. */ export const tanh = un("tanh", lax.tanh)
/** JAX: `jnp.sin`. */ export const sin = un("sin", lax.sin)
/** JAX: `jnp.cos`. */ export const cos = un("cos", lax.cos)
/** JAX: `jnp.abs`. */ export const abs = un("abs", lax.abs, false)
/** JAX: `jnp.sign`. */ export const sign = un("sign", lax.sign, false)
/** JAX: `jnp.floor`. */ export const floor = un("floor", lax.floor)

/** Elementwise choice: `x` where `cond`, else `y`. JAX: `jnp.where`. */
export const where = (cond: A, x: A, y: A): Tensor => {
  const [c] = promoteArgs("where", cond)
  const [a, b] = promoteArgs("where", x, y)
  return lax.selectN(c!.dtype === "bool" ? c! : lax.ne(c!, lax.scalar(0, c!.dtype)), b!, a!)
}

/** JAX: `jnp.clip`. */
export const clip = (x: A, lo?: A | null, hi?: A | null): Tensor => {
  let out = promoteArgs("clip", x)[0]!
  if (lo !== undefined && lo !== null) out = maximum(out, lo)
  if (hi !== undefined && hi !== null) out = minimum(out, hi)
  return out
}

/** JAX: `x.astype(dtype)` / `lax.convert_element_type`. */
export const astype = (x: A, dtype: DType): Tensor => lax.convertElementType(promoteArgs("astype", x)[0]!, dtype)

// ---------------------------------------------------------------- reductions

/** Options of the reductions (`jnp.sum`, `jnp.mean`, `jnp.max`, …), as numpy's arguments. */
export interface AxisOptions {
  /** The axis or axes to reduce (negative counts from the end); `null` or absent reduces all. */
  readonly axis?: number | ReadonlyArray<number> | null
  /** Keep each reduced axis with size 1, so the result broadcasts against the input. Default false. */
  readonly keepdims?: boolean
}

const reduceAxes = (op: string, x: Tensor, axis: AxisOptions["axis"]): number[] =>
  axis === undefined || axis === null ? range(x.ndim) : normalizeAxes(op, typeof axis === "number" ? [axis] : axis, x.ndim)

const keep = (y: Tensor, x: Tensor, axes: number[], keepdims?: boolean): Tensor =>
  keepdims ? lax.reshape(y, x.shape.map((d, i) => (axes.includes(i) ? 1 : d))) : y

const reducer = (op: string, f: (x: Tensor, axes: number[]) => Tensor, boolTo: DType = "int32", needsElements = false) => (x: A, options: AxisOptions = {}): Tensor => {
  let t = promoteArgs(op, x)[0]!
  if (t.dtype === "bool") t = lax.convertElementType(t, boolTo)
  const axes = reduceAxes(op, t, options.axis)
  if (needsElements && axes.some((a) => t.shape[a] === 0)) {
    throw shapeError(op, `zero-size array to reduction operation ${op} which has no identity: ${t.aval} over axes [${axes.join(",")}]. Reduce over non-empty axes (check the size first).`)
  }
  return keep(f(t, axes), t, axes, options.keepdims)
}
/** JAX: `jnp.sum`. */ export const sum = reducer("sum", lax.reduceSum)
/** JAX: `jnp.max` (an empty reduction is an error, as in JAX). */ export const max = reducer("max", lax.reduceMax, "int32", true)
/** JAX: `jnp.min` (an empty reduction is an error, as in JAX). */ export const min = reducer("min", lax.reduceMin, "int32", true)
/** JAX: `jnp.prod`. */ export const prod = reducer("prod", lax.reduceProd)
/** JAX: `jnp.mean`. */
export const mean = (x: A, options: AxisOptions = {}): Tensor => {
  const t = toFloat("mean", x)
  const axes = reduceAxes("mean", t, options.axis)
  const n = axes.reduce((s, a) => s * t.shape[a]!, 1)
  return keep(lax.div(lax.reduceSum(t, axes), lax.scalar(n, "float32")), t, axes, options.keepdims)
}
/** Options of `var` / `std`. */
export interface VarianceOptions extends AxisOptions {
  /** Delta degrees of freedom: the divisor is `N - ddof` (default 0, the population variance). */
  readonly ddof?: number
}

/**
 * Mean squared deviation from the mean along the axes, divided by `N - ddof`.
 *
 * JAX: `jnp.var` (exported under that name too: `jnp.var(x)`).
 */
export const variance = (x: A, options: VarianceOptions = {}): Tensor => {
  const t = toFloat("var", x)
  const axes = reduceAxes("var", t, options.axis)
  const n = axes.reduce((s, a) => s * t.shape[a]!, 1)
  const d = lax.sub(t, mean(t, { axis: options.axis ?? null, keepdims: true }))
  const ss = lax.reduceSum(lax.mul(d, d), axes)
  return keep(lax.div(ss, lax.scalar(n - (options.ddof ?? 0), "float32")), t, axes, options.keepdims)
}
export { variance as var }

/** Square root of `var`. JAX: `jnp.std`. */
export const std = (x: A, options: VarianceOptions = {}): Tensor => lax.sqrt(variance(x, options))

const nonEmpty = (op: string, t: Tensor, axis: number | null): Tensor => {
  if (axis === null ? t.size === 0 : t.shape[axis] === 0) {
    throw shapeError(op, `attempt to get ${op} of an empty sequence: ${t.aval}${axis === null ? "" : ` along axis ${axis}`}. Check for an empty axis before taking ${op}.`)
  }
  return t
}

/** Index of the maximum along `axis` (flattened when omitted). JAX: `jnp.argmax`. */
export const argmax = (x: A, options: { axis?: number; keepdims?: boolean } = {}): Tensor => {
  let t = promoteArgs("argmax", x)[0]!
  if (t.dtype === "bool") t = lax.convertElementType(t, "int32")
  if (options.axis === undefined) return lax.argmax(lax.reshape(nonEmpty("argmax", t, null), [t.size]), 0)
  const axis = normalizeAxis("argmax", options.axis, t.ndim)
  nonEmpty("argmax", t, axis)
  return keep(lax.argmax(t, axis), t, [axis], options.keepdims)
}
/** JAX: `jnp.argmin`. */
export const argmin = (x: A, options: { axis?: number; keepdims?: boolean } = {}): Tensor => {
  let t = promoteArgs("argmin", x)[0]!
  if (options.axis === undefined) return lax.argmin(lax.reshape(nonEmpty("argmin", t, null), [t.size]), 0)
  const axis = normalizeAxis("argmin", options.axis, t.ndim)
  nonEmpty("argmin", t, axis)
  return keep(lax.argmin(t, axis), t, [axis], options.keepdims)
}

// ---------------------------------------------------------------- linear algebra

/**
 * Matrix product with numpy semantics (1-D operands promoted, leading dims broadcast).
 *
 * JAX: `jnp.matmul`.
 */
export const matmul = (x: A, y: A): Tensor => {
  const [a0, b0] = promoteArgs("matmul", x, y)
  let a = a0!
  let b = b0!
  const show = `${a.aval.toString()} @ ${b.aval.toString()}`
  if (a.ndim === 0 || b.ndim === 0) throw shapeError("matmul", `${show}: operands must be at least 1-D; use jnp.multiply for scalars.`)
  const aVec = a.ndim === 1
  const bVec = b.ndim === 1
  if (aVec) a = lax.reshape(a, [1, a.shape[0]!])
  if (bVec) b = lax.reshape(b, [b.shape[0]!, 1])
  const k = a.shape[a.ndim - 1]!
  if (b.shape[b.ndim - 2] !== k) {
    throw shapeError("matmul", `${show}: the inner dimensions differ (${k} vs ${b.shape[b.ndim - 2]}); transpose or reshape so a's last axis matches b's second-to-last.`)
  }
  const batchA = a.shape.slice(0, -2)
  const batchB = b.shape.slice(0, -2)
  let out: Tensor
  if (batchB.length === 0) {
    out = lax.dotGeneral(a, b, { lhsContracting: [a.ndim - 1], rhsContracting: [0], lhsBatch: [], rhsBatch: [] })
  } else {
    const rank = Math.max(batchA.length, batchB.length)
    const batch: number[] = []
    for (let i = 0; i < rank; i++) {
      const da = batchA[batchA.length - rank + i] ?? 1
      const db = batchB[batchB.length - rank + i] ?? 1
      if (da !== db && da !== 1 && db !== 1) throw shapeError("matmul", `${show}: batch dimensions cannot be broadcast.`)
      batch.push(Math.max(da, db))
    }
    a = lax.broadcastTo(a, [...batch, ...a.shape.slice(-2)])
    b = lax.broadcastTo(b, [...batch, ...b.shape.slice(-2)])
    const bd = range(rank)
    out = lax.dotGeneral(a, b, { lhsContracting: [rank + 1], rhsContracting: [rank], lhsBatch: bd, rhsBatch: bd })
  }
  if (aVec && bVec) return lax.reshape(out, out.shape.slice(0, -2))
  if (aVec) return lax.reshape(out, [...out.shape.slice(0, -2), out.shape[out.ndim - 1]!])
  if (bVec) return lax.reshape(out, out.shape.slice(0, -1))
  return out
}

/** JAX: `jnp.dot` (for ≤2-D operands it equals matmul; scalars multiply). */
export const dot = (x: A, y: A): Tensor => {
  const [a, b] = promoteArgs("dot", x, y)
  if (a!.ndim === 0 || b!.ndim === 0) return lax.mul(a!, b!)
  if (b!.ndim <= 2) return matmul(a!, b!)
  return lax.dotGeneral(a!, b!, { lhsContracting: [a!.ndim - 1], rhsContracting: [b!.ndim - 2], lhsBatch: [], rhsBatch: [] })
}

// ---------------------------------------------------------------- shapes

/** JAX: `jnp.transpose` (reverses the axes by default). */
export const transpose = (x: A, axes?: ReadonlyArray<number>): Tensor => {
  const t = promoteArgs("transpose", x)[0]!
  const perm = axes ? normalizeAxes("transpose", axes, t.ndim) : range(t.ndim).reverse()
  if (perm.length !== t.ndim) throw shapeError("transpose", `axes ${JSON.stringify(axes)} must list every axis of ${t.aval} once.`)
  return lax.transpose(t, perm)
}

/** Reshape; one entry may be -1 to infer it. JAX: `jnp.reshape`. */
export const reshape = (x: A, shape: ReadonlyArray<number>): Tensor => {
  const t = promoteArgs("reshape", x)[0]!
  const unknown = shape.filter((d) => d === -1).length
  if (unknown > 1) throw shapeError("reshape", `can only infer one dimension, got shape [${shape.join(",")}].`)
  const known = shape.filter((d) => d !== -1).reduce((s, d) => s * d, 1)
  const resolved = shape.map((d) => (d === -1 ? (known === 0 ? 0 : t.size / known) : d))
  if (resolved.some((d) => !Number.isInteger(d) || d < 0)) {
    throw shapeError("reshape", `cannot reshape ${t.aval} (size ${t.size}) into shape [${shape.join(",")}]; the sizes must match.`)
  }
  return lax.reshape(t, resolved)
}

/** JAX: `jnp.expand_dims`. */
export const expandDims = (x: A, axis: number): Tensor => {
  const t = promoteArgs("expand_dims", x)[0]!
  return lax.expandDims(t, normalizeAxis("expand_dims", axis, t.ndim + 1))
}

/** JAX: `jnp.squeeze`. */
export const squeeze = (x: A, axis?: number | ReadonlyArray<number>): Tensor => {
  const t = promoteArgs("squeeze", x)[0]!
  const axes = axis === undefined ? range(t.ndim).filter((i) => t.shape[i] === 1) : normalizeAxes("squeeze", typeof axis === "number" ? [axis] : axis, t.ndim)
  for (const a of axes) if (t.shape[a] !== 1) throw shapeError("squeeze", `cannot squeeze axis ${a} of ${t.aval}: its size is ${t.shape[a]}, not 1.`)
  return lax.reshape(t, t.shape.filter((_, i) => !axes.includes(i)))
}

/** JAX: `jnp.concatenate`. */
export const concatenate = (xs: ReadonlyArray<A>, axis = 0): Tensor => {
  if (xs.length === 0) throw shapeError("concatenate", "needs at least one array.")
  const ts = promoteArgs("concatenate", ...xs)
  const ax = normalizeAxis("concatenate", axis, ts[0]!.ndim)
  return lax.concatenate(ts, ax)
}

/** JAX: `jnp.stack`. */
export const stack = (xs: ReadonlyArray<A>, axis = 0): Tensor => {
  if (xs.length === 0) throw shapeError("stack", "needs at least one array.")
  const ts = promoteArgs("stack", ...xs)
  const first = ts[0]!
  for (const t of ts) if (!t.aval.equals(first.aval) && t.shape.join() !== first.shape.join()) throw shapeError("stack", `all arrays must have the same shape, got ${ts.map((u) => u.aval.toString()).join(", ")}.`)
  const ax = normalizeAxis("stack", axis, first.ndim + 1)
  return lax.concatenate(ts.map((t) => lax.expandDims(t, ax)), ax)
}

/** JAX: `jnp.broadcast_to`. */
export const broadcastTo = (x: A, shape: ReadonlyArray<number>): Tensor => {
  const t = promoteArgs("broadcast_to", x)[0]!
  const lead = shape.length - t.ndim
  if (lead < 0 || t.shape.some((d, i) => d !== 1 && d !== shape[lead + i])) {
    throw shapeError("broadcast_to", `cannot broadcast ${t.aval} to [${shape.join(",")}].`)
  }
  return lax.broadcastTo(t, shape)
}

// ---------------------------------------------------------------- indexing

/** Take elements along an axis by integer indices (flattened when `axis` is omitted). JAX: `jnp.take`. */
export const take = (x: A, indices: A, axis?: number): Tensor => {
  let t = promoteArgs("take", x)[0]!
  let idx = promoteArgs("take", indices)[0]!
  if (idx.dtype !== "int32") {
    throw shapeError("take", `indices must be int32, got ${idx.aval}; cast with astype("int32") (fractional indices have no meaning).`)
  }
  if (axis === undefined) {
    t = lax.reshape(t, [t.size])
    axis = 0
  }
  const ax = normalizeAxis("take", axis, t.ndim)
  return lax.gather(t, idx, ax)
}

/** One entry per axis: an index (drops the axis), `[start, stop?, step?]`, or `null` for the whole axis. */
export type SliceSpec = number | readonly [number?, number?, number?] | null

/**
 * Basic slicing, like `x[1, 2:5, ::2]` in Python: `jnp.slice(x, 1, [2, 5], [undefined, undefined, 2])`.
 * Negative indices count from the end; steps must be positive.
 */
export const slice = (x: A, ...specs: SliceSpec[]): Tensor => {
  const t = promoteArgs("slice", x)[0]!
  if (specs.length > t.ndim) throw shapeError("slice", `${specs.length} indices for ${t.aval}, which has ${t.ndim} axes.`)
  const start: number[] = []
  const limit: number[] = []
  const strides: number[] = []
  const drop: number[] = []
  t.shape.forEach((d, i) => {
    const s = specs[i]
    if (s === undefined || s === null) {
      start.push(0), limit.push(d), strides.push(1)
    } else if (typeof s === "number") {
      const j = s < 0 ? s + d : s
      if (!Number.isInteger(s) || j < 0 || j >= d) throw shapeError("slice", `index ${s} is out of bounds for axis ${i} of ${showAval(t.shape, t.dtype)} (size ${d}).`)
      start.push(j), limit.push(j + 1), strides.push(1), drop.push(i)
    } else {
      const step = s[2] ?? 1
      if (!Number.isInteger(step) || step < 1) throw shapeError("slice", `step ${step} on axis ${i} must be a positive integer.`)
      const norm = (v: number | undefined, dflt: number) => (v === undefined ? dflt : Math.min(d, Math.max(0, v < 0 ? v + d : v)))
      const a = norm(s[0], 0)
      const b = Math.max(a, norm(s[1], d))
      start.push(a), limit.push(b), strides.push(step)
    }
  })
  const sliced = lax.slice(t, start, limit, strides.every((s) => s === 1) ? undefined : strides)
  return drop.length ? lax.reshape(sliced, sliced.shape.filter((_, i) => !drop.includes(i))) : sliced
}
