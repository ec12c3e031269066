/**
 * Decoupled weight decay: add `weightDecay · params` to the updates.
 *
 * optax: `optax.add_decayed_weights`.
 */
import * as jnp from "../../jnp.js"
import * as jax from "../../jax.js"
import { mapMatching } from "./matchTrees.js"
import type { Tensor } from "../../transforms/core/Tensor.js"
import { emptyState, OptimizerError, type EmptyState, type GradientTransformation, type PyTree } from "./GradientTransformation.js"

/**
 * Which leaves to decay: a tree of booleans with the params' structure, or a function from
 * the params to such a tree. Leaves marked `false` pass through unchanged.
 *
 * optax: the `mask` argument of `add_decayed_weights` / `adamw`.
 */
export type WeightDecayMask = PyTree | ((params: PyTree) => PyTree)

/**
 * `u ← u + weightDecay · p` for every (masked-in) leaf. Needs `params` in `update`. Stateless.
 *
 * optax: `optax.add_decayed_weights`.
 *
 * @example
 * // decay the weights `w` of a ParamTree but not the biases `b`
 * const weightsOnly = (params: Record<string, Record<string, Tensor>>) =>
 *   Object.fromEntries(Object.entries(params).map(([m, ps]) => [m, Object.fromEntries(Object.keys(ps).map((n) => [n, n !== "b"]))]))
 * const opt = optax.chain(optax.scaleByAdam(), optax.addDecayedWeights(1e-4, weightsOnly), optax.scale(-1e-3))
 */
export const addDecayedWeights = (weightDecay: number, mask?: WeightDecayMask): GradientTransformation<EmptyState> => ({
  init: () => emptyState(),
  update: (updates, state, params) => {
    if (params === undefined || params === null) {
      throw new OptimizerError({
        transform: "addDecayedWeights",
        message: "addDecayedWeights: update was called without params; weight decay needs them. Call opt.update(grads, state, params)."
      })
    }
    const decay = (g: Tensor, p: Tensor) => jnp.add(g, jnp.multiply(weightDecay, p))
    if (mask === undefined) return [mapMatching("addDecayedWeights", decay, [["updates", updates], ["params", params]], "Pass the params the gradients were taken of: opt.update(grads, state, params)."), state]
    const maskTree = typeof mask === "function" ? (mask as (p: PyTree) => PyTree)(params) : mask
    let out: unknown
    try {
      out = jax.tree.map((g: Tensor, p: Tensor, m: unknown) => (m === true || m === 1 ? decay(g, p) : g), updates, params, maskTree)
    } catch (cause) {
      throw new OptimizerError({
        transform: "addDecayedWeights",
        message: `addDecayedWeights: the mask must be a tree of booleans with the params' structure (${String((cause as Error).message)}); build it with jax.tree.map over the params.`
      })
    }
    return [out as typeof updates, state]
  }
})
