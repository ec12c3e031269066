/** Shape rules and validation shared by the kernel ops. Every failure is a KernelShapeError. */
import { checkLimit } from "./backend.js"
import { type DType, sizeOf, stridesOf, typeString } from "./dtype.js"
import { shapeError } from "./errors.js"
import { type HostArray, describe } from "./HostArray.js"
import { isLazyArray, lengthOf } from "./device.js"

type Typed = { readonly dtype: DType; readonly shape: ReadonlyArray<number> }

/** JAX-style type strings of the operands, for error messages. */
export const types = (...xs: Typed[]): string[] => xs.map(describe)

/** numpy broadcasting of several shapes (right-aligned; size-1 dimensions stretch). */
export const broadcastShapes = (op: string, xs: ReadonlyArray<Typed>): number[] => {
  const rank = Math.max(0, ...xs.map((x) => x.shape.length))
  const out = new Array<number>(rank).fill(1)
  for (const x of xs) {
    const off = rank - x.shape.length
    x.shape.forEach((n, d) => {
      const cur = out[off + d]!
      if (n === cur || n === 1) return
      if (cur === 1) out[off + d] = n
      else throw shapeError(op, types(...xs), `shapes do not broadcast: dimension ${d} of ${describe(x)} is ${n} where another operand has ${cur}`, "make every dimension equal or 1 (numpy broadcasting), e.g. with broadcastInDim or reshape")
    })
  }
  return out
}

/** Strides that read an array of `shape` broadcast (numpy-style) to `outShape`: 0 on stretched dimensions. */
export const broadcastStrides = (shape: ReadonlyArray<number>, outShape: ReadonlyArray<number>): number[] => {
  const strides = stridesOf(shape)
  const off = outShape.length - shape.length
  return outShape.map((_, d) => (d < off || shape[d - off] === 1 ? 0 : strides[d - off]!))
}

/** Checks that an axis lies in `[0, rank)`. */
export const checkAxis = (op: string, axis: number, rank: number, xs: ReadonlyArray<Typed>, what = "axis"): void => {
  if (!Number.isInteger(axis) || axis < 0 || axis >= rank) {
    throw shapeError(op, types(...xs), `${what} ${axis} is out of range for rank ${rank}`, `pass an integer ${what} in [0, ${rank}) (normalise negative axes in the caller)`)
  }
}

/** Checks a list of distinct axes in `[0, rank)`. */
export const checkAxes = (op: string, axes: ReadonlyArray<number>, rank: number, xs: ReadonlyArray<Typed>, what = "axes"): void => {
  if (!Array.isArray(axes)) throw shapeError(op, types(...xs), `${what} must be an array, got ${String(axes)}`, "pass an array of axes")
  for (const a of axes) checkAxis(op, a, rank, xs, what === "axes" ? "axis" : what)
  if (new Set(axes).size !== axes.length) {
    throw shapeError(op, types(...xs), `${what} [${axes.join(",")}] repeat an axis`, "list each axis once")
  }
}

/** Checks a list of integers of the given length. */
export const checkInts = (op: string, name: string, v: ReadonlyArray<number>, length: number, xs: ReadonlyArray<Typed>, min = -Infinity): void => {
  if (!Array.isArray(v) || v.length !== length) {
    throw shapeError(op, types(...xs), `${name} must have ${length} entries, got ${Array.isArray(v) ? `[${v.join(",")}]` : String(v)}`, `pass one ${name} entry per dimension`)
  }
  for (const n of v) {
    if (!Number.isInteger(n) || n < min) {
      throw shapeError(op, types(...xs), `${name} [${v.join(",")}] has the entry ${n}, which is not an integer >= ${min}`, `pass integer ${name} entries >= ${min}`)
    }
  }
}

/** Checks a result shape: non-negative integer entries. */
export const checkShape = (op: string, shape: ReadonlyArray<number>, xs: ReadonlyArray<Typed>, name = "shape"): void => {
  if (!Array.isArray(shape)) throw shapeError(op, types(...xs), `${name} must be an array`, "pass an array of dimension sizes")
  for (const n of shape) {
    if (!Number.isInteger(n) || n < 0) {
      throw shapeError(op, [...types(...xs), `[${shape.join(",")}]`], `${name} entry ${n} is not a non-negative integer`, "pass whole, non-negative dimension sizes")
    }
  }
}

/** Checks the dtype of an operand against an allowed list. */
export const checkDtype = (op: string, x: Typed, allowed: ReadonlyArray<DType>, xs: ReadonlyArray<Typed>, fix?: string): void => {
  if (!allowed.includes(x.dtype)) {
    throw shapeError(op, types(...xs), `${op} needs ${allowed.join(" or ")} operands, got ${x.dtype}`, fix ?? `convert to ${allowed[0]} first with convert(x, "${allowed[0]}")`)
  }
}

/** Checks that an argument is a well-formed HostArray (storage matches dtype and shape). */
export const checkArray = (op: string, x: HostArray, name = "operand"): void => {
  const ok =
    x !== null &&
    typeof x === "object" &&
    Array.isArray(x.shape) &&
    x.shape.every((n) => Number.isInteger(n) && n >= 0) &&
    (isLazyArray(x) ? lengthOf(x) === sizeOf(x.shape) : x.data !== undefined && x.data.length === sizeOf(x.shape))
  if (!ok) {
    const what = x && Array.isArray(x.shape) ? `${name} ${typeString(x.dtype, x.shape)} has ${x.data?.length} elements` : `${name} is not a HostArray`
    throw shapeError(op, [String(name)], what, "build operands with hostArray(dtype, shape, data)")
  }
}

/**
 * Throws KernelLimitError when any of the shapes exceeds the backend's element limit, or has a
 * dimension above it (even with size 0: a reduction or transpose would make it a size).
 */
export const checkSizes = (op: string, ...xs: Typed[]): void =>
  checkLimit(op, xs.map((x) => ({ size: sizeOf(x.shape), type: describe(x), shape: x.shape })))
