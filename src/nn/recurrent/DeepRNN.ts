/**
 * `hk.DeepRNN`, `hk.deepRnnWithSkipConnections`, `hk.ResetCore`, `hk.IdentityCore`: cores
 * built from other cores.
 */
import { Effect } from "effect"
import { Tensor } from "../../transforms/core/Tensor.js"
import * as tree from "../../transforms/core/tree.js"
import * as lax from "../../transforms/core/lax.js"
import { shapeError } from "../../transforms/core/errors.js"
import * as jnp from "../../transforms/numpy/ops.js"
import { attach, camelToSnake, module } from "../../effects/module.js"
import type { Naming } from "../../effects/services.js"
import { ModuleConfigError } from "../modules/errors.js"
import { describeInput } from "../modules/inputs.js"
import { isRNNCore, type AnyRNNCore, type RNNCore } from "./RNNCore.js"

/** A layer of a {@link DeepRNN}: a recurrent core, or a function of the input (e.g. `jax.nn.relu`, an `hk.Linear`). */
export type DeepRNNLayer = AnyRNNCore | ((x: any) => unknown)

type CoreR<C> = C extends (...args: any[]) => Effect.Effect<any, any, infer R> ? R : never

/** A constructed `hk.DeepRNN`: its state is an array with one state per core layer. */
export type DeepRNN<L extends ReadonlyArray<DeepRNNLayer> = ReadonlyArray<DeepRNNLayer>> = RNNCore<ReadonlyArray<unknown>, any, any, CoreR<L[number]>> & { readonly layers: L }

const asEffect = (v: unknown): Effect.Effect<unknown, any, any> => (Effect.isEffect(v) ? v : Effect.succeed(v))

const deep = <const L extends ReadonlyArray<DeepRNNLayer>>(api: string, kind: string, layers: L, skip: boolean, name: string | undefined): Effect.Effect<DeepRNN<L>, never, Naming> =>
  module(
    name ?? camelToSnake(kind),
    (self) => {
      if (!Array.isArray(layers)) throw ModuleConfigError.make(api, "layers", `layers must be an array of cores and functions, got ${describeInput(layers)}.`)
      const notFn = layers.findIndex((l) => typeof l !== "function")
      if (notFn >= 0) throw ModuleConfigError.make(api, "layers", `layer ${notFn} is ${describeInput(layers[notFn])}, not a recurrent core or a function of the input.`)
      if (skip) {
        const bad = layers.findIndex((l) => !isRNNCore(l))
        if (bad >= 0) throw ModuleConfigError.make(api, "layers", `skip connections require every layer to be a recurrent core (hk.LSTM, hk.GRU, …); layer ${bad} is not. Use hk.DeepRNN for plain functions between cores.`)
      }
      const cores = layers.filter(isRNNCore)
      const body = Effect.fnUntraced(function* (inputs: unknown, state: ReadonlyArray<unknown>) {
        let current = inputs
        const next: unknown[] = []
        const outputs: unknown[] = []
        let k = 0
        for (let i = 0; i < layers.length; i++) {
          const layer = layers[i]!
          if (skip && i > 0) current = tree.map((x: Tensor, y: Tensor) => jnp.concatenate([x, y], -1), inputs, current)
          if (isRNNCore(layer)) {
            const [o, s] = (yield* layer(current, state[k++])) as readonly [unknown, unknown]
            current = o
            outputs.push(o)
            next.push(s)
          } else current = yield* asEffect((layer as (x: unknown) => unknown)(current))
        }
        const out = skip ? tree.map((...ys: Tensor[]) => jnp.concatenate(ys, -1), outputs[0], ...outputs.slice(1)) : current
        return [out, next] as const
      })
      const call = (inputs: unknown, state: ReadonlyArray<unknown>) =>
        Effect.suspend(() => {
          if (!Array.isArray(state) || state.length !== cores.length) {
            throw shapeError(api, `module '${self.moduleName}': the state must be an array with one state per core (${cores.length}), got ${Array.isArray(state) ? `${state.length} entries` : describeInput(state)}; start from deepRnn.initialState(batchSize).`)
          }
          return self.call(body(inputs, state))
        })
      const initialState = self.defineMethod("initialState", (batchSize: number | null) => Effect.forEach(cores, (c) => c.initialState(batchSize)))
      return attach(call, { moduleName: self.moduleName, name: self.name, layers, initialState }) as unknown as DeepRNN<L>
    },
    { kind, config: { layers: layers.length } }
  )

/**
 * Runs `layers` in order as one core: recurrent cores get their own slice of the state, plain
 * functions are applied to the running value. The state is an array with one entry per core.
 *
 * Haiku: `hk.DeepRNN`.
 *
 * @example
 * const deepRnn = yield* hk.DeepRNN([yield* hk.LSTM(4), jax.nn.relu, yield* hk.LSTM(2)])
 * const [ys] = yield* hk.dynamicUnroll(deepRnn, xs, yield* deepRnn.initialState(8))
 */
export const DeepRNN = <const L extends ReadonlyArray<DeepRNNLayer>>(layers: L, options: { readonly name?: string } = {}): Effect.Effect<DeepRNN<L>, never, Naming> =>
  deep("hk.DeepRNN", "DeepRNN", layers, false, options.name)

/**
 * A deep RNN with skip connections: layer `i > 0` gets `[inputs, output of layer i − 1]`
 * (concatenated on the last axis) and the output is every layer's output concatenated. Every
 * layer must be a recurrent core.
 *
 * Haiku: `hk.deep_rnn_with_skip_connections`.
 *
 * @example
 * const core = yield* hk.deepRnnWithSkipConnections([yield* hk.LSTM(4), yield* hk.LSTM(2)])  // output size 6
 */
export const deepRnnWithSkipConnections = <const L extends ReadonlyArray<AnyRNNCore>>(layers: L, options: { readonly name?: string } = {}): Effect.Effect<DeepRNN<L>, never, Naming> =>
  deep("hk.deepRnnWithSkipConnections", "_DeepRNN", layers, true, options.name)

/** A constructed `hk.ResetCore` over a core with state `S`: its inputs are `[inputs, shouldReset]`. */
export type ResetCore<C extends AnyRNNCore> = RNNCore<
  C extends RNNCore<infer S, any, any, any> ? S : never,
  readonly [C extends RNNCore<any, infer I, any, any> ? I : never, unknown],
  C extends RNNCore<any, any, infer O, any> ? O : never,
  CoreR<C>
>

/** `shouldReset` (a prefix of `state`'s shape) reshaped to broadcast against it from the left. */
const conform = (api: string, moduleName: string, reset: Tensor, state: Tensor): Tensor => {
  if (reset.ndim > state.ndim || reset.shape.some((d, i) => d !== state.shape[i])) {
    throw shapeError(api, `module '${moduleName}': should_reset signal shape ${reset.aval} is not compatible with state shape ${state.aval}; it must be a prefix of it, e.g. [batch].`)
  }
  return lax.reshape(reset, [...reset.shape, ...state.shape.slice(reset.ndim).map(() => 1)])
}

/**
 * Wraps `core` so each example's state can be reset to the initial state mid-sequence: it is
 * called with `[inputs, shouldReset]`, where `shouldReset` is a boolean Tensor whose shape is a
 * prefix of every state leaf's (e.g. `[batch]`), or a pytree matching the state.
 *
 * Haiku: `hk.ResetCore`.
 *
 * @example
 * declare const resets: Tensor
 * const core = yield* hk.ResetCore(yield* hk.LSTM(8))
 * const [ys] = yield* hk.dynamicUnroll(core, [xs, resets], yield* core.initialState(4))   // resets: bool[T, 4]
 */
export const ResetCore = <C extends AnyRNNCore>(core: C, options: { readonly name?: string } = {}): Effect.Effect<ResetCore<C>, never, Naming> =>
  module(
    options.name ?? "reset_core",
    (self) => {
      const api = "hk.ResetCore"
      if (!isRNNCore(core)) throw ModuleConfigError.make(api, "core", `core must be a recurrent core (hk.LSTM, hk.GRU, …), got ${describeInput(core)}.`)
      const isBatched = (state: unknown) =>
        Effect.map(core.initialState(1), (one) => {
          const s = tree.leaves(state) as Tensor[]
          if (s.length === 0) return false
          const b = tree.leaves(one) as Tensor[]
          return b.every((x, i) => x.shape.slice(1).join(",") === s[i]?.shape.slice(1).join(","))
        })
      const body = Effect.fnUntraced(function* (inputs: unknown, shouldReset: unknown, state: unknown) {
        const resets = tree.isLeaf(shouldReset) ? tree.map(() => shouldReset, state) : shouldReset
        const batched = yield* isBatched(state)
        const first = tree.leaves(inputs)[0]
        const batchSize = batched && first instanceof Tensor ? first.shape[0]! : null
        const init = yield* core.initialState(batchSize)
        const reset = tree.map(
          (r: Tensor, i: Tensor, s: Tensor) => {
            if (!(r instanceof Tensor)) throw shapeError(api, `module '${self.moduleName}': shouldReset must be a boolean Tensor (or a pytree of them), got ${describeInput(r)}.`)
            return jnp.where(conform(api, self.moduleName, r, s), lax.convertElementType(i, s.dtype), s)
          },
          resets,
          init,
          state
        )
        return (yield* core(inputs, reset)) as readonly [unknown, unknown]
      })
      const call = (inputs: readonly [unknown, unknown], state: unknown) =>
        Effect.suspend(() => {
          if (!Array.isArray(inputs) || inputs.length !== 2) throw shapeError(api, `module '${self.moduleName}' must be called with [inputs, shouldReset], got ${describeInput(inputs)}.`)
          return self.call(body(inputs[0], inputs[1], state))
        })
      const initialState = self.defineMethod("initialState", (batchSize: number | null) => core.initialState(batchSize))
      return attach(call, { moduleName: self.moduleName, name: self.name, core, initialState }) as unknown as ResetCore<C>
    },
    { kind: "ResetCore", config: { core: core?.moduleName } }
  )

/** A constructed `hk.IdentityCore`: output = input, state `[]`. */
export type IdentityCore = RNNCore<readonly [], any, any, never>

/**
 * A core that forwards its inputs and keeps an empty state `[]` (for switching a model between
 * recurrent and feed-forward without changing its interface).
 *
 * Haiku: `hk.IdentityCore`.
 *
 * @example
 * const id = yield* hk.IdentityCore()
 * const [ys] = yield* hk.staticUnroll(id, xs, yield* id.initialState(8))   // ys equals xs
 */
export const IdentityCore = (options: { readonly name?: string } = {}): Effect.Effect<IdentityCore, never, Naming> =>
  module(
    options.name ?? "identity_core",
    (self) => {
      const call = (inputs: unknown, state: readonly []) => self.call(Effect.succeed([inputs, state] as const))
      const initialState = self.defineMethod("initialState", (_batchSize: number | null) => Effect.succeed([] as const))
      return attach(call, { moduleName: self.moduleName, name: self.name, initialState }) as unknown as IdentityCore
    },
    { kind: "IdentityCore" }
  )
