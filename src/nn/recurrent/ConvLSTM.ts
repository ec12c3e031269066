/**
 * `hk.Conv1DLSTM` / `hk.Conv2DLSTM` / `hk.Conv3DLSTM`: the LSTM with its linear maps replaced
 * by convolutions over a spatial state.
 */
import { Effect } from "effect"
import { Tensor } from "../../transforms/core/Tensor.js"
import * as lax from "../../transforms/core/lax.js"
import { shapeError } from "../../transforms/core/errors.js"
import * as jnp from "../../transforms/numpy/ops.js"
import { sigmoid } from "../../transforms/numpy/nn.js"
import { zeros } from "../../transforms/numpy/creation.js"
import { attach, module } from "../../effects/module.js"
import type { Naming, Params, Rng } from "../../effects/services.js"
import { ConvND } from "../modules/ConvND.js"
import { ModuleConfigError } from "../modules/errors.js"
import { describeInput } from "../modules/inputs.js"
import { addBatch, batchSizeOf, type RNNCore } from "./RNNCore.js"
import type { LSTMState } from "./cores.js"

/** Options of the convolutional LSTMs. */
export interface ConvLSTMOptions {
  /** The input's shape without batch and channels (the state keeps it). */
  readonly inputShape: ReadonlyArray<number>
  /** Channels of the state and output. */
  readonly outputChannels: number
  /** Kernel size per spatial dim (one number for all). */
  readonly kernelShape: number | ReadonlyArray<number>
  /** Module name (default `conv1_dlstm` / `conv2_dlstm` / `conv3_dlstm`, Haiku's). */
  readonly name?: string
}

/** A constructed convolutional LSTM. */
export type ConvLSTM = RNNCore<LSTMState, Tensor, Tensor, Params | Rng | Naming>

const convLSTM = (n: number, options: ConvLSTMOptions): Effect.Effect<ConvLSTM, never, Naming> =>
  module(
    options?.name ?? `conv${n}_dlstm`,
    (self) => {
      const api = `hk.Conv${n}DLSTM`
      if (!Array.isArray(options.inputShape) || options.inputShape.length !== n || !options.inputShape.every((d) => Number.isInteger(d) && d > 0)) {
        throw ModuleConfigError.make(api, "inputShape", `inputShape must be ${n} positive integers (the input's spatial shape), got ${JSON.stringify(options.inputShape)}.`)
      }
      const out = options.outputChannels
      if (!Number.isInteger(out) || out < 1) throw ModuleConfigError.make(api, "outputChannels", `outputChannels must be a positive integer, got ${out}.`)
      const conv = (name: string) => ConvND(n, 4 * out, { kernelShape: options.kernelShape, name })
      const split4 = (g: Tensor): Tensor[] =>
        [0, 1, 2, 3].map((k) => lax.slice(g, g.shape.map((_, i) => (i === g.ndim - 1 ? k * out : 0)), g.shape.map((d, i) => (i === g.ndim - 1 ? (k + 1) * out : d))))
      const body = Effect.fnUntraced(function* (x: Tensor, state: LSTMState) {
        const inputToHidden = yield* conv("input_to_hidden")
        const hiddenToHidden = yield* conv("hidden_to_hidden")
        const gates = jnp.add(yield* inputToHidden(x), yield* hiddenToHidden(state.hidden))
        const [i, g, f, o] = split4(gates) as [Tensor, Tensor, Tensor, Tensor]
        const c = jnp.add(jnp.multiply(sigmoid(jnp.add(f, 1)), state.cell), jnp.multiply(sigmoid(i), jnp.tanh(g)))
        const h = jnp.multiply(sigmoid(o), jnp.tanh(c))
        return [h, { hidden: h, cell: c }] as const
      })
      const call = (x: Tensor, state: LSTMState) =>
        Effect.suspend(() => {
          if (!(x instanceof Tensor) || (x.ndim !== n + 1 && x.ndim !== n + 2)) throw shapeError(api, `module '${self.moduleName}': input must be [B, ...spatial, C] or unbatched, got ${describeInput(x)}.`)
          if (state === null || typeof state !== "object" || !(state.hidden instanceof Tensor) || !(state.cell instanceof Tensor)) {
            throw shapeError(api, `module '${self.moduleName}': the state must be { hidden, cell }, got ${describeInput(state)}; start from core.initialState(batchSize).`)
          }
          return self.call(body(x, state))
        })
      const initialState = self.defineMethod("initialState", (batchSize: number | null) =>
        Effect.sync((): LSTMState => {
          const shape = [...options.inputShape, out]
          return addBatch({ hidden: zeros(shape), cell: zeros(shape) }, batchSizeOf(api, batchSize))
        })
      )
      return attach(call, { moduleName: self.moduleName, name: self.name, initialState })
    },
    { kind: `Conv${n}DLSTM`, config: { ...options } }
  )

/**
 * A 1-D convolutional LSTM: `input_to_hidden` and `hidden_to_hidden` are `hk.ConvND(1, 4·C)`
 * created in the call; gates as `hk.LSTM`.
 *
 * Haiku: `hk.Conv1DLSTM`.
 *
 * @example
 * const core = yield* hk.Conv1DLSTM({ inputShape: [2], outputChannels: 3, kernelShape: 3 })
 */
export const Conv1DLSTM = (options: ConvLSTMOptions): Effect.Effect<ConvLSTM, never, Naming> => convLSTM(1, options)
/**
 * A 2-D convolutional LSTM.
 *
 * Haiku: `hk.Conv2DLSTM`.
 *
 * @example
 * const core = yield* hk.Conv2DLSTM({ inputShape: [8, 8], outputChannels: 16, kernelShape: 3 })
 */
export const Conv2DLSTM = (options: ConvLSTMOptions): Effect.Effect<ConvLSTM, never, Naming> => convLSTM(2, options)
/**
 * A 3-D convolutional LSTM.
 *
 * Haiku: `hk.Conv3DLSTM`.
 *
 * @example
 * const core = yield* hk.Conv3DLSTM({ inputShape: [2, 2, 2], outputChannels: 3, kernelShape: 3 })
 */
export const Conv3DLSTM = (options: ConvLSTMOptions): Effect.Effect<ConvLSTM, never, Naming> => convLSTM(3, options)
