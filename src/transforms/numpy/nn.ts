/** `jax.nn`: activations and normalisers built from jnp/lax operations. */
import { Tensor } from "../core/Tensor.js"
import * as lax from "../core/lax.js"
import { normalizeAxes } from "../core/shape.js"
import { toFloat, promoteArgs, type ArrayLike } from "./promote.js"
import { ArrayDataError } from "../core/errors.js"

const f32 = (v: number) => lax.scalar(v, "float32")

/** JAX: `jax.nn.relu`. */
export const relu = (x: ArrayLike): Tensor => {
  const t = promoteArgs("relu", x)[0]!
  return lax.max(t, lax.scalar(0, t.dtype))
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
  const m = lax.stopGradient(lax.reshape(lax.reduceMax(t, axes), keepShape(t, axes)))
  const s = lax.add(lax.log(lax.reduceSum(lax.exp(lax.sub(t, m)), axes)), lax.reshape(m, lax.reduceMax(t, axes).shape))
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
/** One-hot float32 encoding along a new last axis. JAX: `jax.nn.one_hot`. */
export const oneHot = (x: ArrayLike, numClasses: number): Tensor => {
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new ArrayDataError({ message: `jax.nn.oneHot: numClasses must be a positive integer, got ${numClasses}.` })
  const t = promoteArgs("oneHot", x)[0]!
  const idx = t.dtype === "int32" ? t : lax.convertElementType(t, "int32")
  const classes = lax.iota("int32", [...idx.shape, numClasses], idx.ndim)
  return lax.convertElementType(lax.eq(lax.expandDims(idx, idx.ndim), classes), "float32")
}
