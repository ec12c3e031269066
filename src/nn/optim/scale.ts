/**
 * Multiplying updates by a constant or a scheduled step size.
 *
 * optax: `optax.scale`, `optax.scale_by_schedule`, `optax.scale_by_learning_rate`.
 */
import * as jnp from "../../jnp.js"
import * as jax from "../../jax.js"
import { Tensor } from "../../transforms/core/Tensor.js"
import {
  emptyState,
  incrementCount,
  zeroCount,
  type EmptyState,
  type GradientTransformation,
  type ScalarOrSchedule,
  type Schedule
} from "./GradientTransformation.js"

/** Multiply a leaf by a step size, keeping the leaf's dtype (JAX: `jnp.array(step, dtype=g.dtype) * g`). */
const scaleLeaf = (step: Tensor | number, g: Tensor | number): Tensor => {
  if (!(g instanceof Tensor)) return jnp.multiply(step, g)
  const s = step instanceof Tensor && step.dtype !== g.dtype ? jnp.astype(step, g.dtype) : step
  return jnp.multiply(s, g)
}

/**
 * Multiply every update by `stepSize`: `u ← stepSize · u`. Stateless.
 *
 * optax: `optax.scale`.
 *
 * @example
 * const [u] = optax.scale(-0.1).update(grads, {}) // -0.1 * grads
 */
export const scale = (stepSize: number): GradientTransformation<EmptyState> => ({
  init: () => emptyState(),
  update: (updates, state) => [jax.tree.map((g: Tensor) => scaleLeaf(stepSize, g), updates), state]
})

/** State of `scaleBySchedule`: the int32 step count. optax: `ScaleByScheduleState`. */
export interface ScaleByScheduleState {
  readonly count: Tensor
}

/**
 * Multiply every update by `stepSizeFn(count)`, then increment the step count (an int32
 * scalar tensor in the state, so this works under `jax.jit`).
 *
 * optax: `optax.scale_by_schedule`.
 *
 * @example
 * const warmup = optax.scaleBySchedule((count) => jnp.minimum(1, jnp.divide(jnp.add(count, 1), 100)))
 */
export const scaleBySchedule = (stepSizeFn: Schedule): GradientTransformation<ScaleByScheduleState> => ({
  init: () => ({ count: zeroCount() }),
  update: (updates, state) => {
    const step = stepSizeFn(state.count)
    return [jax.tree.map((g: Tensor) => scaleLeaf(step, g), updates), { count: incrementCount(state.count) }]
  }
})

/**
 * Scale by the learning rate, flipping the sign by default (a descent step): `u ← -lr · u`,
 * with `lr` a constant or a schedule of the step count.
 *
 * optax: `optax.scale_by_learning_rate`.
 *
 * @example
 * const opt = optax.chain(optax.scaleByAdam(), optax.scaleByLearningRate(1e-3))  // == optax.adam(1e-3)
 */
export function scaleByLearningRate(learningRate: number, options?: { readonly flipSign?: boolean }): GradientTransformation<EmptyState>
export function scaleByLearningRate(learningRate: Schedule, options?: { readonly flipSign?: boolean }): GradientTransformation<ScaleByScheduleState>
export function scaleByLearningRate(learningRate: ScalarOrSchedule, options?: { readonly flipSign?: boolean }): GradientTransformation<EmptyState> | GradientTransformation<ScaleByScheduleState>
export function scaleByLearningRate(
  learningRate: ScalarOrSchedule,
  options: { readonly flipSign?: boolean } = {}
): GradientTransformation<EmptyState> | GradientTransformation<ScaleByScheduleState> {
  const m = options.flipSign === false ? 1 : -1
  if (typeof learningRate === "function") return scaleBySchedule((count) => jnp.multiply(m, learningRate(count)))
  return scale(m * learningRate)
}
