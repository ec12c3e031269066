/** Host arrays: the immutable (dtype, shape, storage) triple every kernel op takes and returns. */
import { type DType, type Storage, DTYPES, isStorageOf, sizeOf, storageName, typeString } from "./dtype.js"
import { shapeError } from "./errors.js"

/** An array in host memory: row-major storage of `sizeOf(shape)` elements. Treated as immutable. */
export interface HostArray {
  readonly dtype: DType
  readonly shape: ReadonlyArray<number>
  readonly data: Storage
}

/**
 * Makes a HostArray after checking that `data` is `dtype`'s storage class and holds exactly
 * `sizeOf(shape)` elements. The storage is used as is (not copied).
 * @example
 * import * as K from "tanka/internal/kernels/index.js"
 * K.hostArray("float32", [2], new Float32Array([1, 2]))
 */
export const hostArray = (dtype: DType, shape: ReadonlyArray<number>, data: Storage): HostArray => {
  if (!DTYPES.includes(dtype)) {
    throw shapeError("hostArray", [String(dtype)], `unknown dtype ${JSON.stringify(dtype)}`, `use one of ${DTYPES.join(", ")}`)
  }
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw shapeError("hostArray", [`[${shape.join(",")}]`], `shape entry ${d} is not a non-negative integer`, "pass whole, non-negative dimension sizes")
    }
  }
  if (!isStorageOf(dtype, data)) {
    const got = (data as object | null)?.constructor?.name ?? typeof data
    throw shapeError("hostArray", [typeString(dtype, shape)], `${dtype} data must be a ${storageName(dtype)}, got ${got}`, `pass a ${storageName(dtype)}`)
  }
  const n = sizeOf(shape)
  if (data.length !== n) {
    throw shapeError("hostArray", [typeString(dtype, shape)], `data has ${data.length} elements but the shape needs ${n}`, "make data.length equal the product of the shape")
  }
  return Object.freeze({ dtype, shape: Object.freeze([...shape]), data })
}

/** JAX-style type string of a host array: `f32[2,3]`. */
export const describe = (x: { readonly dtype: DType; readonly shape: ReadonlyArray<number> }): string => typeString(x.dtype, x.shape)

/** Internal constructor for op results (storage built by this layer; shape already validated). */
export const result = (dtype: DType, shape: ReadonlyArray<number>, data: Storage): HostArray =>
  Object.freeze({ dtype, shape: Object.freeze([...shape]), data })
