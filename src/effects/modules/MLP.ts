/**
 * `hk.nets.MLP`: a stack of `hk.Linear` layers with an activation between them.
 */
import { Effect } from "effect"
import type { Tensor } from "../../transforms/core/Tensor.js"
import { relu } from "../../transforms/numpy/nn.js"
import type { Initializer } from "../getParameter.js"
import { attach, module, type Module } from "../module.js"
import type { Naming, Params, Rng } from "../services.js"
import { Linear } from "./Linear.js"

/** Options of {@link MLP}. */
export interface MLPOptions {
  readonly wInit?: Initializer<Rng>
  readonly bInit?: Initializer<Rng>
  readonly withBias?: boolean
  /** Applied between layers (default `jax.nn.relu`). */
  readonly activation?: (x: Tensor) => Tensor
  /** Also apply the activation after the last layer (default false). */
  readonly activateFinal?: boolean
  /** Module name (default `"mlp"`). */
  readonly name?: string
}

/** A constructed `hk.nets.MLP`. */
export type MLP = Module<(x: Tensor) => Effect.Effect<Tensor, never, Params | Rng>, { readonly layers: ReadonlyArray<Linear> }>

/**
 * Layers `Linear(outputSizes[i], { name: "linear_i" })` built in the constructor, so their
 * parameters are `mlp/~/linear_0`, `mlp/~/linear_1`, …
 *
 * Haiku: `hk.nets.MLP`.
 *
 * @example
 * const f = (x: Tensor) => Effect.flatMap(hk.nets.MLP([300, 100]), (mlp) => mlp(x))
 * // init(key, jnp.ones([100, 100])) → mlp/~/linear_0 {w: [100,300], b: [300]}, mlp/~/linear_1 {w: [300,100], b: [100]}
 */
export const MLP = (outputSizes: ReadonlyArray<number>, options: MLPOptions = {}): Effect.Effect<MLP, never, Naming> =>
  module(options.name ?? "mlp", (self) =>
    Effect.map(
      Effect.forEach(outputSizes, (size, i) =>
        Linear(size, { name: `linear_${i}`, ...(options.wInit && { wInit: options.wInit }), ...(options.bInit && { bInit: options.bInit }), withBias: options.withBias ?? true })
      ),
      (layers) => {
        const activation = options.activation ?? relu
        const last = layers.length - 1
        const body = Effect.fnUntraced(function* (x: Tensor) {
          let out = x
          for (let i = 0; i <= last; i++) {
            out = yield* layers[i]!(out)
            if (i < last || options.activateFinal) out = activation(out)
          }
          return out
        })
        return attach((x: Tensor) => self.call(body(x)), { moduleName: self.moduleName, name: self.name, layers })
      }
    )
  )
