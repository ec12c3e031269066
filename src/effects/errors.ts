/**
 * Haiku's error cases as tagged classes. Each message says what happened, why, and the fix; the
 * facts are also fields.
 *
 * Two kinds, by who can act on them:
 * - **Typed failures** (in `init`/`apply`'s `E`, so `Effect.catchTag` works): errors caused by
 *   the *arguments* of `init`/`apply` — params from another model or a checkpoint
 *   (`MissingParameterError`, `ParameterShapeError`), state (`MissingStateError` in
 *   `transformWithState`'s apply), a missing or malformed key (`MissingRngError`,
 *   `InvalidKeyError`), params or state that are not trees (`InvalidParamsError`).
 * - **Defects** (`Effect.die`, thrown as themselves by `Effect.runSync`): errors only a code
 *   change can fix — `UnexpectedTracerError`, `NestedTransformError`, `HaikuContextError`,
 *   `NonEmptyStateError`, `LiftKeyCollisionError`, `ModuleNameError`, `MissingInitializerError`,
 *   `WrappedTransformError`, …
 *
 * Inside `f` every Haiku operation raises as a defect, so a module's `E` stays the user's own;
 * the handler turns the argument errors into failures of `init`/`apply`.
 */
import { Data, Effect } from "effect"

/**
 * A Haiku operation ran outside `hk.transform` / `hk.transformWithState`.
 *
 * Haiku: ``ValueError("`hk.get_parameter` must be used as part of an `hk.transform`")``.
 *
 * @example
 * Effect.runSync(hk.getParameter("w", [2], jnp.ones) as Effect.Effect<Tensor>) // dies with HaikuContextError (the cast hides the missing hk.Params)
 */
export class HaikuContextError extends Data.TaggedError("HaikuContextError")<{
  readonly api: string
  readonly message: string
}> {
  /** The error with its message built from these facts (the message names the fix). */
  static make(api: string): HaikuContextError {
    return new HaikuContextError({
      api,
      message:
        `\`${api}\` must be used as part of an \`hk.transform\`: it reads Haiku's params/state/rng, which only ` +
        `exist while hk.transform(f).init/apply (or hk.transformWithState) runs f. Wrap the function with hk.transform and run init/apply.`
    })
  }
}

/**
 * A parameter was read in `apply` that `init` never created.
 *
 * Haiku: `Unable to retrieve parameter 'w' for module '~' All parameters must be created as part of `init`.`
 */
export class MissingParameterError extends Data.TaggedError("MissingParameterError")<{
  readonly name: string
  readonly module: string
  readonly message: string
}> {
  /** The error with its message built from these facts (the message names the fix). */
  static make(name: string, module: string): MissingParameterError {
    return new MissingParameterError({
      name,
      module,
      message:
        `Unable to retrieve parameter '${name}' for module '${module}' All parameters must be created as part of \`init\`. ` +
        `The params passed to apply have no '${module}/${name}': pass the tree returned by init (of this same function), not one from another model.`
    })
  }
}

/**
 * A parameter exists with a different shape than requested.
 *
 * Haiku: `'~/w' with retrieved shape (1,) does not match shape=(2,) dtype=float32`.
 */
export class ParameterShapeError extends Data.TaggedError("ParameterShapeError")<{
  readonly fullName: string
  readonly expected: ReadonlyArray<number>
  readonly actual: ReadonlyArray<number>
  readonly message: string
}> {
  /** The error with its message built from these facts (the message names the fix). */
  static make(fullName: string, actual: ReadonlyArray<number>, expected: ReadonlyArray<number>, dtype: string): ParameterShapeError {
    return new ParameterShapeError({
      fullName,
      expected,
      actual,
      message:
        `'${fullName}' with retrieved shape [${actual.join(",")}] does not match shape=[${expected.join(",")}] dtype=${dtype}. ` +
        `The stored parameter was created (or passed to apply) with another shape: check the input sizes, or that the params come from this model's init.`
    })
  }
}

/**
 * A parameter or state value had to be created but no initializer was given.
 *
 * Haiku: `ValueError("Initializer must be specified.")`.
 */
export class MissingInitializerError extends Data.TaggedError("MissingInitializerError")<{
  readonly fullName: string
  readonly message: string
}> {}

/**
 * Randomness was requested but `init`/`apply` was given a `null` key.
 *
 * Haiku: `MissingRNGError("You must pass a non-None PRNGKey to init and/or apply if you make use of random numbers.")`.
 */
export class MissingRngError extends Data.TaggedError("MissingRngError")<{
  readonly api: string
  readonly message: string
}> {
  /** The error with its message built from these facts (the message names the fix). */
  static make(api: string): MissingRngError {
    return new MissingRngError({
      api,
      message:
        `You must pass a non-null PRNGKey to init and/or apply if you make use of random numbers: ${api} needs a key but this run was given null. ` +
        `Pass jax.random.key(seed) (or a number seed) as the key argument.`
    })
  }
}

/**
 * State was used where it cannot be kept: `hk.getState`/`hk.setState` under `hk.transform`, or a
 * stateful init given to `hk.lift`.
 *
 * Haiku: ``NonEmptyStateError("If your transformed function uses `hk.{get,set}_state` then use `hk.transform_with_state`.")``.
 */
export class NonEmptyStateError extends Data.TaggedError("NonEmptyStateError")<{
  readonly message: string
}> {}

/**
 * A state value was read that does not exist and could not be created.
 *
 * Haiku: `No value for 'count' in '~', perhaps set an init function?`
 */
export class MissingStateError extends Data.TaggedError("MissingStateError")<{
  readonly name: string
  readonly module: string
  readonly message: string
}> {}

/**
 * `hk.lift` would write a parameter bundle that already exists in the outer params.
 *
 * Haiku: `Key 'inner/linear' already exists in the destination params. To prevent accidental parameter re-use during lift, you can't re-use a parameter already defined in the outer scope.`
 */
export class LiftKeyCollisionError extends Data.TaggedError("LiftKeyCollisionError")<{
  readonly key: string
  readonly message: string
}> {
  /** The error with its message built from these facts (the message names the fix). */
  static make(key: string): LiftKeyCollisionError {
    return new LiftKeyCollisionError({
      key,
      message:
        `Key '${key}' already exists in the destination params. To prevent accidental parameter re-use during lift, you can't re-use a parameter already defined in the outer scope. ` +
        `Give the lift a distinct { name }, or pass { allowReuse: true } if the reuse is intended (e.g. a lift inside hk.scan).`
    })
  }
}

/**
 * An inner `hk.transform(g).init` ran inside an outer transform without `hk.lift`: its
 * parameters would never reach the outer params (Haiku silently drops them).
 */
export class NestedTransformError extends Data.TaggedError("NestedTransformError")<{
  readonly message: string
}> {
  /** The error with its message built from these facts (the message names the fix). */
  static make(what: string): NestedTransformError {
    return new NestedTransformError({
      message:
        `${what} was run inside another hk.transform without hk.lift: the inner parameters would not be registered in the outer params ` +
        `(Haiku silently drops them, and an outer apply would re-initialise them on every call). ` +
        `Use hk.lift(inner.init, { name }) to register them, or hk.unregistered(inner.init) if discarding them is intended.`
    })
  }
}

/**
 * A module name is not a valid identifier, or an explicitly numbered name is taken.
 *
 * Haiku: `Module name 'custom_name_1' is not unique.` / `'1x' is not a valid module name (must be a valid Python identifier)`.
 */
export class ModuleNameError extends Data.TaggedError("ModuleNameError")<{
  readonly name: string
  readonly message: string
}> {}

/**
 * The key given to `init`/`apply` is not a key, a number seed, or `null`.
 *
 * Haiku: ``ValueError("Init must be called with an RNG as the first argument, the required signature is: `init(rng, *a, **k)`. …")``.
 */
export class InvalidKeyError extends Data.TaggedError("InvalidKeyError")<{
  readonly message: string
}> {}

/**
 * `apply` was given params (or state) that are not a two-level object.
 *
 * Haiku: ``TypeError("params argument does not appear valid. It should be a mapping but is of type …")``.
 */
export class InvalidParamsError extends Data.TaggedError("InvalidParamsError")<{
  readonly message: string
}> {}

/**
 * `hk.ensemble`'s init or apply was given a number of keys (or stacked params) that is not the
 * ensemble's size. A typed failure of `init`/`apply`.
 *
 * @example
 * declare const net: (x: Tensor) => Effect.Effect<Tensor, never, hk.Params | hk.Rng | hk.Naming>
 * hk.ensemble(hk.transform(net), 4).init(jax.random.split(key, 3), x) // fails with EnsembleSizeError
 */
export class EnsembleSizeError extends Data.TaggedError("EnsembleSizeError")<{
  readonly expected: number
  readonly actual: number
  readonly message: string
}> {}

/**
 * A wrapped transform (`hk.vmap`, `hk.scan`, `hk.whileLoop`, …) was used in a way it does not support.
 *
 * Haiku: e.g. `hk.vmap does not support setting split_rng to True during initialization …`.
 */
export class WrappedTransformError extends Data.TaggedError("WrappedTransformError")<{
  readonly transform: string
  readonly message: string
}> {}

/** The typed failures of `init` (besides `f`'s own `E`): caused by its key or by the input shapes. */
export type InitError = ParameterShapeError | MissingRngError | InvalidKeyError

/** The typed failures of `apply` (besides `f`'s own `E`): caused by its params and key. */
export type ApplyError = MissingParameterError | ParameterShapeError | MissingRngError | InvalidKeyError | InvalidParamsError

/** The typed failures of `hk.transformWithState(f).apply`: those of {@link ApplyError} and a state missing a value. */
export type ApplyWithStateError = ApplyError | MissingStateError

type ErrorClass = abstract new (...args: any[]) => unknown

/** The classes of {@link InitError}, {@link ApplyError}, {@link ApplyWithStateError}. */
export const INIT_ERRORS: ReadonlyArray<ErrorClass> = [ParameterShapeError, MissingRngError, InvalidKeyError]
export const APPLY_ERRORS: ReadonlyArray<ErrorClass> = [MissingParameterError, ParameterShapeError, MissingRngError, InvalidKeyError, InvalidParamsError]
export const APPLY_WITH_STATE_ERRORS: ReadonlyArray<ErrorClass> = [...APPLY_ERRORS, MissingStateError]

/** `effect` with the defects that are instances of `classes` turned into typed failures (the others stay defects). */
export const failWith = <A, E, R, X>(effect: Effect.Effect<A, E, R>, classes: ReadonlyArray<ErrorClass>): Effect.Effect<A, E | X, R> =>
  Effect.catchDefect(effect, (defect) => (classes.some((c) => defect instanceof c) ? Effect.fail(defect as X) : Effect.die(defect)))
