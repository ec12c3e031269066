/**
 * Gradient clipping by the global l2 norm of all leaves.
 *
 * optax: `optax.clip_by_global_norm`.
 */
import * as jnp from "../../jnp.js"
import * as jax from "../../jax.js"
import type { Tensor } from "../../transforms/core/Tensor.js"
import { emptyState, globalNorm, type EmptyState, type GradientTransformation } from "./GradientTransformation.js"

/**
 * Rescale the updates so their global norm is at most `maxNorm`: with `n = ‖u‖₂` over all
 * leaves, `u ← u` when `n < maxNorm`, else `u ← (u / n) · maxNorm`. The choice is a
 * `jnp.where`, so it traces under `jax.jit`. Stateless.
 *
 * optax: `optax.clip_by_global_norm`.
 *
 * @example
 * const opt = optax.chain(optax.clipByGlobalNorm(1.0), optax.adam(1e-3))
 */
export const clipByGlobalNorm = (maxNorm: number): GradientTransformation<EmptyState> => ({
  init: () => emptyState(),
  update: (updates, state) => {
    const norm = globalNorm(updates)
    const trigger = jnp.less(norm, maxNorm)
    const clipped = jax.tree.map((t: Tensor) => jnp.where(trigger, t, jnp.multiply(jnp.divide(t, norm), maxNorm)), updates)
    return [clipped, state]
  }
})
