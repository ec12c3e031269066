import { Data } from "effect"
import type { ShapedArray } from "./aval.js"

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

/**
 * With `jax.config.update("debugNans", true)` (or `"debugInfs"`), a primitive produced a NaN
 * (or ±Inf). The fields name the primitive, its inputs' avals and how many NaN/Inf each held,
 * the offending output, and the Haiku module path it ran in; the message says whether the
 * primitive made the value or received it, and how to continue.
 *
 * JAX: `FloatingPointError: invalid value (nan) encountered in log`.
 *
 * @example
 * jax.config.update("debugNans", true)
 * jnp.log(jnp.array([-1])) // throws FloatingPointError { primitive: "log", kind: "nan", … }
 */
export class FloatingPointError extends Data.TaggedError("FloatingPointError")<{
  /** lax's name of the primitive whose result held the value (`log`, `div`, `dot_general`). */
  readonly primitive: string
  /** `"nan"` (found with `debugNans`) or `"inf"` (found with `debugInfs`). */
  readonly kind: "nan" | "inf"
  /** The avals of the primitive's inputs, as evaluated (batched under `vmap`). */
  readonly inputs: ReadonlyArray<ShapedArray>
  /** How many NaN and ±Inf values each input held (all zero: the primitive produced it). */
  readonly inputCounts: ReadonlyArray<{ readonly nan: number; readonly inf: number }>
  /** The aval of the output that held it. */
  readonly output: ShapedArray
  /** Which output of the primitive held it. */
  readonly outputIndex: number
  /** How many elements of that output are NaN (or ±Inf). */
  readonly count: number
  /** The Haiku module path the primitive ran in (`"mlp/~/linear_1"`), or null outside any module. */
  readonly modulePath: string | null
  /** True when a `jax.jit` function's compiled output held the value and its op-by-op re-run found this primitive. */
  readonly deoptimized: boolean
  readonly message: string
}> {}

/**
 * `jax.config.update` was given an option tanka does not have, or a value of the wrong type.
 *
 * @example
 * jax.config.update("jax_enable_x64" as any, true) // throws ConfigError
 */
export class ConfigError extends Data.TaggedError("ConfigError")<{
  readonly option: string
  readonly message: string
}> {}
