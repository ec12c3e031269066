/**
 * `hk.nets.MLP`: a stack of `hk.Linear` layers with an activation between them.
 */
import { Effect } from "effect"
import type { Tensor } from "../../transforms/core/Tensor.js"
import { relu } from "../../transforms/numpy/nn.js"
import type { Initializer } from "../../effects/getParameter.js"
import { attach, module, type Module } from "../../effects/module.js"
import type { Naming, Rng } from "../../effects/services.js"
import type { ParamSlot } from "../../effects/paths.js"
import type { LinearNames } from "../modules/Linear.js"
import { Linear } from "../modules/Linear.js"
import { PRNGSequence } from "../../effects/Frame.js"
import * as random from "../../transforms/random/random.js"
import * as lax from "../../transforms/core/lax.js"
import type { Key } from "../../transforms/random/random.js"

/** Per-call options of an MLP: dropout between layers with an explicit key, as in Haiku. */
export interface MLPCallOptions {
  /** Drop each hidden activation with this probability (Haiku: `dropout_rate`). */
  readonly dropoutRate?: number
  /** The key dropout draws from (Haiku: `rng`); required with `dropoutRate`. */
  readonly rng?: Key
}

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

/** `"0" | "1" | …` for a tuple of sizes, `` `${number}` `` for an array of unknown length. */
export type LayerIndex<S extends ReadonlyArray<number>> = number extends S["length"] ? `${number}` : Exclude<keyof S, keyof ReadonlyArray<number>> & string

/**
 * A constructed `hk.nets.MLP` named `Name` with layer sizes `S`: its parameters are typed as
 * `` `${Name}/~/linear_${i}` `` (see `hk.ParamSlot`).
 */
export type MLP<Name extends string = string, S extends ReadonlyArray<number> = ReadonlyArray<number>, Names extends string = string> = Module<
  (x: Tensor, options?: MLPCallOptions) => Effect.Effect<Tensor, never, ParamSlot<`${Name}/~/linear_${LayerIndex<S>}`, Names> | Rng>,
  { readonly layers: ReadonlyArray<Linear> }
>

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
export const MLP = <const S extends ReadonlyArray<number>, const Name extends string = "mlp", const B extends boolean = true>(
  outputSizes: S,
  options: MLPOptions & { readonly name?: Name; readonly withBias?: B } = {}
): Effect.Effect<MLP<Name, S, LinearNames<B>>, never, Naming> =>
  module<MLP<Name, S, LinearNames<B>>, never, Naming>(options.name ?? "mlp", (self) =>
    Effect.map(
      Effect.forEach(outputSizes, (size, i) =>
        Linear(size, { name: `linear_${i}`, ...(options.wInit && { wInit: options.wInit }), ...(options.bInit && { bInit: options.bInit }), withBias: options.withBias ?? true })
      ),
      (layers) => {
        const activation = options.activation ?? relu
        const last = layers.length - 1
        const body = Effect.fnUntraced(function* (x: Tensor, call: MLPCallOptions) {
          const rate = call.dropoutRate
          if (rate !== undefined && (!(rate >= 0 && rate < 1) || call.rng === undefined)) {
            throw new RangeError(`${self.moduleName}: dropoutRate must be in [0, 1) and comes with an explicit rng key (Haiku's MLP takes dropout_rate and rng together); got rate ${rate}${call.rng === undefined ? " and no rng" : ""}.`)
          }
          const rng = rate !== undefined ? new PRNGSequence(call.rng!) : null
          let out = x
          for (let i = 0; i <= last; i++) {
            out = yield* layers[i]!(out)
            if (i < last || options.activateFinal) {
              // as Haiku: dropout on the pre-activation of every activated layer
              if (rng !== null && rate! > 0) {
                const keep = random.bernoulli(rng.next(), 1 - rate!, out.shape)
                out = lax.selectN(keep, lax.zerosLike(out), lax.div(out, lax.scalar(1 - rate!, out.dtype)))
              }
              out = activation(out)
            }
          }
          return out
        })
        return attach((x: Tensor, call: MLPCallOptions = {}) => self.call(body(x, call)), { moduleName: self.moduleName, name: self.name, layers }) as unknown as MLP<Name, S, LinearNames<B>>
      }
    ),
    { kind: "MLP", config: { outputSizes, ...options } }
  )
