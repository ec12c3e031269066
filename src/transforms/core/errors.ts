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

/**
 * The function handed to a transform suspended asynchronously (`Effect.sleep`, `Effect.promise`,
 * a `Deferred`, a fork it awaits, …). Transforms trace their function synchronously, as JAX's do:
 * the trace cannot wait for the event loop. Compute asynchronous values outside the transform and
 * pass them in as tensors.
 *
 * @example
 * jax.vmap((x: Tensor) => Effect.as(Effect.sleep("1 millis"), x))(xs) // throws AsyncBodyError
 */
export class AsyncBodyError extends Data.TaggedError("AsyncBodyError")<{
  /** The transform whose function suspended (`jax.vmap`, `hk.vmap`, …). */
  readonly transform: string
  readonly message: string
}> {
  /** The error with its message built from these facts (the message names the fix). */
  static make(transform: string): AsyncBodyError {
    return new AsyncBodyError({
      transform,
      message:
        `${transform}: the function suspended asynchronously (Effect.sleep, Effect.promise, a Deferred, or a fiber it awaits), but ${transform} traces it synchronously, as JAX's transforms do: ` +
        `the trace cannot wait for an asynchronous result. Compute the asynchronous part outside ${transform} (await it, or yield* it before calling the transformed function) and pass the result in as a tensor argument.`
    })
  }
}

/** Data passed to `jnp.array` (or another constructor) is malformed: ragged, non-numeric, wrong length. */
export class ArrayDataError extends Data.TaggedError("ArrayDataError")<{
  readonly message: string
}> {}

export const shapeError = (op: string, message: string): ShapeError => new ShapeError({ op, message: `${op}: ${message}` })
export const dtypeError = (op: string, message: string): DTypeError => new DTypeError({ op, message: `${op}: ${message}` })
