/** The creation family: `iota` and `full`. */
import { launch, launchDevice } from "./backend.js"
import { kernelSource } from "./codegen.js"
import { type DType, DTYPES, allocStorage, sizeOf, stridesOf, typeString } from "./dtype.js"
import { shapeError } from "./errors.js"
import { type HostArray, result } from "./HostArray.js"
import { checkAxis, checkShape, checkSizes } from "./shape.js"
import { resultOf, scalarPlanes, toStorage } from "./transfer.js"

const checkDtypeName = (op: string, dtype: DType, shape: ReadonlyArray<number>): void => {
  if (!DTYPES.includes(dtype)) {
    throw shapeError(op, [`[${shape.join(",")}]`], `unknown dtype ${JSON.stringify(dtype)}`, `use one of ${DTYPES.join(", ")}`)
  }
}

/** Validates an iota call. */
export const validateIota = (dtype: DType, shape: ReadonlyArray<number>, dimension: number): void => {
  checkDtypeName("iota", dtype, shape)
  checkShape("iota", shape, [])
  const t = { dtype, shape }
  if (dtype === "bool") throw shapeError("iota", [typeString(dtype, shape)], "iota has no bool form", "use float32, int32 or uint32")
  checkAxis("iota", dimension, shape.length, [t], "dimension")
  checkSizes("iota", t)
}

/** gpu.js implementation of `iota`: element value = its coordinate along `dimension`. */
export const gpujsIota = (dtype: DType, shape: ReadonlyArray<number>, dimension: number): HostArray => {
  const n = sizeOf(shape)
  if (n === 0) return result(dtype, shape, allocStorage(dtype, 0))
  const inner = stridesOf(shape)[dimension]!
  const size = shape[dimension]!
  const out = launch(
    {
      key: `iota|${inner},${size}`,
      size: n,
      arrays: 0,
      source: () =>
        kernelSource(0, 0, [
          inner === 1 ? `const q = i;` : `const q = Math.floor(i / ${inner});`,
          `const r = Math.floor(q / ${size});`,
          `return q - r * ${size};`
        ])
    },
    []
  )
  return result(dtype, shape, toStorage("iota", dtype, out))
}

/** Validates a full call. */
export const validateFull = (dtype: DType, shape: ReadonlyArray<number>, value: number): void => {
  checkDtypeName("full", dtype, shape)
  checkShape("full", shape, [])
  const t = typeString(dtype, shape)
  if (typeof value !== "number") throw shapeError("full", [t], `value ${String(value)} is not a number`, "pass a number")
  if (dtype === "int32" && !(Number.isInteger(value) && value >= -2147483648 && value <= 2147483647)) {
    throw shapeError("full", [t], `value ${value} is not an int32`, "pass an integer in [-2^31, 2^31)")
  }
  if (dtype === "uint32" && !(Number.isInteger(value) && value >= 0 && value <= 4294967295)) {
    throw shapeError("full", [t], `value ${value} is not a uint32`, "pass an integer in [0, 2^32)")
  }
  checkSizes("full", { dtype, shape })
}

const fill = (n: number, v: number): Float32Array =>
  launch({ key: "full", size: n, arrays: 0, scalars: 1, source: () => kernelSource(0, 1, ["return s0;"]) }, [], [v])

/** gpu.js implementation of `full`; int values travel as exact 16-bit planes. */
export const gpujsFull = (dtype: DType, shape: ReadonlyArray<number>, value: number): HostArray => {
  const n = sizeOf(shape)
  const data = allocStorage(dtype, n)
  if (n === 0) return result(dtype, shape, data)
  if (dtype === "int32" || dtype === "uint32") {
    const [h, l] = scalarPlanes(value)
    const hi = fill(n, h)
    const lo = fill(n, l)
    for (let k = 0; k < n; k++) data[k] = hi[k]! * 65536 + lo[k]!
    return result(dtype, shape, data)
  }
  const v = dtype === "bool" ? (value !== 0 ? 1 : 0) : value
  return resultOf("full", dtype, shape, launchDevice({ key: "full", size: n, arrays: 0, scalars: 1, source: () => kernelSource(0, 1, ["return s0;"]) }, [], [v]))
}
