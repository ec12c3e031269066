/** Array constructors: `jnp.array`, `zeros`, `ones`, `full`, `arange`, `eye`, `zerosLike`, `onesLike`. */
import type { DType, Storage } from "../../kernels/dtype.js"
import { DTYPES, sizeOf } from "../../kernels/dtype.js"
import * as K from "../../kernels/index.js"
import { ConcreteTensor, Tensor } from "../core/Tensor.js"
import * as lax from "../core/lax.js"
import { ArrayDataError, ConcretizationError } from "../core/errors.js"

/** An array shape: one non-negative integer per axis (`[]` is a scalar). */
export type Shape = ReadonlyArray<number>

const checkDtype = (op: string, dtype: unknown): DType => {
  if (!DTYPES.includes(dtype as DType)) throw new ArrayDataError({ message: `${op}: unknown dtype ${JSON.stringify(dtype)}; use one of ${DTYPES.join(", ")}.` })
  return dtype as DType
}

/**
 * `shape` as a fresh array of non-negative integers, or an error naming `op`: a traced tensor in
 * the shape is a `ConcretizationError` (shapes must be static under `jax.jit`), anything else that
 * is not a list of non-negative integers an `ArrayDataError`.
 *
 * @example
 * jnp.checkShape("myOp", [2, 3]) // [2, 3]
 */
export const checkShape = (op: string, shape: unknown): number[] => {
  const traced = shape instanceof Tensor ? shape : Array.isArray(shape) ? shape.find((d) => d instanceof Tensor) : undefined
  if (traced !== undefined) {
    throw new ConcretizationError({
      aval: (traced as Tensor).aval.toString(),
      message:
        `${op}: the shape must be made of static integers, got a tensor ${(traced as Tensor).aval.toString()}; under jax.jit its value is unknown while tracing, and array shapes must be known then. ` +
        `Fix: pass plain JS numbers (close over the size instead of passing it as an argument to the jitted function).`
    })
  }
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ArrayDataError({ message: `${op}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}.` })
  }
  return [...shape]
}

const typedDtype = (data: ArrayBufferView): DType | null =>
  data instanceof Float32Array || data instanceof Float64Array ? "float32" : data instanceof Int32Array ? "int32" : data instanceof Uint32Array ? "uint32" : null

/**
 * A tensor from a number, nested arrays, or a typed array with `{ shape }`. Numbers give
 * float32 unless `dtype` says otherwise; booleans give bool. Ragged or non-numeric data is an error.
 *
 * JAX: `jnp.array`.
 *
 * @example
 * jnp.array([[1, 2], [3, 4]])                       // f32[2,2]
 * jnp.array(new Int32Array([1, 2, 3]), { shape: [3] }) // i32[3]
 */
export const array = (
  data: number | boolean | ReadonlyArray<unknown> | ArrayBufferView | Tensor,
  options: { dtype?: DType; shape?: Shape } = {}
): Tensor => {
  if (data instanceof Tensor) return options.dtype ? lax.convertElementType(data, checkDtype("jnp.array", options.dtype)) : data
  if (ArrayBuffer.isView(data)) {
    const dtype = options.dtype ? checkDtype("jnp.array", options.dtype) : typedDtype(data)
    if (dtype === null) throw new ArrayDataError({ message: `jnp.array: cannot infer a dtype from a ${data.constructor.name}; pass { dtype }.` })
    const src = data as unknown as ArrayLike<number>
    const shape = options.shape ? checkShape("jnp.array", options.shape) : [src.length]
    if (sizeOf(shape) !== src.length) {
      throw new ArrayDataError({ message: `jnp.array: ${src.length} values do not fill shape [${shape.join(",")}] (${sizeOf(shape)} elements); pass a matching { shape }.` })
    }
    return fromValues(src, shape, dtype)
  }
  const { shape, flat, sawBool } = nestedValues(data)
  const dtype = options.dtype ? checkDtype("jnp.array", options.dtype) : sawBool ? "bool" : "float32"
  const outShape = options.shape ? checkShape("jnp.array", options.shape) : shape
  if (sizeOf(outShape) !== flat.length) throw new ArrayDataError({ message: `jnp.array: ${flat.length} values do not fill shape [${outShape.join(",")}].` })
  return fromValues(flat, outShape, dtype)
}

/** Elements a nested-array literal may hold: beyond this it is an ArrayDataError, not a RangeError. */
const MAX_ELEMENTS = 2 ** 31 - 1

/**
 * The shape and row-major values of nested JS arrays, without recursion (so a deep nesting cannot
 * overflow the stack). The shape is read along the first elements (`data`, `data[0]`, …) and
 * every other element must then match it: a scalar where an array is expected, an array where a
 * scalar is, or a row of another length is ragged. A cycle (an array containing itself) is named.
 */
const nestedValues = (data: unknown): { shape: number[]; flat: number[]; sawBool: boolean } => {
  const shape: number[] = []
  const chain = new Set<unknown>()
  for (let x = data; Array.isArray(x); x = x.length > 0 ? x[0] : undefined) {
    if (chain.has(x)) throw new ArrayDataError({ message: `jnp.array: data${"[0]".repeat(shape.length)} is an array that contains itself; nested arrays must be finite trees of numbers and booleans.` })
    chain.add(x)
    shape.push(x.length)
    if (x.length === 0) break
  }
  const size = shape.reduce((a, b) => a * b, 1)
  if (size > MAX_ELEMENTS) throw new ArrayDataError({ message: `jnp.array: nested data of shape [${shape.join(",")}] has ${size} elements, more than ${MAX_ELEMENTS}; build large arrays from a typed array with { shape }.` })
  const flat: number[] = []
  let sawBool = false
  const pathOf = (idx: ReadonlyArray<number>, depth: number): string => `data${idx.slice(0, depth).map((i) => `[${i}]`).join("")}`
  // depth-first over (value, depth); idx holds the index at each depth for messages
  const idx: number[] = new Array(shape.length).fill(0)
  const stack: Array<[unknown, number, number]> = [[data, 0, 0]]
  while (stack.length > 0) {
    const [x, depth, at] = stack.pop()!
    if (depth > 0) idx[depth - 1] = at
    if (depth < shape.length) {
      if (!Array.isArray(x)) {
        throw new ArrayDataError({ message: `jnp.array: ragged data: ${pathOf(idx, depth)} is ${describe(x)} where an array of length ${shape[depth]} was expected; every row must have the same length and depth.` })
      }
      if (x.length !== shape[depth]) {
        throw new ArrayDataError({ message: `jnp.array: ragged data: ${pathOf(idx, depth)} has ${x.length} elements where ${shape[depth]} were expected; every row must have the same length.` })
      }
      for (let i = x.length - 1; i >= 0; i--) stack.push([x[i], depth + 1, i])
      continue
    }
    if (Array.isArray(x)) {
      throw new ArrayDataError({ message: `jnp.array: ragged data: ${pathOf(idx, depth)} is an array where a scalar was expected (as at ${pathOf(new Array(depth).fill(0), depth)}); every row must have the same depth.` })
    }
    if (typeof x === "boolean") {
      sawBool = true
      flat.push(x ? 1 : 0)
    } else if (typeof x === "number") flat.push(x)
    else throw new ArrayDataError({ message: `jnp.array: ${depth === 0 ? "data" : pathOf(idx, depth)} is ${describe(x)}; only numbers and booleans are allowed.` })
  }
  return { shape, flat, sawBool }
}

const describe = (x: unknown): string =>
  x === null
    ? "null"
    : x === undefined
      ? "undefined"
      : Array.isArray(x)
        ? "an array"
        : x instanceof Tensor
          ? `a Tensor ${x.aval.toString()}`
          : typeof x === "string"
            ? `the string ${JSON.stringify(x.length > 20 ? `${x.slice(0, 20)}…` : x)}`
            : typeof x === "object"
              ? "an object"
              : `a ${typeof x}`

const fromValues = (values: ArrayLike<number>, shape: number[], dtype: DType): ConcreteTensor => {
  const data: Storage = K.allocStorage(dtype, values.length)
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i])
    if (dtype !== "float32" && dtype !== "bool" && (!Number.isInteger(v) || (dtype === "int32" ? v < -2147483648 || v > 2147483647 : v < 0 || v > 4294967295))) {
      throw new ArrayDataError({ message: `jnp.array: value ${v} at flat index ${i} is not a valid ${dtype}; round or cast it, or use float32.` })
    }
    data[i] = dtype === "bool" ? (v ? 1 : 0) : v
  }
  return new ConcreteTensor(K.hostArray(dtype, shape, data))
}

const INT_RANGE: Partial<Record<DType, [number, number]>> = { int32: [-2147483648, 2147483647], uint32: [0, 4294967295] }

const filled = (op: string, shape: Shape, value: number | boolean, dtypeIn: DType): Tensor => {
  const dims = checkShape(op, shape)
  const dtype = checkDtype(op, dtypeIn)
  if (typeof value !== "number" && typeof value !== "boolean") {
    throw new ArrayDataError({
      message: `${op}: the fill value must be a number or a boolean, got ${describe(value)}. To fill with a tensor's values, use jnp.broadcastTo(x, shape).`
    })
  }
  const v = Number(value)
  const range = INT_RANGE[dtype]
  if (range !== undefined && !(Math.trunc(v) >= range[0] && Math.trunc(v) <= range[1])) {
    throw new ArrayDataError({ message: `${op}: the fill value ${v} is not representable as ${dtype} (range ${range[0]} to ${range[1]}); pass a value in range, or use float32.` })
  }
  return lax.full(dims, range !== undefined ? Math.trunc(v) : v, dtype)
}
/**
 * An array of `shape` filled with `value` (a number or boolean; truncated toward zero for int
 * dtypes, as a cast does).
 *
 * JAX: `jnp.full`.
 *
 * @example
 * jnp.full([2, 3], 0.5) // f32[2,3] of 0.5
 */
export const full = (shape: Shape, value: number | boolean, dtype: DType = "float32"): Tensor => filled("jnp.full", shape, value, dtype)
/** JAX: `jnp.zeros`. */
export const zeros = (shape: Shape, dtype: DType = "float32"): Tensor => filled("jnp.zeros", shape, 0, dtype)
/** JAX: `jnp.ones`. */
export const ones = (shape: Shape, dtype: DType = "float32"): Tensor => filled("jnp.ones", shape, 1, dtype)
/** JAX: `jnp.zeros_like`. */
export const zerosLike = (x: Tensor): Tensor => lax.zerosLike(x)
/** JAX: `jnp.ones_like`. */
export const onesLike = (x: Tensor): Tensor => lax.onesLike(x)

/**
 * `arange(n)` or `arange(start, stop, step = 1)`; int32 when every bound is an integer, else float32.
 *
 * JAX: `jnp.arange`.
 */
export const arange = (a: number, b?: number, step = 1, dtype?: DType): Tensor => {
  const [start, stop] = b === undefined ? [0, a] : [a, b]
  if (step === 0 || !Number.isFinite(start) || !Number.isFinite(stop) || !Number.isFinite(step)) {
    throw new ArrayDataError({ message: `jnp.arange: bounds must be finite and step non-zero, got (${start}, ${stop}, ${step}).` })
  }
  const n = Math.max(0, Math.ceil((stop - start) / step))
  const dt = dtype ?? ([start, stop, step].every(Number.isInteger) ? "int32" : "float32")
  const idx = lax.iota(dt, [n], 0)
  if (start === 0 && step === 1) return idx
  return lax.add(lax.mul(idx, lax.scalar(step, dt)), lax.scalar(start, dt))
}

/** JAX: `jnp.eye`. */
export const eye = (n: number, m: number = n, dtype: DType = "float32"): Tensor =>
  lax.convertElementType(lax.eq(lax.iota("int32", [n, m], 0), lax.iota("int32", [n, m], 1)), dtype)
