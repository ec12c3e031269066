/**
 * The error a stock module raises when it is constructed or called with options it does not
 * accept (an out-of-range rate, an unknown padding, an unsupported feature). Raised as a defect
 * (`Effect.die`), like Haiku's `ValueError`s, so a module's `E` stays the user's own.
 */
import { Data } from "effect"

/**
 * A stock module got an option it cannot use; the message names the module, the option, and
 * the fix.
 *
 * Haiku: the `ValueError`s of the module constructors (e.g. "Cannot set `scale_init` if
 * `create_scale=False`").
 *
 * @example
 * hk.Dropout(1.5) // dies with ModuleConfigError: "hk.Dropout: rate must be in [0, 1) …"
 */
export class ModuleConfigError extends Data.TaggedError("ModuleConfigError")<{
  /** The module API, e.g. `"hk.BatchNorm"`. */
  readonly module: string
  /** The offending option, e.g. `"crossReplicaAxis"`. */
  readonly option: string
  readonly message: string
}> {
  /** The error with its message built from these facts (the message names the fix). */
  static make(module: string, option: string, message: string): ModuleConfigError {
    return new ModuleConfigError({ module, option, message: `${module}: ${message}` })
  }
}
