/**
 * The lax layer: one function per primitive, each a `bind`. Operands must already share a
 * dtype (promotion is jnp's job); binary ops broadcast numpy-style.
 *
 * JAX: `jax.lax`.
 */
import type { DType } from "../../kernels/dtype.js"
import { bind, bind1 } from "./trace.js"
import { ConcreteTensor, Tensor, setRowAccess } from "./Tensor.js"
import { P } from "./primitives/index.js"
import { range, invertPerm } from "./shape.js"
import * as K from "../../kernels/index.js"

type T = Tensor

// ---- elementwise
/** Elementwise negation, `-x`. JAX: `lax.neg`. */
export const neg = (x: T): T => bind1(P.neg, [x])
/** Elementwise natural exponential, `e^x`. JAX: `lax.exp`. */
export const exp = (x: T): T => bind1(P.exp, [x])
/** Elementwise natural logarithm (NaN below 0, `-inf` at 0). JAX: `lax.log`. */
export const log = (x: T): T => bind1(P.log, [x])
/** Elementwise `log(1 + x)`, accurate for small `x`. JAX: `lax.log1p`. */
export const log1p = (x: T): T => bind1(P.log1p, [x])
/** Elementwise `e^x - 1`, accurate for small `x`. JAX: `lax.expm1`. */
export const expm1 = (x: T): T => bind1(P.expm1, [x])
/** Elementwise hyperbolic tangent. JAX: `lax.tanh`. */
export const tanh = (x: T): T => bind1(P.tanh, [x])
/** Elementwise logistic sigmoid, `1 / (1 + e^-x)`. JAX: `lax.logistic`. */
export const logistic = (x: T): T => bind1(P.logistic, [x])
/** Elementwise square root. JAX: `lax.sqrt`. */
export const sqrt = (x: T): T => bind1(P.sqrt, [x])
/** Elementwise reciprocal square root, `1 / sqrt(x)`. JAX: `lax.rsqrt`. */
export const rsqrt = (x: T): T => bind1(P.rsqrt, [x])
/** Elementwise absolute value. JAX: `lax.abs`. */
export const abs = (x: T): T => bind1(P.abs, [x])
/** Elementwise sign: -1, 0 or 1 (0 stays 0; NaN stays NaN). JAX: `lax.sign`. */
export const sign = (x: T): T => bind1(P.sign, [x])
/** Elementwise sine (radians). JAX: `lax.sin`. */
export const sin = (x: T): T => bind1(P.sin, [x])
/** Elementwise cosine (radians). JAX: `lax.cos`. */
export const cos = (x: T): T => bind1(P.cos, [x])
/** Elementwise rounding down to an integer value (the dtype is kept). JAX: `lax.floor`. */
export const floor = (x: T): T => bind1(P.floor, [x])
/** Elementwise rounding up to an integer value (the dtype is kept). JAX: `lax.ceil`. */
export const ceil = (x: T): T => bind1(P.ceil, [x])
/** Elementwise rounding to the nearest integer value (the dtype is kept). JAX: `lax.round`. */
export const round = (x: T): T => bind1(P.round, [x])
/** Elementwise error function. JAX: `lax.erf`. */
export const erf = (x: T): T => bind1(P.erf, [x])
/** Elementwise inverse of the error function, defined on (-1, 1). JAX: `lax.erf_inv`. */
export const erfInv = (x: T): T => bind1(P.erf_inv, [x])
/** Elementwise logical not of a bool tensor, bitwise not of an integer one. JAX: `lax.bitwise_not`. */
export const not = (x: T): T => bind1(P.not, [x])
/** Elementwise tangent (radians). JAX: `lax.tan`. */
export const tan = (x: T): T => bind1(P.tan, [x])
/** Elementwise arcsine. JAX: `lax.asin`. */
export const asin = (x: T): T => bind1(P.asin, [x])
/** Elementwise arccosine. JAX: `lax.acos`. */
export const acos = (x: T): T => bind1(P.acos, [x])
/** Elementwise arctangent. JAX: `lax.atan`. */
export const atan = (x: T): T => bind1(P.atan, [x])
/** Elementwise hyperbolic sine. JAX: `lax.sinh`. */
export const sinh = (x: T): T => bind1(P.sinh, [x])
/** Elementwise hyperbolic cosine. JAX: `lax.cosh`. */
export const cosh = (x: T): T => bind1(P.cosh, [x])

/** Elementwise sum `x + y`. Operands share a dtype; shapes broadcast numpy-style. JAX: `lax.add`. */
export const add = (x: T, y: T): T => bind1(P.add, [x, y])
/** Elementwise difference `x - y`. Operands share a dtype; shapes broadcast numpy-style. JAX: `lax.sub`. */
export const sub = (x: T, y: T): T => bind1(P.sub, [x, y])
/** Elementwise product `x * y`. Operands share a dtype; shapes broadcast numpy-style. JAX: `lax.mul`. */
export const mul = (x: T, y: T): T => bind1(P.mul, [x, y])
/** Elementwise quotient `x / y`. Operands share a dtype; shapes broadcast numpy-style. JAX: `lax.div`. */
export const div = (x: T, y: T): T => bind1(P.div, [x, y])
/** Elementwise remainder of `x / y`, with the sign of `x` (C's `fmod`, not Python's `%`). Operands share a dtype; shapes broadcast numpy-style. JAX: `lax.rem`. */
export const rem = (x: T, y: T): T => bind1(P.rem, [x, y])
/** Elementwise power `x ** y`. Operands share a dtype; shapes broadcast numpy-style. JAX: `lax.pow`. */
export const pow = (x: T, y: T): T => bind1(P.pow, [x, y])
/** Elementwise maximum (NaN wins). Operands share a dtype; shapes broadcast numpy-style. JAX: `lax.max`. */
export const max = (x: T, y: T): T => bind1(P.max, [x, y])
/** Elementwise minimum (NaN wins). Operands share a dtype; shapes broadcast numpy-style. JAX: `lax.min`. */
export const min = (x: T, y: T): T => bind1(P.min, [x, y])
/** Elementwise arctangent of `x / y` in the quadrant of the point `(y, x)`. Operands share a dtype; shapes broadcast numpy-style. JAX: `lax.atan2`. */
export const atan2 = (x: T, y: T): T => bind1(P.atan2, [x, y])
/** Elementwise logical and of bool tensors, bitwise and of integer ones. Operands share a dtype; shapes broadcast numpy-style. JAX: `lax.bitwise_and`. */
export const and = (x: T, y: T): T => bind1(P.and, [x, y])
/** Elementwise logical or of bool tensors, bitwise or of integer ones. Operands share a dtype; shapes broadcast numpy-style. JAX: `lax.bitwise_or`. */
export const or = (x: T, y: T): T => bind1(P.or, [x, y])
/** Elementwise logical xor of bool tensors, bitwise xor of integer ones. Operands share a dtype; shapes broadcast numpy-style. JAX: `lax.bitwise_xor`. */
export const xor = (x: T, y: T): T => bind1(P.xor, [x, y])
/** Elementwise left shift of integer `x` by `y` bits. Operands share a dtype; shapes broadcast numpy-style. JAX: `lax.shift_left`. */
export const shiftLeft = (x: T, y: T): T => bind1(P.shift_left, [x, y])
/** Elementwise logical (zero-filling) right shift of integer `x` by `y` bits. Operands share a dtype; shapes broadcast numpy-style. JAX: `lax.shift_right_logical`. */
export const shiftRightLogical = (x: T, y: T): T => bind1(P.shift_right_logical, [x, y])
/** Elementwise `x == y`, as a bool tensor. Operands share a dtype; shapes broadcast numpy-style. JAX: `lax.eq`. */
export const eq = (x: T, y: T): T => bind1(P.eq, [x, y])
/** Elementwise `x != y`, as a bool tensor. Operands share a dtype; shapes broadcast numpy-style. JAX: `lax.ne`. */
export const ne = (x: T, y: T): T => bind1(P.ne, [x, y])
/** Elementwise `x < y`, as a bool tensor. Operands share a dtype; shapes broadcast numpy-style. JAX: `lax.lt`. */
export const lt = (x: T, y: T): T => bind1(P.lt, [x, y])
/** Elementwise `x <= y`, as a bool tensor. Operands share a dtype; shapes broadcast numpy-style. JAX: `lax.le`. */
export const le = (x: T, y: T): T => bind1(P.le, [x, y])
/** Elementwise `x > y`, as a bool tensor. Operands share a dtype; shapes broadcast numpy-style. JAX: `lax.gt`. */
export const gt = (x: T, y: T): T => bind1(P.gt, [x, y])
/** Elementwise `x >= y`, as a bool tensor. Operands share a dtype; shapes broadcast numpy-style. JAX: `lax.ge`. */
export const ge = (x: T, y: T): T => bind1(P.ge, [x, y])

/** `select_n(pred, onFalse, onTrue)`: picks `onTrue` where `pred` holds. JAX: `lax.select_n`. */
export const selectN = (pred: T, onFalse: T, onTrue: T): T => bind1(P.select_n, [pred, onFalse, onTrue])
/**
 * `x` converted to `newDtype` (returned as is when it already has it). Floats convert to integers
 * by truncation toward zero.
 *
 * JAX: `lax.convert_element_type`.
 *
 * @example
 * jax.lax.convertElementType(jnp.array([1.7, -1.7]), "int32") // [1, -1]
 */
export const convertElementType = (x: T, newDtype: DType): T =>
  x.dtype === newDtype ? x : bind1(P.convert_element_type, [x], { newDtype })
/**
 * The identity on values whose derivative is zero: gradients do not flow through it.
 *
 * JAX: `lax.stop_gradient`.
 */
export const stopGradient = (x: T): T => bind1(P.stop_gradient, [x])

// ---- reductions
/**
 * The sum of `x` over `axes` (which are removed from the shape); no axes returns `x`.
 *
 * JAX: `lax.reduce_sum`.
 *
 * @example
 * jax.lax.reduceSum(jnp.ones([2, 3]), [1]) // [3, 3]
 */
export const reduceSum = (x: T, axes: ReadonlyArray<number>): T => (axes.length === 0 ? x : bind1(P.reduce_sum, [x], { axes: [...axes] }))
/** The maximum of `x` over `axes` (removed from the shape). JAX: `lax.reduce_max`. */
export const reduceMax = (x: T, axes: ReadonlyArray<number>): T => (axes.length === 0 ? x : bind1(P.reduce_max, [x], { axes: [...axes] }))
/** The minimum of `x` over `axes` (removed from the shape). JAX: `lax.reduce_min`. */
export const reduceMin = (x: T, axes: ReadonlyArray<number>): T => (axes.length === 0 ? x : bind1(P.reduce_min, [x], { axes: [...axes] }))
/** The product of `x` over `axes` (removed from the shape). JAX: `lax.reduce_prod`. */
export const reduceProd = (x: T, axes: ReadonlyArray<number>): T => (axes.length === 0 ? x : bind1(P.reduce_prod, [x], { axes: [...axes] }))
/** The int32 index of the largest entry along `axis` (the first one on ties; the axis is removed). JAX: `lax.argmax`. */
export const argmax = (x: T, axis: number): T => bind1(P.argmax, [x], { axes: [axis] })
/** The int32 index of the smallest entry along `axis` (the first one on ties; the axis is removed). JAX: `lax.argmin`. */
export const argmin = (x: T, axis: number): T => bind1(P.argmin, [x], { axes: [axis] })

// ---- structure
/** The dimension numbers of {@link dotGeneral}: which axes of each operand are contracted, and which are batch axes. */
export interface DotDims {
  /** Axes of `x` summed over. */
  readonly lhsContracting: ReadonlyArray<number>
  /** Axes of `y` summed over, paired with `lhsContracting`. */
  readonly rhsContracting: ReadonlyArray<number>
  /** Batch axes of `x` (leading axes of the result). */
  readonly lhsBatch: ReadonlyArray<number>
  /** Batch axes of `y`, paired with `lhsBatch`. */
  readonly rhsBatch: ReadonlyArray<number>
}
/**
 * A general tensor contraction: sums products over the contracting dimensions, batched over the
 * batch dimensions. The result's shape is the batch dims, then `x`'s free dims, then `y`'s.
 * Operands must share a dtype.
 *
 * JAX: `lax.dot_general` (`dimension_numbers=((lhsContracting, rhsContracting), (lhsBatch, rhsBatch))`).
 *
 * @example
 * // a batched matrix product: [b, m, k] · [b, k, n] -> [b, m, n]
 * const a = jnp.ones([4, 2, 3]), b = jnp.ones([4, 3, 5])
 * jax.lax.dotGeneral(a, b, { lhsContracting: [2], rhsContracting: [1], lhsBatch: [0], rhsBatch: [0] })
 */
export const dotGeneral = (x: T, y: T, dims: DotDims): T => bind1(P.dot_general, [x, y], { dims })
/** `x` with its axes permuted: axis `i` of the result is axis `perm[i]` of `x`. JAX: `lax.transpose`. */
export const transpose = (x: T, perm: ReadonlyArray<number>): T =>
  perm.every((p, i) => p === i) ? x : bind1(P.transpose, [x], { perm: [...perm] })
/**
 * `x` broadcast to `shape`: axis `i` of `x` becomes axis `broadcastDimensions[i]` of the result
 * (size 1 or equal to the target size); the other axes are new.
 *
 * JAX: `lax.broadcast_in_dim`.
 *
 * @example
 * jax.lax.broadcastInDim(jnp.ones([3]), [2, 3], [1]) // a bias row repeated for 2 rows
 */
export const broadcastInDim = (x: T, shape: ReadonlyArray<number>, broadcastDimensions: ReadonlyArray<number>): T =>
  x.ndim === shape.length && x.shape.every((d, i) => d === shape[i]) && broadcastDimensions.every((d, i) => d === i)
    ? x
    : bind1(P.broadcast_in_dim, [x], { shape: [...shape], broadcastDimensions: [...broadcastDimensions] })
/** `x` with a new shape of the same size, in row-major order. JAX: `lax.reshape` (no `dimensions`). */
export const reshape = (x: T, newSizes: ReadonlyArray<number>): T =>
  x.ndim === newSizes.length && x.shape.every((d, i) => d === newSizes[i]) ? x : bind1(P.reshape, [x], { newSizes: [...newSizes] })
/** The block of `x` from `start` (inclusive) to `limit` (exclusive) on every axis, taking every `strides[i]`-th entry. JAX: `lax.slice`. */
export const slice = (x: T, start: ReadonlyArray<number>, limit: ReadonlyArray<number>, strides?: ReadonlyArray<number>): T =>
  bind1(P.slice, [x], { start: [...start], limit: [...limit], strides: strides ? [...strides] : null })
/**
 * `x` padded with the scalar `padValue`: `config[i] = [low, high, interior]` adds `low` entries
 * before axis `i`, `high` after and `interior` between neighbours (negative `low`/`high` crop).
 *
 * JAX: `lax.pad`.
 */
export const pad = (x: T, padValue: T, config: ReadonlyArray<readonly [number, number, number]>): T =>
  bind1(P.pad, [x, padValue], { config: config.map((c) => [...c]) })
/** The tensors `xs` joined along `dimension` (their other axes must agree). JAX: `lax.concatenate`. */
export const concatenate = (xs: ReadonlyArray<T>, dimension: number): T =>
  xs.length === 1 ? xs[0]! : bind1(P.concatenate, xs, { dimension })
/** An array of `shape` whose entries count 0, 1, 2, … along `dimension`. JAX: `lax.broadcasted_iota`. */
export const iota = (dtype: DType, shape: ReadonlyArray<number>, dimension: number): T =>
  bind1(P.iota, [], { dtype, shape: [...shape], dimension })
/** A constant-filled array (staged as `broadcast_in_dim` of a scalar, like JAX). */
export const full = (shape: ReadonlyArray<number>, value: number, dtype: DType): T =>
  shape.length === 0 ? scalar(value, dtype) : broadcastInDim(scalar(value, dtype), shape, [])
/**
 * Takes the entries of `x` at the int32 `indices` along `axis`: the result is `x`'s shape with that
 * axis replaced by `indices`'s shape (numpy's `take`). Out-of-range indices are an error on
 * concrete values.
 *
 * JAX: `jnp.take`, a special case of `lax.gather`.
 */
export const gather = (x: T, indices: T, axis: number): T => bind1(P.gather, [x, indices], { axis })
/** `operand` with `updates` added at the int32 `indices` along `axis` (repeated indices add up); the transpose of {@link gather}. JAX: `lax.scatter_add`. */
export const scatterAdd = (operand: T, indices: T, updates: T, axis: number): T => bind1(P.scatter_add, [operand, indices, updates], { axis })
/** Writes `updates` at `indices` along `axis` (the last of repeated indices wins). JAX: `lax.scatter`. */
export const scatter = (operand: T, indices: T, updates: T, axis: number): T => bind1(P.scatter, [operand, indices, updates], { axis })
/** Multiplies the positions at `indices` along `axis` by `updates`. JAX: `lax.scatter_mul`. */
export const scatterMul = (operand: T, indices: T, updates: T, axis: number, uniqueIndices = false): T =>
  bind1(P.scatter_mul, [operand, indices, updates], { axis, uniqueIndices })

// ---- cumulative reductions, sorting
/** JAX: `lax.cumsum` (axis non-negative). */
export const cumsum = (x: T, axis: number, reverse = false): T => bind1(P.cumsum, [x], { axis, reverse })
/** JAX: `lax.cumprod`. */
export const cumprod = (x: T, axis: number, reverse = false): T => bind1(P.cumprod, [x], { axis, reverse })
/** JAX: `lax.cummax`. */
export const cummax = (x: T, axis: number, reverse = false): T => bind1(P.cummax, [x], { axis, reverse })
/** JAX: `lax.cummin`. */
export const cummin = (x: T, axis: number, reverse = false): T => bind1(P.cummin, [x], { axis, reverse })
/** Sorts `operands` along `dimension` by the first `numKeys` of them. JAX: `lax.sort` (sequence form). */
export const sort = (operands: ReadonlyArray<T>, dimension: number, numKeys = 1): T[] => bind(P.sort, operands, { dimension, isStable: true, numKeys })
/** The `k` largest entries along `axis` and their int32 indices. JAX: `lax.top_k`. */
export const topK = (x: T, k: number, axis: number): [T, T] => bind(P.top_k, [x], { k, axis }) as [T, T]

/** The Threefry-2x32 block cipher on four uint32 operands of one shape. JAX: `threefry2x32_p`. */
export const threefry2x32 = (k0: T, k1: T, x0: T, x1: T): [T, T] => {
  const shape = x0.shape
  const b = (k: T) => broadcastTo(k, shape)
  const [y0, y1] = bind(P.threefry2x32, [b(k0), b(k1), x0, x1])
  return [y0!, y1!]
}

export type { ConvParams, ConvDimensionNumbers } from "./primitives/conv.js"
export type { WindowParams } from "./primitives/window.js"
import type { ConvParams } from "./primitives/conv.js"
import type { WindowParams } from "./primitives/window.js"
/** JAX: `lax.conv_general_dilated`. */
export const convGeneralDilated = (lhs: T, rhs: T, params: ConvParams): T => bind1(P.conv_general_dilated, [lhs, rhs], params)
/** JAX: `lax.reduce_window` with max. */
export const reduceWindowMax = (x: T, params: WindowParams): T => bind1(P.reduce_window_max, [x], params)
/** JAX: `lax.reduce_window` with add. */
export const reduceWindowSum = (x: T, params: WindowParams): T => bind1(P.reduce_window_sum, [x], params)

// ---- helpers built on the primitives

/** A concrete 0-d tensor (a literal). */
export const scalar = (value: number, dtype: DType): ConcreteTensor => {
  const data = K.allocStorage(dtype, 1)
  data[0] = dtype === "bool" ? (value ? 1 : 0) : value
  return new ConcreteTensor(K.hostArray(dtype, [], data))
}

export const zerosLike = (x: { shape: ReadonlyArray<number>; dtype: DType }): T => full(x.shape, 0, x.dtype)
export const onesLike = (x: { shape: ReadonlyArray<number>; dtype: DType }): T => full(x.shape, 1, x.dtype)

/** numpy-style broadcast of `x` to `shape` (right-aligned). */
export const broadcastTo = (x: T, shape: ReadonlyArray<number>): T => {
  if (x.ndim === shape.length && x.shape.every((d, i) => d === shape[i])) return x
  const lead = shape.length - x.ndim
  const keep = x.shape.map((d, i) => (d === shape[lead + i] ? i : -1))
  // squeeze size-1 dims that are broadcast, then broadcast_in_dim
  const kept = keep.filter((i) => i >= 0)
  const squeezed = kept.length === x.ndim ? x : reshape(x, kept.map((i) => x.shape[i]!))
  return broadcastInDim(squeezed, shape, kept.map((i) => lead + i))
}

/** Sum `x` down to `shape`: the transpose of numpy broadcasting. */
export const unbroadcast = (x: T, shape: ReadonlyArray<number>): T => {
  if (x.ndim === shape.length && x.shape.every((d, i) => d === shape[i])) return x
  const lead = x.ndim - shape.length
  const axes = range(x.ndim).filter((i) => i < lead || (shape[i - lead] === 1 && x.shape[i] !== 1))
  return reshape(reduceSum(x, axes), shape)
}

export const expandDims = (x: T, axis: number): T => {
  const shape = [...x.shape]
  shape.splice(axis, 0, 1)
  return reshape(x, shape)
}

export const moveAxis = (x: T, src: number, dst: number): T => {
  if (src === dst) return x
  const perm = range(x.ndim).filter((i) => i !== src)
  perm.splice(dst, 0, src)
  return transpose(x, perm)
}

export { invertPerm }

// Tensor iteration (rows along the first axis) uses slice + reshape, so it traces like any op.
setRowAccess((x, i) => reshape(slice(x, [i, ...x.shape.slice(1).map(() => 0)], [i + 1, ...x.shape.slice(1)]), x.shape.slice(1)))
