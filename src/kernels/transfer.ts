/**
 * The kernel boundary: host storage to float32 kernel inputs and back. Host storage stays
 * exact. Integers move through kernels either as float32 values (exact below 2^24, checked)
 * or as two exact 16-bit planes `hi = v >>> 16`, `lo = v & 0xffff` that are recombined here.
 */
import { type DType, type Storage, allocStorage } from "./dtype.js"
import { EXACT_INT_LIMIT, integerRangeError } from "./errors.js"
import { type HostArray, result } from "./HostArray.js"
import { type KernelInput, residentMode } from "./backend.js"
import { DeviceArray, type DeviceTexture, deviceContext } from "./device.js"

/** Float32 values of `x` for a kernel: float32 storage as is, others converted (ints round above 2^24). */
export const values = (x: HostArray): Float32Array => {
  const d = x.data
  if (d instanceof Float32Array) return d
  // storage is immutable: convert once, so a device upload of the values is reused too
  let v = converted.get(d)
  if (v === undefined) converted.set(d, (v = new Float32Array(d)))
  return v
}

const converted = new WeakMap<Storage, Float32Array>()

/**
 * `x` as a kernel reads it: in the resident (GL) modes a device array's texture, read where it
 * is; otherwise its float32 values on the host (as `values`).
 */
export const kernelInput = (x: HostArray): KernelInput => {
  if (x instanceof DeviceArray && residentMode()) {
    const t = x.texture()
    if (t !== null) return t
  }
  return values(x)
}

/**
 * A float kernel's output as an array of `dtype`: a device array while it is a texture and
 * `dtype` is float32 or bool (0/1 floats), or int32/uint32 with a proven `bound` on |v| below
 * 2^24 (so every value is an exact float integer and no host check is needed); else host storage
 * through `toStorage`, which checks every value.
 */
export const resultOf = (op: string, dtype: DType, shape: ReadonlyArray<number>, out: Float32Array | DeviceTexture, bound?: number): HostArray => {
  if (!(out instanceof Float32Array)) {
    if (dtype === "float32" || dtype === "bool") return new DeviceArray(dtype, shape, out, deviceContext())
    if (bound !== undefined && bound < EXACT_INT_LIMIT) return new DeviceArray(dtype, shape, out, deviceContext(), bound)
    return result(dtype, shape, toStorage(op, dtype, new DeviceArray("float32", shape, out, deviceContext()).data as Float32Array))
  }
  return result(dtype, shape, toStorage(op, dtype, out))
}

/** The unsigned 16-bit planes of int32/uint32 data: `[hi, lo]`, each exact in float32. */
export const planes = (data: Storage): [Float32Array, Float32Array] => {
  const n = data.length
  const hi = new Float32Array(n)
  const lo = new Float32Array(n)
  for (let k = 0; k < n; k++) {
    const v = data[k]! >>> 0
    hi[k] = v >>> 16
    lo[k] = v & 0xffff
  }
  return [hi, lo]
}

/** The planes of one int scalar: `[hi, lo]`. */
export const scalarPlanes = (v: number): [number, number] => {
  const u = v >>> 0
  return [u >>> 16, u & 0xffff]
}

/** Recombines 16-bit planes into int32 (two's complement) or uint32 storage, bit-exact. */
export const joinPlanes = (dtype: DType, hi: Float32Array, lo: Float32Array): Storage => {
  const out = allocStorage(dtype, hi.length)
  for (let k = 0; k < hi.length; k++) out[k] = hi[k]! * 65536 + lo[k]!
  return out
}

/** Largest |v| in `data` (NaN if any element is NaN). */
export const maxAbs = (data: Storage): number => {
  let m = 0
  for (let k = 0; k < data.length; k++) {
    const a = Math.abs(data[k]!)
    if (a > m || a !== a) m = a
  }
  return m
}

/**
 * An upper bound on |v| over an int array's values: a device array's proven bound (no
 * download), else the host data's largest |v| (computed once per storage; storage is immutable).
 */
export const intBound = (x: HostArray): number => {
  if (x instanceof DeviceArray && x.bound !== undefined && !x.onHost) return x.bound
  const d = x.data
  let m = hostBounds.get(d)
  if (m === undefined) hostBounds.set(d, (m = maxAbs(d)))
  return m
}

const hostBounds = new WeakMap<Storage, number>()

/**
 * Throws IntegerRangeError when an int operand of float32 arithmetic holds a value with
 * |v| >= 2^24, which float32 cannot represent exactly.
 */
export const checkIntInputs = (op: string, ...xs: HostArray[]): void => {
  for (const x of xs) {
    if (x.dtype !== "int32" && x.dtype !== "uint32") continue
    const m = intBound(x)
    if (!(m < EXACT_INT_LIMIT)) throw integerRangeError(op, x.dtype, firstOutside(x.data), "an operand")
  }
}

const firstOutside = (data: Storage): number => {
  for (let k = 0; k < data.length; k++) if (Math.abs(data[k]!) >= EXACT_INT_LIMIT) return data[k]!
  return NaN
}

/**
 * Kernel float32 results to `dtype` storage: float32 as is; bool as `v != 0`; int32/uint32
 * after checking every value is an integer with |v| < 2^24 (uint32 negatives wrap mod 2^32,
 * like JAX).
 */
export const toStorage = (op: string, dtype: DType, out: Float32Array): Storage => {
  switch (dtype) {
    case "float32":
      return out
    case "bool": {
      const b = new Uint8Array(out.length)
      for (let k = 0; k < out.length; k++) b[k] = out[k] !== 0 ? 1 : 0
      return b
    }
    case "int32":
    case "uint32": {
      const r = allocStorage(dtype, out.length)
      for (let k = 0; k < out.length; k++) {
        const v = out[k]!
        if (!(Math.abs(v) < EXACT_INT_LIMIT)) throw integerRangeError(op, dtype, v, "the result")
        r[k] = v
      }
      return r
    }
  }
}

/**
 * Kernel float32 results (already truncated toward zero) to `dtype` storage the way
 * `lax.convert_element_type` saturates: NaN becomes 0, out-of-range values clamp to the
 * dtype's range.
 */
export const saturate = (dtype: DType, out: Float32Array): Storage => {
  if (dtype !== "int32" && dtype !== "uint32") return toStorage("convert", dtype, out)
  const lo = dtype === "int32" ? -2147483648 : 0
  const hi = dtype === "int32" ? 2147483647 : 4294967295
  const r = allocStorage(dtype, out.length)
  for (let k = 0; k < out.length; k++) {
    const v = out[k]!
    r[k] = v !== v ? 0 : v < lo ? lo : v > hi ? hi : v
  }
  return r
}
