/**
 * Element types and their host storage. gpu.js computes in float32; integer and boolean
 * tensors keep exact host storage and are converted at the kernel boundary (see `Backend.ts`).
 */
export type DType = "float32" | "int32" | "uint32" | "bool"

/** Host storage for each dtype. Tensors never share a writable storage with the user. */
export type Storage = Float32Array | Int32Array | Uint32Array | Uint8Array

export const DTYPES: ReadonlyArray<DType> = ["float32", "int32", "uint32", "bool"]

/** JAX-style short names used in avals: `f32[3,4]`. */
export const shortName = (dtype: DType): string =>
  dtype === "float32" ? "f32" : dtype === "int32" ? "i32" : dtype === "uint32" ? "u32" : "bool"

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

export const isFloat = (dtype: DType): boolean => dtype === "float32"
export const isInteger = (dtype: DType): boolean => dtype === "int32" || dtype === "uint32"

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
