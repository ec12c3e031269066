/** The error of the optax-style optimizers. */
import { Data } from "effect"

/**
 * An optimizer was used in a way it cannot handle: trees that do not match (a key missing or
 * extra, a leaf of another shape), a chain state of the wrong length, weight decay without
 * params, a mask without the params' structure. The message names the transform, the key path
 * and the fix.
 *
 * @example
 * const opt = optax.adamw(1e-3)
 * opt.update(grads, opt.init(params)) // throws OptimizerError: weight decay needs params
 */
export class OptimizerError extends Data.TaggedError("OptimizerError")<{
  readonly transform: string
  readonly message: string
}> {}
