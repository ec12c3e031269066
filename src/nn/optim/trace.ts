/**
 * Momentum: an exponentially decaying trace of past updates.
 *
 * optax: `optax.trace`.
 */
import * as jnp from "../../jnp.js"
import * as jax from "../../jax.js"
import { mapMatching, STATE_FIX } from "./matchTrees.js"
import type { Tensor } from "../../transforms/core/Tensor.js"
import type { GradientTransformation, PyTree } from "./GradientTransformation.js"

/** Options of `trace`. */
export interface TraceOptions {
  /** The momentum coefficient. */
  readonly decay: number
  /** Nesterov momentum: return `g + decay · trace′` instead of `trace′`. Default false. */
  readonly nesterov?: boolean
}

/** State of `trace`: the momentum buffer (params' structure). optax: `optax.TraceState(trace)`. */
export interface TraceState {
  readonly trace: PyTree
}

/**
 * Heavy-ball momentum. `trace′ = g + decay · trace`; the update is `trace′`, or with
 * Nesterov `g + decay · trace′`.
 *
 * optax: `optax.trace`.
 *
 * @example
 * const momentumSgd = optax.chain(optax.trace({ decay: 0.9 }), optax.scale(-0.01)) // == optax.sgd(0.01, { momentum: 0.9 })
 */
export const trace = (options: TraceOptions): GradientTransformation<TraceState> => {
  const { decay } = options
  const f = (g: Tensor, t: Tensor): Tensor => jnp.add(g, jnp.multiply(decay, t))
  return {
    init: (params) => ({ trace: jax.tree.map((p: Tensor) => jnp.zerosLike(jnp.array(p)), params) }),
    update: (updates, state) => {
      const next = mapMatching("trace", f, [["updates", updates], ["state.trace", state.trace]], STATE_FIX)
      const out = options.nesterov ? jax.tree.map(f, updates, next) : next
      return [out, { trace: next }]
    }
  }
}
