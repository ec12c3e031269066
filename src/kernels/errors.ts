/**
 * Errors of the kernel layer. Each is a tagged class (`Data.TaggedError`) whose message says
 * what happened, why, and the fix, naming the op and its operands in JAX style (`f32[2,3]`).
 */
import { Data } from "effect"
import type { DType } from "./dtype.js"

/**
 * A gpu.js mode was requested that cannot run here, or a kernel silently ran on another
 * backend than the one selected. Never a silent fallback.
 */
export class BackendUnavailableError extends Data.TaggedError("BackendUnavailableError")<{
  readonly mode: string
  readonly available: ReadonlyArray<string>
  readonly message: string
}> {}

/**
 * A tensor is too large for exact float32 index math (2^24 elements) or for the backend's
 * texture storage.
 */
export class KernelLimitError extends Data.TaggedError("KernelLimitError")<{
  readonly op: string
  readonly shape: string
  readonly limit: number
  readonly message: string
}> {}

/** A gather index lies outside `[-size, size)` of the indexed axis. */
export class IndexOutOfRangeError extends Data.TaggedError("IndexOutOfRangeError")<{
  readonly op: string
  readonly index: number
  readonly position: number
  readonly axis: number
  readonly size: number
  readonly message: string
}> {}

/**
 * Integer arithmetic left the range in which a float32 kernel is exact (|v| < 2^24).
 * Raised instead of returning an inexact integer.
 */
export class IntegerRangeError extends Data.TaggedError("IntegerRangeError")<{
  readonly op: string
  readonly dtype: DType
  readonly value: number
  readonly limit: number
  readonly message: string
}> {}

/** Bad shapes, axes, dtypes or parameters were passed to a kernel op. */
export class KernelShapeError extends Data.TaggedError("KernelShapeError")<{
  readonly op: string
  readonly shapes: ReadonlyArray<string>
  readonly message: string
}> {}

/** Every kernel-layer error. */
export type KernelError =
  | BackendUnavailableError
  | KernelLimitError
  | IndexOutOfRangeError
  | IntegerRangeError
  | KernelShapeError

/** Largest magnitude (exclusive) for which float32 represents every integer: 2^24. */
export const EXACT_INT_LIMIT = 16777216

/**
 * Builds a KernelShapeError: `op(shapes): what. Fix: fix`.
 * @example
 * import { shapeError } from "tanka/internal/kernels/errors.js"
 * shapeError("transpose", ["f32[2,3]"], "perm [0] has 1 entries for rank 2", "pass a permutation of 0..1")
 */
export const shapeError = (op: string, shapes: ReadonlyArray<string>, what: string, fix: string): KernelShapeError =>
  new KernelShapeError({ op, shapes, message: `${op}(${shapes.join(", ")}): ${what}. Fix: ${fix}.` })

/** Builds an IntegerRangeError for a value met in `op` on `dtype` data. */
export const integerRangeError = (op: string, dtype: DType, value: number, where: string): IntegerRangeError =>
  new IntegerRangeError({
    op,
    dtype,
    value,
    limit: EXACT_INT_LIMIT,
    message:
      `${op} on ${dtype}: ${where} reached ${value}, outside ±2^24 = ±${EXACT_INT_LIMIT}. ` +
      `gpu.js kernels compute in float32, which holds every integer only below 2^24 in magnitude, ` +
      `so the result would be inexact. Fix: keep ${dtype} arithmetic within ±2^24, or convert to float32 ` +
      `first if an approximate result is acceptable.`
  })
