/**
 * The kernel layer of tanka: host arrays and the lax-level ops, each run as a gpu.js kernel
 * (mode `webasm` by default in Node). Every op validates its operands, returns a new
 * HostArray, never mutates its inputs, and is synchronous.
 */
import { type ConvParams, validateConv } from "./conv.js"
import { validateFull, validateIota } from "./creation.js"
import { type DotDims, validateDotGeneral } from "./dotGeneral.js"
import type { DType } from "./dtype.js"
import { type BinaryOp, type UnaryOp, validateBinary, validateConvert, validateSelect, validateUnary } from "./elementwise.js"
import { validateGather, validateScatterAdd } from "./gather.js"
import type { HostArray } from "./HostArray.js"
import { hostReshape, validateBroadcastInDim, validateConcatenate, validatePad, validateReshape, validateSlice, validateTranspose } from "./movement.js"
import { type ReduceOp, validateReduce } from "./reduce.js"
import { dispatch } from "./registry.js"
import { validateThreefry } from "./threefry.js"
import { type WindowParams, validateReduceWindow, validateSelectWindow } from "./windows.js"
import { type CumulativeOp, validateCumulative } from "./cumulative.js"
import { type SortOrder, validateSortPermutation, validateTakeAlongAxis } from "./sort.js"
import { type ScatterMode, validateScatter } from "./scatter.js"

export type { DType, Storage } from "./dtype.js"
export { DTYPES, allocStorage, isFloat, isInteger, isStorageOf, shortName, sizeOf, storageName, stridesOf, typeString } from "./dtype.js"
export { type HostArray, describe as describeArray, hostArray } from "./HostArray.js"
export {
  BackendUnavailableError,
  EXACT_INT_LIMIT,
  IndexOutOfRangeError,
  IntegerRangeError,
  type KernelError,
  KernelLimitError,
  KernelShapeError
} from "./errors.js"
export { type Mode, MODES, availableModes, getBackend, kernelCacheStats, kernelLaunches, setBackend } from "./backend.js"
export { getThreads, setThreads } from "./wasm/threads.js"
export { type WasmStats, wasmStats } from "./wasm/runtime.js"
export { type TransferStats, transferStats } from "./device.js"
export type { KernelCacheStats } from "./KernelCache.js"
export { type Implementation, type OpName, type OpSignatures, implementation, implementations, register } from "./registry.js"
export { BINARY_OPS, UNARY_OPS } from "./elementwise.js"
export type { BinaryOp, ConvParams, DotDims, ReduceOp, UnaryOp, WindowParams }
export type { CumulativeOp, ScatterMode, SortOrder }

/**
 * Elementwise unary op. JAX: `lax.neg`, `lax.exp`, ..., `lax.logistic`, `lax.erf_inv`, `lax.not`.
 * Float-only ops need float32; neg/abs/sign take ints within ±2^24; not takes bool and ints (exact).
 * @example
 * import * as K from "tanka/internal/kernels/index.js"
 * K.unary("exp", K.hostArray("float32", [2], new Float32Array([0, 1])))
 */
export const unary = (op: UnaryOp, x: HostArray): HostArray => {
  validateUnary(op, x)
  return dispatch("unary", op, x)
}

/**
 * Elementwise binary op with numpy broadcasting done in the kernel. JAX: `lax.add`, `lax.div`
 * (ints truncate toward zero), `lax.rem`, `lax.max`, `lax.eq`, `lax.shift_left`, ...
 * Both operands must share a dtype; comparisons return bool.
 * @example
 * import * as K from "tanka/internal/kernels/index.js"
 * declare const a: K.HostArray, b: K.HostArray
 * K.binary("add", a, b)
 */
export const binary = (op: BinaryOp, a: HostArray, b: HostArray): HostArray => {
  validateBinary(op, a, b)
  return dispatch("binary", op, a, b)
}

/**
 * Picks `onTrue` where `pred` is true, else `onFalse`, broadcasting all three. JAX: `lax.select`.
 * @example
 * import * as K from "tanka/internal/kernels/index.js"
 * declare const mask: K.HostArray, x: K.HostArray, zeros: K.HostArray
 * K.select(mask, x, zeros)
 */
export const select = (pred: HostArray, onTrue: HostArray, onFalse: HostArray): HostArray => {
  validateSelect(pred, onTrue, onFalse)
  return dispatch("select", pred, onTrue, onFalse)
}

/**
 * Converts the element type. JAX: `lax.convert_element_type` (float->int truncates toward zero
 * and saturates, ->bool is x != 0, int32<->uint32 wraps mod 2^32).
 * @example
 * import * as K from "tanka/internal/kernels/index.js"
 * declare const x: K.HostArray
 * K.convert(x, "int32")
 */
export const convert = (x: HostArray, dtype: DType): HostArray => {
  validateConvert(x, dtype)
  return dispatch("convert", x, dtype)
}

/**
 * Reduces over `axes` (dropped from the output). JAX: `lax.reduce_sum` / `reduce_max` /
 * `reduce_min` / `reduce_prod` / `lax.argmax` / `lax.argmin` (one axis, int32, first index
 * on ties, NaN counts as the maximum).
 * @example
 * import * as K from "tanka/internal/kernels/index.js"
 * declare const x: K.HostArray
 * K.reduce("sum", x, [1])
 */
export const reduce = (op: ReduceOp, x: HostArray, axes: ReadonlyArray<number>): HostArray => {
  validateReduce(op, x, axes)
  return dispatch("reduce", op, x, axes)
}

/**
 * General dot product. JAX: `lax.dot_general`; output shape `[batch..., lhsFree..., rhsFree...]`.
 * @example
 * import * as K from "tanka/internal/kernels/index.js"
 * declare const a: K.HostArray, b: K.HostArray
 * K.dotGeneral(a, b, { lhsContracting: [1], rhsContracting: [0], lhsBatch: [], rhsBatch: [] })
 */
export const dotGeneral = (a: HostArray, b: HostArray, dims: DotDims): HostArray => {
  validateDotGeneral(a, b, dims)
  return dispatch("dotGeneral", a, b, dims)
}

/**
 * Permutes axes: `out.shape[d] = x.shape[perm[d]]`. JAX: `lax.transpose`.
 * @example
 * import * as K from "tanka/internal/kernels/index.js"
 * declare const x: K.HostArray
 * K.transpose(x, [1, 0])
 */
export const transpose = (x: HostArray, perm: ReadonlyArray<number>): HostArray => {
  validateTranspose(x, perm)
  return dispatch("transpose", x, perm)
}

/**
 * Broadcasts `x` into `shape`, operand dim j landing on output dim `broadcastDimensions[j]`.
 * JAX: `lax.broadcast_in_dim`.
 * @example
 * import * as K from "tanka/internal/kernels/index.js"
 * declare const bias: K.HostArray
 * K.broadcastInDim(bias, [8, 3], [1])
 */
export const broadcastInDim = (x: HostArray, shape: ReadonlyArray<number>, broadcastDimensions: ReadonlyArray<number>): HostArray => {
  validateBroadcastInDim(x, shape, broadcastDimensions)
  return dispatch("broadcastInDim", x, shape, broadcastDimensions)
}

/**
 * Reshapes without a kernel (tensors are immutable, so the storage is shared). JAX: `lax.reshape`.
 * @example
 * import * as K from "tanka/internal/kernels/index.js"
 * declare const x: K.HostArray
 * K.reshape(x, [6])
 */
export const reshape = (x: HostArray, shape: ReadonlyArray<number>): HostArray => {
  validateReshape(x, shape)
  return hostReshape(x, shape)
}

/**
 * Strided slice `[start, limit)` per dim. JAX: `lax.slice`.
 * @example
 * import * as K from "tanka/internal/kernels/index.js"
 * declare const x: K.HostArray
 * K.slice(x, [0, 1], [2, 3])
 */
export const slice = (x: HostArray, start: ReadonlyArray<number>, limit: ReadonlyArray<number>, strides?: ReadonlyArray<number>): HostArray => {
  validateSlice(x, start, limit, strides)
  return dispatch("slice", x, start, limit, strides)
}

/**
 * Pads with `padValue`: `[lo, hi, interior]` per dim; negative lo/hi crop. JAX: `lax.pad`.
 * @example
 * import * as K from "tanka/internal/kernels/index.js"
 * declare const x: K.HostArray
 * K.pad(x, 0, [[1, 1, 0], [0, 0, 1]])
 */
export const pad = (x: HostArray, padValue: number, config: ReadonlyArray<readonly [number, number, number]>): HostArray => {
  validatePad(x, padValue, config)
  return dispatch("pad", x, padValue, config)
}

/**
 * Joins arrays along `axis`. JAX: `lax.concatenate`.
 * @example
 * import * as K from "tanka/internal/kernels/index.js"
 * declare const a: K.HostArray, b: K.HostArray
 * K.concatenate([a, b], 0)
 */
export const concatenate = (xs: ReadonlyArray<HostArray>, axis: number): HostArray => {
  validateConcatenate(xs, axis)
  return dispatch("concatenate", xs, axis)
}

/**
 * Takes slices along `axis` at int32 `indices`: out shape `x.shape[:axis] + indices.shape +
 * x.shape[axis+1:]`; negative indices wrap once; out-of-range throws IndexOutOfRangeError.
 * JAX: `jnp.take(x, indices, axis)`.
 * @example
 * import * as K from "tanka/internal/kernels/index.js"
 * declare const ids: K.HostArray, table: K.HostArray
 * K.gather(table, ids, 0)
 */
export const gather = (x: HostArray, indices: HostArray, axis: number): HostArray => {
  validateGather(x, indices, axis)
  return dispatch("gather", x, indices, axis)
}

/**
 * The transpose of gather: zeros(operandShape) with `updates` added at the indexed positions
 * (duplicates accumulate). JAX: `x.at[..., indices, ...].add(updates)` on zeros.
 * @example
 * import * as K from "tanka/internal/kernels/index.js"
 * declare const grads: K.HostArray, ids: K.HostArray
 * K.scatterAdd([10, 4], ids, grads, 0)
 */
export const scatterAdd = (operandShape: ReadonlyArray<number>, indices: HostArray, updates: HostArray, axis: number): HostArray => {
  validateScatterAdd(operandShape, indices, updates, axis)
  return dispatch("scatterAdd", operandShape, indices, updates, axis)
}

/**
 * General dilated convolution for N spatial dims. JAX: `lax.conv_general_dilated`
 * (dimension numbers as positions: lhs/out `[batch, feature, ...spatial]`, rhs `[out, in, ...spatial]`).
 * @example
 * import * as K from "tanka/internal/kernels/index.js"
 * declare const w: K.HostArray, x: K.HostArray
 * K.conv(x, w, { windowStrides: [1, 1], padding: [[1, 1], [1, 1]], lhsDilation: [1, 1], rhsDilation: [1, 1], featureGroupCount: 1, batchGroupCount: 1, dimensionNumbers: { lhs: [0, 3, 1, 2], rhs: [3, 2, 0, 1], out: [0, 3, 1, 2] } })
 */
export const conv = (lhs: HostArray, rhs: HostArray, p: ConvParams): HostArray => {
  validateConv(lhs, rhs, p)
  return dispatch("conv", lhs, rhs, p)
}

/**
 * Windowed max or sum (padding counts as -inf for max, 0 for sum). JAX: `lax.reduce_window`.
 * @example
 * import * as K from "tanka/internal/kernels/index.js"
 * declare const x: K.HostArray
 * K.reduceWindow("max", x, { windowDimensions: [1, 2, 2, 1], windowStrides: [1, 2, 2, 1], padding: [[0, 0], [0, 0], [0, 0], [0, 0]] })
 */
export const reduceWindow = (op: "max" | "sum", x: HostArray, p: WindowParams): HostArray => {
  validateReduceWindow(op, x, p)
  return dispatch("reduceWindow", op, x, p)
}

/**
 * Max-pool backward: adds each `source` value at the first argmax of `operand` in its window.
 * JAX: `lax._select_and_scatter_add` with `ge`.
 * @example
 * import * as K from "tanka/internal/kernels/index.js"
 * declare const ct: K.HostArray, x: K.HostArray, window: import("tanka").jax.lax.WindowParams
 * K.selectAndScatterAdd(ct, x, window)
 */
export const selectAndScatterAdd = (source: HostArray, operand: HostArray, p: WindowParams): HostArray => {
  validateSelectWindow("selectAndScatterAdd", source, operand, p)
  return dispatch("selectAndScatterAdd", source, operand, p)
}

/**
 * Max-pool JVP: per window, the tangent at the first argmax of `operand`. JAX: `lax._select_and_gather_add`.
 * @example
 * import * as K from "tanka/internal/kernels/index.js"
 * declare const tx: K.HostArray, x: K.HostArray, window: import("tanka").jax.lax.WindowParams
 * K.selectAndGatherAdd(tx, x, window)
 */
export const selectAndGatherAdd = (tangents: HostArray, operand: HostArray, p: WindowParams): HostArray => {
  validateSelectWindow("selectAndGatherAdd", tangents, operand, p)
  return dispatch("selectAndGatherAdd", tangents, operand, p)
}

/**
 * The Threefry-2x32 block cipher (20 rounds) on uint32 keys and counters of one shape.
 * JAX: `jax._src.prng.threefry2x32_p`.
 * @example
 * import * as K from "tanka/internal/kernels/index.js"
 * declare const k0: K.HostArray, k1: K.HostArray, x0: K.HostArray, x1: K.HostArray
 * K.threefry2x32(k0, k1, x0, x1)
 */
export const threefry2x32 = (k0: HostArray, k1: HostArray, x0: HostArray, x1: HostArray): [HostArray, HostArray] => {
  validateThreefry(k0, k1, x0, x1)
  return dispatch("threefry2x32", k0, k1, x0, x1)
}

/**
 * Coordinates along `dimension`, broadcast to `shape`. JAX: `lax.broadcasted_iota`.
 * @example
 * import * as K from "tanka/internal/kernels/index.js"
 * K.iota("int32", [2, 3], 1)
 */
export const iota = (dtype: DType, shape: ReadonlyArray<number>, dimension: number): HostArray => {
  validateIota(dtype, shape, dimension)
  return dispatch("iota", dtype, shape, dimension)
}

/**
 * An array filled with `value`. JAX: `lax.full`.
 * @example
 * import * as K from "tanka/internal/kernels/index.js"
 * K.full("float32", [2, 2], 1)
 */
export const full = (dtype: DType, shape: ReadonlyArray<number>, value: number): HostArray => {
  validateFull(dtype, shape, value)
  return dispatch("full", dtype, shape, value)
}

/**
 * Cumulative sum, product, max or min along `axis` (from the end when `reverse`). JAX:
 * `lax.cumsum` / `cumprod` / `cummax` / `cummin` (NaN propagates through max/min). Integer data
 * stays exact within ±2^24 (IntegerRangeError otherwise).
 * @example
 * import * as K from "tanka/internal/kernels/index.js"
 * declare const x: K.HostArray
 * K.cumulative("sum", x, 1, false)
 */
export const cumulative = (op: CumulativeOp, x: HostArray, axis: number, reverse: boolean): HostArray => {
  validateCumulative(op, x, axis, reverse)
  return dispatch("cumulative", op, x, axis, reverse)
}

/**
 * The stable sorting permutation of `keys` (lexicographic, first key primary) along `axis`:
 * int32 of the keys' shape. `"ascending"` is lax.sort's order (NaN last, -0 = 0); `"descending"`
 * is lax.top_k's (NaN first, +0 before -0). Integer keys compare exactly over their full range.
 * @example
 * import * as K from "tanka/internal/kernels/index.js"
 * declare const x: K.HostArray
 * K.sortPermutation([x], 0, "ascending")
 */
export const sortPermutation = (keys: ReadonlyArray<HostArray>, axis: number, order: SortOrder): HostArray => {
  validateSortPermutation(keys, axis, order)
  return dispatch("sortPermutation", keys, axis, order)
}

/**
 * `out[..., q, ...] = x[..., indices[..., q, ...], ...]` along `axis`; `indices` match `x` on every
 * other axis. JAX: `jnp.take_along_axis` (negative indices wrap once; out of range throws).
 * @example
 * import * as K from "tanka/internal/kernels/index.js"
 * declare const x: K.HostArray
 * K.takeAlongAxis(x, K.sortPermutation([x], 1, "ascending"), 1)
 */
export const takeAlongAxis = (x: HostArray, indices: HostArray, axis: number): HostArray => {
  validateTakeAlongAxis(x, indices, axis)
  return dispatch("takeAlongAxis", x, indices, axis)
}

/**
 * Scatter along `axis` with `"set"` (the last update aimed at a position wins) or `"mul"`
 * (positions are multiplied by their updates in order). JAX: `lax.scatter` / `lax.scatter_mul`.
 * @example
 * import * as K from "tanka/internal/kernels/index.js"
 * declare const ids: K.HostArray, rows: K.HostArray, x: K.HostArray
 * K.scatter("set", x, ids, rows, 0)
 */
export const scatter = (mode: ScatterMode, operand: HostArray, indices: HostArray, updates: HostArray, axis: number): HostArray => {
  validateScatter(mode, operand, indices, updates, axis)
  return dispatch("scatter", mode, operand, indices, updates, axis)
}
