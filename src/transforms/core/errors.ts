import { Data } from "effect"

/**
 * A value traced by a transform was used after that transform returned (it "leaked"), or a
 * Haiku-effectful function was handed to a raw `jax.*` transform.
 *
 * JAX: `jax.errors.UnexpectedTracerError`.
 */
export class UnexpectedTracerError extends Data.TaggedError("UnexpectedTracerError")<{
  readonly transform: string
  readonly message: string
}> {}

/**
 * A traced (abstract) value was asked for its concrete data, e.g. `toArray()` inside `jax.jit`
 * or a JS `if` on a traced value.
 *
 * JAX: `jax.errors.ConcretizationTypeError` / `TracerArrayConversionError`.
 */
export class ConcretizationError extends Data.TaggedError("ConcretizationError")<{
  readonly aval: string
  readonly message: string
}> {}

/** An operation got arguments whose shapes or axes do not fit; the message names the op, the shapes and the fix. */
export class ShapeError extends Data.TaggedError("ShapeError")<{
  readonly op: string
  readonly message: string
}> {}

/** An operation got dtypes it has no rule for; the message names the op, the dtypes and the fix. */
export class DTypeError extends Data.TaggedError("DTypeError")<{
  readonly op: string
  readonly message: string
}> {}

/** A transform was given arguments it cannot use (non-scalar output to `grad`, bad `inAxes`, …). */
export class TransformArgumentError extends Data.TaggedError("TransformArgumentError")<{
  readonly transform: string
  readonly message: string
}> {}

/** Data passed to `jnp.array` (or another constructor) is malformed: ragged, non-numeric, wrong length. */
export class ArrayDataError extends Data.TaggedError("ArrayDataError")<{
  readonly message: string
}> {}

export const shapeError = (op: string, message: string): ShapeError => new ShapeError({ op, message: `${op}: ${message}` })
export const dtypeError = (op: string, message: string): DTypeError => new DTypeError({ op, message: `${op}: ${message}` })
