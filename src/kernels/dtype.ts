/**
 * Element types and their host storage. gpu.js computes in float32; integer and boolean
 * tensors keep exact host storage and are converted at the kernel boundary (see `transfer.ts`).
 */
export type DType = "float32" | "int32" | "uint32" | "bool"

/** Host storage for each dtype. Tensors never share a writable storage with the user. */
export type Storage = Float32Array | Int32Array | Uint32Array | Uint8Array

/** Every dtype, in promotion order. */
export const DTYPES: ReadonlyArray<DType> = ["float32", "int32", "uint32", "bool"]

/** JAX-style short names used in avals: `f32[3,4]`. */
export const shortName = (dtype: DType): string =>
  dtype === "float32" ? "f32" : dtype === "int32" ? "i32" : dtype === "uint32" ? "u32" : "bool"

/** Zero-filled host storage of `size` elements for `dtype`. */
export const allocStorage = (dtype: DType, size: number): Storage => {
  switch (dtype) {
    case "float32":
      return new Float32Array(size)
    case "int32":
      return new Int32Array(size)
    case "uint32":
      return new Uint32Array(size)
    case "bool":
      return new Uint8Array(size)
  }
}

/** True for `float32`. */
export const isFloat = (dtype: DType): boolean => dtype === "float32"
/** True for `int32` and `uint32`. */
export const isInteger = (dtype: DType): boolean => dtype === "int32" || dtype === "uint32"

/** Number of elements of a shape (1 for a scalar `[]`). */
export const sizeOf = (shape: ReadonlyArray<number>): number => {
  let n = 1
  for (const d of shape) n *= d
  return n
}

/** Row-major strides of a shape. */
export const stridesOf = (shape: ReadonlyArray<number>): number[] => {
  const strides = new Array<number>(shape.length)
  let s = 1
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s
    s *= shape[i]!
  }
  return strides
}

/** True when `data` is the storage class `dtype` uses (`Float32Array` for float32, ...). */
export const isStorageOf = (dtype: DType, data: unknown): data is Storage => {
  switch (dtype) {
    case "float32":
      return data instanceof Float32Array
    case "int32":
      return data instanceof Int32Array
    case "uint32":
      return data instanceof Uint32Array
    case "bool":
      return data instanceof Uint8Array
  }
}

/** The storage class name `dtype` uses, for error messages. */
export const storageName = (dtype: DType): string =>
  dtype === "float32" ? "Float32Array" : dtype === "int32" ? "Int32Array" : dtype === "uint32" ? "Uint32Array" : "Uint8Array"

/** JAX-style type string of an array: `f32[2,3]`, `bool[]`. */
export const typeString = (dtype: DType, shape: ReadonlyArray<number>): string => `${shortName(dtype)}[${shape.join(",")}]`
