/**
 * Recurrent cores: a module called as `core(inputs, prevState)` giving `[output, nextState]`,
 * with an `initialState(batchSize)` method. `staticUnroll` and `dynamicUnroll` run one over a
 * sequence.
 *
 * Haiku: `hk.RNNCore`.
 */
import type { Effect } from "effect"
import type { Tensor } from "../../transforms/core/Tensor.js"
import * as tree from "../../transforms/core/tree.js"
import * as lax from "../../transforms/core/lax.js"
import type { Module } from "../../effects/module.js"
import type { Naming, Params, Rng } from "../../effects/services.js"
import { ModuleConfigError } from "../modules/errors.js"

/**
 * A recurrent core with state `S`, inputs `I` and outputs `O`: `yield* core(x, state)` gives
 * `[output, nextState]`; `yield* core.initialState(batchSize)` a zero state (`null`: unbatched).
 *
 * Haiku: `hk.RNNCore`.
 *
 * @example
 * const lstm = yield* hk.LSTM(32)
 * const [h, state] = yield* lstm(x, yield* lstm.initialState(8))
 */
export type RNNCore<S, I = Tensor, O = Tensor, R = Params | Rng | Naming> = Module<
  (inputs: I, prevState: S) => Effect.Effect<readonly [O, S], never, R>,
  {
    /** A state for `batchSize` examples (`null`: one unbatched example). Haiku: `initial_state`. */
    readonly initialState: (batchSize: number | null) => Effect.Effect<S>
  }
>

/** Any recurrent core. */
export type AnyRNNCore = RNNCore<any, any, any, any>

/** True for a recurrent core (a module with `initialState`), false for a plain layer. */
export const isRNNCore = (x: unknown): x is AnyRNNCore => typeof x === "function" && typeof (x as { initialState?: unknown }).initialState === "function"

/**
 * `nest` with a leading batch axis of `batchSize` on every leaf (broadcast).
 *
 * Haiku: `hk.add_batch` (recurrent.py).
 *
 * @example
 * hk.addBatch(jnp.zeros([4]), 8) // f32[8,4]
 */
export const addBatch = <T>(nest: T, batchSize: number | null): T =>
  batchSize === null ? nest : (tree.map((x: Tensor) => lax.broadcastTo(x, [batchSize, ...x.shape]), nest) as T)

/** The hidden size option of a core, checked. */
export const hiddenSize = (api: string, v: unknown): number => {
  if (!(typeof v === "number" && Number.isInteger(v) && v > 0)) throw ModuleConfigError.make(api, "hiddenSize", `hiddenSize must be a positive integer, got ${String(v)}.`)
  return v
}

/** The batch size option of `initialState`, checked. */
export const batchSizeOf = (api: string, v: unknown): number | null => {
  if (v === null || v === undefined) return null
  if (!(typeof v === "number" && Number.isInteger(v) && v > 0)) throw ModuleConfigError.make(api, "batchSize", `initialState(batchSize): batchSize must be a positive integer or null (unbatched), got ${String(v)}.`)
  return v
}
