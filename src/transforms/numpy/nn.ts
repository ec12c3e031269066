/**
 * `jax.nn`: activations and normalisers built from jnp/lax operations.
 *
 * @module
 */
import { Tensor } from "../core/Tensor.js"
import * as lax from "../core/lax.js"
import { normalizeAxes } from "../core/shape.js"
import { toFloat, promoteArgs, type ArrayLike } from "./promote.js"
import { ArrayDataError, shapeError } from "../core/errors.js"

const f32 = (v: number) => lax.scalar(v, "float32")

/**
 * `max(x, 0)`. Its derivative at 0 is 0, as JAX defines it (a plain `max` would split it 0.5/0.5).
 *
 * JAX: `jax.nn.relu`.
 */
export const relu = (x: ArrayLike): Tensor => {
  const t = promoteArgs("relu", x)[0]!
  const zero = lax.scalar(0, t.dtype)
  // the value is max(x, 0) everywhere (NaN stays NaN); the tangent flows only where x > 0
  return lax.selectN(lax.gt(t, zero), lax.stopGradient(lax.max(t, zero)), t)
}
/** JAX: `jax.nn.sigmoid`. */
export const sigmoid = (x: ArrayLike): Tensor => lax.logistic(toFloat("sigmoid", x))
/** `log(1 + exp(x))`, stable for large |x|. JAX: `jax.nn.softplus`. */
export const softplus = (x: ArrayLike): Tensor => {
  const t = toFloat("softplus", x)
  return lax.add(lax.log1p(lax.exp(lax.neg(lax.abs(t)))), lax.max(t, f32(0)))
}
/** GELU, tanh approximation by default (as JAX). JAX: `jax.nn.gelu`. */
export const gelu = (x: ArrayLike, options: { approximate?: boolean } = {}): Tensor => {
  const t = toFloat("gelu", x)
  if (options.approximate === false) {
    return lax.mul(lax.mul(t, f32(0.5)), lax.add(f32(1), lax.erf(lax.mul(t, f32(Math.SQRT1_2)))))
  }
  const inner = lax.mul(f32(Math.sqrt(2 / Math.PI)), lax.add(t, lax.mul(f32(0.044715), lax.mul(t, lax.mul(t, t)))))
  return lax.mul(lax.mul(t, f32(0.5)), lax.add(f32(1), lax.tanh(inner)))
}

const axesOf = (op: string, t: Tensor, axis: number | ReadonlyArray<number> | undefined): number[] =>
  normalizeAxes(op, axis === undefined ? [-1] : typeof axis === "number" ? [axis] : axis, t.ndim)

const keepShape = (t: Tensor, axes: number[]) => t.shape.map((d, i) => (axes.includes(i) ? 1 : d))

/** `log(sum(exp(x)))` along `axis` (all axes when omitted), stable. JAX: `jax.nn.logsumexp`. */
export const logsumexp = (x: ArrayLike, options: { axis?: number | ReadonlyArray<number>; keepdims?: boolean } = {}): Tensor => {
  const t = toFloat("logsumexp", x)
  const axes = options.axis === undefined ? t.shape.map((_, i) => i) : axesOf("logsumexp", t, options.axis)
  const max = lax.reduceMax(t, axes)
  // shift by the max where it is finite (a row of -inf then gives log(0) = -inf, as in JAX)
  const m = lax.stopGradient(lax.selectN(lax.lt(lax.abs(max), f32(Infinity)), lax.zerosLike(max), max))
  const s = lax.add(lax.log(lax.reduceSum(lax.exp(lax.sub(t, lax.reshape(m, keepShape(t, axes)))), axes)), m)
  return options.keepdims ? lax.reshape(s, keepShape(t, axes)) : s
}
/** JAX: `jax.nn.log_softmax`. */
export const logSoftmax = (x: ArrayLike, options: { axis?: number } = {}): Tensor => {
  const t = toFloat("logSoftmax", x)
  const axes = axesOf("logSoftmax", t, options.axis)
  const shifted = lax.sub(t, lax.stopGradient(lax.reshape(lax.reduceMax(t, axes), keepShape(t, axes))))
  return lax.sub(shifted, lax.reshape(lax.log(lax.reduceSum(lax.exp(shifted), axes)), keepShape(t, axes)))
}
/** JAX: `jax.nn.softmax`. */
export const softmax = (x: ArrayLike, options: { axis?: number } = {}): Tensor => {
  const t = toFloat("softmax", x)
  const axes = axesOf("softmax", t, options.axis)
  const e = lax.exp(lax.sub(t, lax.stopGradient(lax.reshape(lax.reduceMax(t, axes), keepShape(t, axes)))))
  return lax.div(e, lax.reshape(lax.reduceSum(e, axes), keepShape(t, axes)))
}
/**
 * One-hot float32 encoding along a new last axis: `x[..., None] == arange(numClasses)`, compared in
 * `x`'s own dtype as JAX does, so an index that is not a class (3.5, -1, NaN, ≥ numClasses) gives
 * an all-zero row. JAX: `jax.nn.one_hot`.
 */
export const oneHot = (x: ArrayLike, numClasses: number): Tensor => {
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new ArrayDataError({ message: `jax.nn.oneHot: numClasses must be a positive integer, got ${numClasses}.` })
  const t = promoteArgs("oneHot", x)[0]!
  const idx = t.dtype === "bool" ? lax.convertElementType(t, "int32") : t
  const classes = lax.iota(idx.dtype, [...idx.shape, numClasses], idx.ndim)
  return lax.convertElementType(lax.eq(lax.expandDims(idx, idx.ndim), classes), "float32")
}

/** `x · sigmoid(x)`. JAX: `jax.nn.silu` (also `swish`). */
export const silu = (x: ArrayLike): Tensor => {
  const t = toFloat("silu", x)
  return lax.mul(t, lax.logistic(t))
}
/** JAX: `jax.nn.swish` (the same function as `silu`). */
export const swish = silu

/** `x` where `x >= 0`, else `negativeSlope · x`. JAX: `jax.nn.leaky_relu`. */
export const leakyRelu = (x: ArrayLike, negativeSlope = 0.01): Tensor => {
  const t = toFloat("leakyRelu", x)
  return lax.selectN(lax.ge(t, f32(0)), lax.mul(f32(negativeSlope), t), t)
}

/** `x` where `x > 0`, else `alpha · (e^x - 1)`. JAX: `jax.nn.elu`. */
export const elu = (x: ArrayLike, alpha = 1): Tensor => {
  const t = toFloat("elu", x)
  const positive = lax.gt(t, f32(0))
  // expm1 only sees the non-positive side, so its gradient never overflows
  const safe = lax.selectN(positive, t, lax.zerosLike(t))
  return lax.selectN(positive, lax.mul(f32(alpha), lax.expm1(safe)), t)
}

/** `max(x, 0) + alpha · (e^(min(x, 0)/alpha) - 1)`. JAX: `jax.nn.celu`. */
export const celu = (x: ArrayLike, alpha = 1): Tensor => {
  const t = toFloat("celu", x)
  return lax.add(lax.max(t, f32(0)), lax.mul(f32(alpha), lax.expm1(lax.div(lax.min(t, f32(0)), f32(alpha)))))
}

/** Scaled ELU with the self-normalising constants. JAX: `jax.nn.selu`. */
export const selu = (x: ArrayLike): Tensor => lax.mul(f32(1.0507009873554804934193349852946), elu(x, 1.6732632423543772848170429916717))

/** `min(max(x, 0), 6)`; its derivative is 0 at 0 and 6, as JAX defines it. JAX: `jax.nn.relu6`. */
export const relu6 = (x: ArrayLike): Tensor => {
  const t = toFloat("relu6", x)
  const inside = lax.and(lax.gt(t, f32(0)), lax.lt(t, f32(6)))
  return lax.selectN(inside, lax.stopGradient(lax.min(lax.max(t, f32(0)), f32(6))), t)
}

/** `x` clipped to [-1, 1]. JAX: `jax.nn.hard_tanh`. */
export const hardTanh = (x: ArrayLike): Tensor => {
  const t = toFloat("hardTanh", x)
  return lax.selectN(lax.gt(t, f32(1)), lax.selectN(lax.lt(t, f32(-1)), t, f32(-1)), f32(1))
}

/** `log(sigmoid(x)) = -softplus(-x)`, stable. JAX: `jax.nn.log_sigmoid`. */
export const logSigmoid = (x: ArrayLike): Tensor => lax.neg(softplus(lax.neg(toFloat("logSigmoid", x))))

/** Options of `standardize`. */
export interface StandardizeOptions {
  /** Axes to normalise over (default -1). */
  readonly axis?: number | ReadonlyArray<number>
  /** Use this mean instead of computing it (broadcast against x). */
  readonly mean?: Tensor
  /** Use this variance instead of computing it. */
  readonly variance?: Tensor
  /** Added to the variance (default 1e-5). */
  readonly epsilon?: number
}

/**
 * `(x - mean) / sqrt(variance + epsilon)` with the mean and the (two-pass) variance over `axis`.
 *
 * JAX: `jax.nn.standardize`.
 */
export const standardize = (x: ArrayLike, options: StandardizeOptions = {}): Tensor => {
  const t = toFloat("standardize", x)
  const axes = axesOf("standardize", t, options.axis)
  const meanOf = (y: Tensor) => lax.div(lax.reshape(lax.reduceSum(y, axes), keepShape(t, axes)), f32(axes.reduce((n, a) => n * t.shape[a]!, 1)))
  const m = options.mean ?? meanOf(t)
  const d = lax.sub(t, m)
  const v = options.variance ?? meanOf(lax.mul(d, d))
  return lax.mul(d, lax.rsqrt(lax.add(v, f32(options.epsilon ?? 1e-5))))
}

/** Splits `x` in two halves along `axis` and gates the first with the sigmoid of the second. JAX: `jax.nn.glu`. */
export const glu = (x: ArrayLike, axis = -1): Tensor => {
  const t = toFloat("glu", x)
  const a = normalizeAxes("glu", [axis], t.ndim)[0]!
  const n = t.shape[a]!
  if (n % 2 !== 0) throw shapeError("glu", `axis ${axis} of ${t.aval} has odd size ${n}; it must split into two equal halves (pad or slice it to an even size).`)
  const half = (lo: number) => lax.slice(t, t.shape.map((_, d) => (d === a ? lo : 0)), t.shape.map((m, d) => (d === a ? lo + n / 2 : m)))
  return lax.mul(half(0), lax.logistic(half(n / 2)))
}

export * as initializers from "./initializers.js"
