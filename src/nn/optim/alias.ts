/**
 * The popular optimizers, assembled from gradient transformations exactly as optax does.
 *
 * optax: `optax/_src/alias.py` (`sgd`, `adam`, `adamw`).
 */
import { chain, identity, type EmptyState, type GradientTransformation, type ScalarOrSchedule } from "./GradientTransformation.js"
import { scaleByLearningRate, type ScaleByScheduleState } from "./scale.js"
import { scaleByAdam, type ScaleByAdamOptions, type ScaleByAdamState } from "./scaleByAdam.js"
import { trace, type TraceState } from "./trace.js"
import { addDecayedWeights, type WeightDecayMask } from "./addDecayedWeights.js"

/** State of the learning-rate step: empty for a constant, `{ count }` for a schedule. */
export type LearningRateState = EmptyState | ScaleByScheduleState

/** Options of `sgd`. */
export interface SgdOptions {
  /** Momentum coefficient; omitted means plain SGD (no momentum buffer). */
  readonly momentum?: number
  /** Nesterov momentum (needs `momentum`). Default false. */
  readonly nesterov?: boolean
}

/**
 * Stochastic gradient descent, optionally with (Nesterov) momentum:
 * `chain(trace({ decay: momentum, nesterov }) | identity(), scaleByLearningRate(lr))`.
 * The state is `[TraceState | {}, {} | { count }]`.
 *
 * optax: `optax.sgd(learning_rate, momentum=None, nesterov=False)`.
 *
 * @example
 * const opt = optax.sgd(0.1, { momentum: 0.9, nesterov: true })
 * const [updates, state2] = opt.update(grads, opt.init(params))
 */
export const sgd = (
  learningRate: ScalarOrSchedule,
  options: SgdOptions = {}
): GradientTransformation<readonly [TraceState | EmptyState, LearningRateState]> =>
  chain(
    (options.momentum === undefined ? identity() : trace({ decay: options.momentum, nesterov: options.nesterov ?? false })) as GradientTransformation<TraceState | EmptyState>,
    scaleByLearningRate(learningRate) as GradientTransformation<LearningRateState>
  )

/** Options of `adam`: Adam's decays and epsilons. */
export type AdamOptions = ScaleByAdamOptions

/**
 * Adam: `chain(scaleByAdam({ b1, b2, eps, epsRoot }), scaleByLearningRate(lr))`, i.e. with
 * `t` the 1-based step, `p ← p − lr · mû / (sqrt(nû) + eps)`. The state is
 * `[{ count, mu, nu }, {} | { count }]`.
 *
 * optax: `optax.adam(learning_rate, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0)`.
 *
 * @example
 * const opt = optax.adam(1e-3)
 * const step = jax.jit((params: hk.ParamTree, optState: ReturnType<typeof opt.init>, grads: hk.ParamTree) => {
 *   const [updates, next] = opt.update(grads, optState, params)
 *   return [optax.applyUpdates(params, updates), next] as const
 * })
 */
export const adam = (
  learningRate: ScalarOrSchedule,
  options: AdamOptions = {}
): GradientTransformation<readonly [ScaleByAdamState, LearningRateState]> =>
  chain(scaleByAdam(options), scaleByLearningRate(learningRate) as GradientTransformation<LearningRateState>)

/** Options of `adamw`: Adam's, plus the decoupled weight decay and its mask. */
export interface AdamWOptions extends ScaleByAdamOptions {
  /** Decoupled weight decay coefficient. Default 1e-4 (optax's default). */
  readonly weightDecay?: number
  /** Which params to decay (default: all). */
  readonly mask?: WeightDecayMask
}

/**
 * AdamW (decoupled weight decay): `chain(scaleByAdam(…), addDecayedWeights(weightDecay, mask),
 * scaleByLearningRate(lr))`, i.e. `p ← p − lr · (mû / (sqrt(nû) + eps) + weightDecay · p)`.
 * Needs `params` in `update`. The state is `[{ count, mu, nu }, {}, {} | { count }]`.
 *
 * optax: `optax.adamw(learning_rate, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0, weight_decay=1e-4, mask=None)`.
 *
 * @example
 * const opt = optax.adamw(1e-3, { weightDecay: 1e-2 })
 * const [updates, state2] = opt.update(grads, opt.init(params), params)
 */
export const adamw = (
  learningRate: ScalarOrSchedule,
  options: AdamWOptions = {}
): GradientTransformation<readonly [ScaleByAdamState, EmptyState, LearningRateState]> =>
  chain(
    scaleByAdam(options),
    addDecayedWeights(options.weightDecay ?? 1e-4, options.mask),
    scaleByLearningRate(learningRate) as GradientTransformation<LearningRateState>
  )
