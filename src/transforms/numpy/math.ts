/** jax.numpy elementwise math beyond the basics: trigonometry, hyperbolics, float predicates, closeness, all/any. */
import { Tensor } from "../core/Tensor.js"
import * as lax from "../core/lax.js"
import { normalizeAxes, range } from "../core/shape.js"
import { promoteArgs, toFloat, type ArrayLike } from "./promote.js"

type A = ArrayLike
const f32 = (x: Tensor, v: number): Tensor => lax.scalar(v, x.dtype)

/** `e^x - 1`, accurate near 0. JAX: `jnp.expm1`. */
export const expm1 = (x: A): Tensor => lax.expm1(toFloat("expm1", x))
/** JAX: `jnp.tan`. */
export const tan = (x: A): Tensor => lax.tan(toFloat("tan", x))
/** Inverse sine, NaN outside [-1, 1]. JAX: `jnp.arcsin`. */
export const arcsin = (x: A): Tensor => lax.asin(toFloat("arcsin", x))
/** Inverse cosine, NaN outside [-1, 1]. JAX: `jnp.arccos`. */
export const arccos = (x: A): Tensor => lax.acos(toFloat("arccos", x))
/** JAX: `jnp.arctan`. */
export const arctan = (x: A): Tensor => lax.atan(toFloat("arctan", x))
/**
 * The angle of the point `(x2, x1)`: `atan(x1 / x2)` in the right quadrant, in [-π, π].
 *
 * JAX: `jnp.arctan2`.
 */
export const arctan2 = (x1: A, x2: A): Tensor => {
  const [a, b] = promoteArgs("arctan2", x1, x2)
  return lax.atan2(toFloat("arctan2", a!), toFloat("arctan2", b!))
}
/** JAX: `jnp.sinh`. */
export const sinh = (x: A): Tensor => lax.sinh(toFloat("sinh", x))
/** JAX: `jnp.cosh`. */
export const cosh = (x: A): Tensor => lax.cosh(toFloat("cosh", x))

const boolLike = (t: Tensor, value: boolean): Tensor => lax.full(t.shape, value ? 1 : 0, "bool")

/** True where `x` is NaN (never for integers). JAX: `jnp.isnan`. */
export const isnan = (x: A): Tensor => {
  const t = promoteArgs("isnan", x)[0]!
  return t.dtype === "float32" ? lax.ne(t, t) : boolLike(t, false)
}
/** True where `x` is +inf or -inf. JAX: `jnp.isinf`. */
export const isinf = (x: A): Tensor => {
  const t = promoteArgs("isinf", x)[0]!
  return t.dtype === "float32" ? lax.eq(lax.abs(t), f32(t, Infinity)) : boolLike(t, false)
}
/** True where `x` is neither infinite nor NaN. JAX: `jnp.isfinite`. */
export const isfinite = (x: A): Tensor => {
  const t = promoteArgs("isfinite", x)[0]!
  return t.dtype === "float32" ? lax.lt(lax.abs(t), f32(t, Infinity)) : boolLike(t, true)
}

/** Options of `isclose` / `allclose` (numpy's defaults). */
export interface CloseOptions {
  readonly rtol?: number
  readonly atol?: number
  /** Count NaN as equal to NaN. Default false. */
  readonly equalNan?: boolean
}

/**
 * `|a - b| <= atol + rtol·|b|` elementwise, with infinities equal only to the same infinity and
 * NaN equal to nothing (unless `equalNan`). Integers compare exactly.
 *
 * JAX: `jnp.isclose`.
 */
export const isclose = (a: A, b: A, options: CloseOptions = {}): Tensor => {
  const [x, y] = promoteArgs("isclose", a, b)
  if (x!.dtype !== "float32") return lax.eq(x!, y!)
  const rtol = f32(x!, options.rtol ?? 1e-5)
  const atol = f32(x!, options.atol ?? 1e-8)
  let out = lax.le(lax.abs(lax.sub(x!, y!)), lax.add(atol, lax.mul(rtol, lax.abs(y!))))
  const xInf = isinf(x!)
  const yInf = isinf(y!)
  out = lax.and(out, lax.not(lax.or(xInf, yInf)))
  out = lax.or(out, lax.and(lax.and(xInf, yInf), lax.eq(x!, y!)))
  const xNan = isnan(x!)
  const yNan = isnan(y!)
  out = lax.and(out, lax.not(lax.or(xNan, yNan)))
  return options.equalNan ? lax.or(out, lax.and(xNan, yNan)) : out
}

/** True (a 0-d bool tensor) when every pair is `isclose`. JAX: `jnp.allclose`. */
export const allclose = (a: A, b: A, options: CloseOptions = {}): Tensor => all(isclose(a, b, options))

/** Axis options shared by `all` and `any`. */
export interface LogicalReduceOptions {
  readonly axis?: number | ReadonlyArray<number> | null
  readonly keepdims?: boolean
}

const logicalReduce = (op: "all" | "any", x: A, options: LogicalReduceOptions): Tensor => {
  const t = promoteArgs(op, x)[0]!
  const truth = t.dtype === "bool" ? t : lax.ne(t, lax.scalar(0, t.dtype))
  const axes = options.axis === undefined || options.axis === null ? range(t.ndim) : normalizeAxes(op, typeof options.axis === "number" ? [options.axis] : options.axis, t.ndim)
  const ints = lax.convertElementType(truth, "int32")
  // the empty reduction's identity (INT_MAX for min, INT_MIN for max) gives all([]) = true, any([]) = false
  const reduced = lax.gt(op === "all" ? lax.reduceMin(ints, axes) : lax.reduceMax(ints, axes), lax.scalar(0, "int32"))
  return options.keepdims ? lax.reshape(reduced, t.shape.map((d, i) => (axes.includes(i) ? 1 : d))) : reduced
}

/** True where every element along the axes is nonzero. JAX: `jnp.all`. */
export const all = (x: A, options: LogicalReduceOptions = {}): Tensor => logicalReduce("all", x, options)
/** True where any element along the axes is nonzero. JAX: `jnp.any`. */
export const any = (x: A, options: LogicalReduceOptions = {}): Tensor => logicalReduce("any", x, options)

/** JAX: `jnp.logical_or`. */
export const logicalOr = (x: A, y: A): Tensor => {
  const [a, b] = promoteArgs("logical_or", x, y).map((t) => (t.dtype === "bool" ? t : lax.ne(t, lax.scalar(0, t.dtype))))
  return lax.or(a!, b!)
}
/** JAX: `jnp.logical_not`. */
export const logicalNot = (x: A): Tensor => {
  const t = promoteArgs("logical_not", x)[0]!
  return t.dtype === "bool" ? lax.not(t) : lax.eq(t, lax.scalar(0, t.dtype))
}
