/**
 * Adam's moment estimates and bias correction, the heart of `adam` and `adamw`.
 *
 * optax: `optax.scale_by_adam`.
 */
import * as jnp from "../../jnp.js"
import * as jax from "../../jax.js"
import type { Tensor } from "../../transforms/core/Tensor.js"
import { incrementCount, zeroCount, type GradientTransformation, type PyTree } from "./GradientTransformation.js"
import { mapMatching, STATE_FIX } from "./matchTrees.js"

/** Options of `scaleByAdam` (optax's names, camelCased). */
export interface ScaleByAdamOptions {
  /** Decay of the first moment. Default 0.9. */
  readonly b1?: number
  /** Decay of the second moment. Default 0.999. */
  readonly b2?: number
  /** Added to the denominator outside the square root. Default 1e-8. */
  readonly eps?: number
  /** Added to the second moment inside the square root. Default 0. */
  readonly epsRoot?: number
}

/**
 * State of `scaleByAdam`: the int32 step count and the two moment trees (params' structure).
 *
 * optax: `optax.ScaleByAdamState(count, mu, nu)`.
 */
export interface ScaleByAdamState {
  readonly count: Tensor
  readonly mu: PyTree
  readonly nu: PyTree
}

/** `moment / (1 - decay^count)`, with `count` an int32 scalar tensor. optax: `tree_bias_correction`. */
const biasCorrection = (moment: PyTree, decay: number, count: Tensor): PyTree => {
  const correction = jnp.subtract(1, jnp.power(decay, jnp.astype(count, "float32")))
  return jax.tree.map((t: Tensor) => jnp.divide(t, correction), moment)
}

/**
 * Rescale updates by Adam's bias-corrected moments. With `t = count + 1`:
 *
 * ```
 * mu ← b1·mu + (1 − b1)·g          nu ← b2·nu + (1 − b2)·g²
 * mû = mu / (1 − b1^t)             nû = nu / (1 − b2^t)
 * u  = mû / (sqrt(nû + epsRoot) + eps)
 * ```
 *
 * The count is an int32 scalar tensor in the state, so the whole update traces under `jax.jit`.
 *
 * optax: `optax.scale_by_adam`.
 *
 * @example
 * const opt = optax.chain(optax.scaleByAdam({ b1: 0.9 }), optax.scale(-1e-3)) // == optax.adam(1e-3)
 */
export const scaleByAdam = (options: ScaleByAdamOptions = {}): GradientTransformation<ScaleByAdamState> => {
  const b1 = options.b1 ?? 0.9
  const b2 = options.b2 ?? 0.999
  const eps = options.eps ?? 1e-8
  const epsRoot = options.epsRoot ?? 0
  return {
    init: (params) => ({
      count: zeroCount(),
      mu: jax.tree.map((p: Tensor) => jnp.zerosLike(jnp.array(p)), params),
      nu: jax.tree.map((p: Tensor) => jnp.zerosLike(jnp.array(p)), params)
    }),
    update: (updates, state) => {
      const mu = mapMatching("scaleByAdam", (g: Tensor, m: Tensor) => jnp.add(jnp.multiply(1 - b1, g), jnp.multiply(b1, m)), [["updates", updates], ["state.mu", state.mu]], STATE_FIX)
      const nu = mapMatching("scaleByAdam", (g: Tensor, v: Tensor) => jnp.add(jnp.multiply(1 - b2, jnp.square(g)), jnp.multiply(b2, v)), [["updates", updates], ["state.nu", state.nu]], STATE_FIX)
      const count = incrementCount(state.count)
      const muHat = biasCorrection(mu, b1, count)
      const nuHat = biasCorrection(nu, b2, count)
      const out = jax.tree.map(
        (m: Tensor, v: Tensor) => jnp.divide(m, jnp.add(jnp.sqrt(epsRoot === 0 ? v : jnp.add(v, epsRoot)), eps)),
        muHat,
        nuHat
      )
      return [out, { count, mu, nu }]
    }
  }
}
