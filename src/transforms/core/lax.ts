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
export const neg = (x: T): T => bind1(P.neg, [x])
export const exp = (x: T): T => bind1(P.exp, [x])
export const log = (x: T): T => bind1(P.log, [x])
export const log1p = (x: T): T => bind1(P.log1p, [x])
export const expm1 = (x: T): T => bind1(P.expm1, [x])
export const tanh = (x: T): T => bind1(P.tanh, [x])
export const logistic = (x: T): T => bind1(P.logistic, [x])
export const sqrt = (x: T): T => bind1(P.sqrt, [x])
export const rsqrt = (x: T): T => bind1(P.rsqrt, [x])
export const abs = (x: T): T => bind1(P.abs, [x])
export const sign = (x: T): T => bind1(P.sign, [x])
export const sin = (x: T): T => bind1(P.sin, [x])
export const cos = (x: T): T => bind1(P.cos, [x])
export const floor = (x: T): T => bind1(P.floor, [x])
export const ceil = (x: T): T => bind1(P.ceil, [x])
export const round = (x: T): T => bind1(P.round, [x])
export const erf = (x: T): T => bind1(P.erf, [x])
export const erfInv = (x: T): T => bind1(P.erf_inv, [x])
export const not = (x: T): T => bind1(P.not, [x])
export const tan = (x: T): T => bind1(P.tan, [x])
export const asin = (x: T): T => bind1(P.asin, [x])
export const acos = (x: T): T => bind1(P.acos, [x])
export const atan = (x: T): T => bind1(P.atan, [x])
export const sinh = (x: T): T => bind1(P.sinh, [x])
export const cosh = (x: T): T => bind1(P.cosh, [x])

export const add = (x: T, y: T): T => bind1(P.add, [x, y])
export const sub = (x: T, y: T): T => bind1(P.sub, [x, y])
export const mul = (x: T, y: T): T => bind1(P.mul, [x, y])
export const div = (x: T, y: T): T => bind1(P.div, [x, y])
export const rem = (x: T, y: T): T => bind1(P.rem, [x, y])
export const pow = (x: T, y: T): T => bind1(P.pow, [x, y])
export const max = (x: T, y: T): T => bind1(P.max, [x, y])
export const min = (x: T, y: T): T => bind1(P.min, [x, y])
export const atan2 = (x: T, y: T): T => bind1(P.atan2, [x, y])
export const and = (x: T, y: T): T => bind1(P.and, [x, y])
export const or = (x: T, y: T): T => bind1(P.or, [x, y])
export const xor = (x: T, y: T): T => bind1(P.xor, [x, y])
export const shiftLeft = (x: T, y: T): T => bind1(P.shift_left, [x, y])
export const shiftRightLogical = (x: T, y: T): T => bind1(P.shift_right_logical, [x, y])
export const eq = (x: T, y: T): T => bind1(P.eq, [x, y])
export const ne = (x: T, y: T): T => bind1(P.ne, [x, y])
export const lt = (x: T, y: T): T => bind1(P.lt, [x, y])
export const le = (x: T, y: T): T => bind1(P.le, [x, y])
export const gt = (x: T, y: T): T => bind1(P.gt, [x, y])
export const ge = (x: T, y: T): T => bind1(P.ge, [x, y])

/** `select_n(pred, onFalse, onTrue)`: picks `onTrue` where `pred` holds. JAX: `lax.select_n`. */
export const selectN = (pred: T, onFalse: T, onTrue: T): T => bind1(P.select_n, [pred, onFalse, onTrue])
export const convertElementType = (x: T, newDtype: DType): T =>
  x.dtype === newDtype ? x : bind1(P.convert_element_type, [x], { newDtype })
export const stopGradient = (x: T): T => bind1(P.stop_gradient, [x])

// ---- reductions
export const reduceSum = (x: T, axes: ReadonlyArray<number>): T => (axes.length === 0 ? x : bind1(P.reduce_sum, [x], { axes: [...axes] }))
export const reduceMax = (x: T, axes: ReadonlyArray<number>): T => (axes.length === 0 ? x : bind1(P.reduce_max, [x], { axes: [...axes] }))
export const reduceMin = (x: T, axes: ReadonlyArray<number>): T => (axes.length === 0 ? x : bind1(P.reduce_min, [x], { axes: [...axes] }))
export const reduceProd = (x: T, axes: ReadonlyArray<number>): T => (axes.length === 0 ? x : bind1(P.reduce_prod, [x], { axes: [...axes] }))
export const argmax = (x: T, axis: number): T => bind1(P.argmax, [x], { axes: [axis] })
export const argmin = (x: T, axis: number): T => bind1(P.argmin, [x], { axes: [axis] })

// ---- structure
export interface DotDims {
  readonly lhsContracting: ReadonlyArray<number>
  readonly rhsContracting: ReadonlyArray<number>
  readonly lhsBatch: ReadonlyArray<number>
  readonly rhsBatch: ReadonlyArray<number>
}
export const dotGeneral = (x: T, y: T, dims: DotDims): T => bind1(P.dot_general, [x, y], { dims })
export const transpose = (x: T, perm: ReadonlyArray<number>): T =>
  perm.every((p, i) => p === i) ? x : bind1(P.transpose, [x], { perm: [...perm] })
export const broadcastInDim = (x: T, shape: ReadonlyArray<number>, broadcastDimensions: ReadonlyArray<number>): T =>
  x.ndim === shape.length && x.shape.every((d, i) => d === shape[i]) && broadcastDimensions.every((d, i) => d === i)
    ? x
    : bind1(P.broadcast_in_dim, [x], { shape: [...shape], broadcastDimensions: [...broadcastDimensions] })
export const reshape = (x: T, newSizes: ReadonlyArray<number>): T =>
  x.ndim === newSizes.length && x.shape.every((d, i) => d === newSizes[i]) ? x : bind1(P.reshape, [x], { newSizes: [...newSizes] })
export const slice = (x: T, start: ReadonlyArray<number>, limit: ReadonlyArray<number>, strides?: ReadonlyArray<number>): T =>
  bind1(P.slice, [x], { start: [...start], limit: [...limit], strides: strides ? [...strides] : null })
export const pad = (x: T, padValue: T, config: ReadonlyArray<readonly [number, number, number]>): T =>
  bind1(P.pad, [x, padValue], { config: config.map((c) => [...c]) })
export const concatenate = (xs: ReadonlyArray<T>, dimension: number): T =>
  xs.length === 1 ? xs[0]! : bind1(P.concatenate, xs, { dimension })
export const iota = (dtype: DType, shape: ReadonlyArray<number>, dimension: number): T =>
  bind1(P.iota, [], { dtype, shape: [...shape], dimension })
/** A constant-filled array (staged as `broadcast_in_dim` of a scalar, like JAX). */
export const full = (shape: ReadonlyArray<number>, value: number, dtype: DType): T =>
  shape.length === 0 ? scalar(value, dtype) : broadcastInDim(scalar(value, dtype), shape, [])
export const gather = (x: T, indices: T, axis: number): T => bind1(P.gather, [x, indices], { axis })
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
