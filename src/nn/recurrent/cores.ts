/**
 * `hk.VanillaRNN`, `hk.LSTM`, `hk.GRU`: the fully connected recurrent cores.
 */
import { Effect } from "effect"
import { Tensor } from "../../transforms/core/Tensor.js"
import * as lax from "../../transforms/core/lax.js"
import { shapeError } from "../../transforms/core/errors.js"
import * as jnp from "../../transforms/numpy/ops.js"
import { relu, sigmoid } from "../../transforms/numpy/nn.js"
import { zeros } from "../../transforms/numpy/creation.js"
import { getParameter, type Initializer } from "../../effects/getParameter.js"
import { attach, module } from "../../effects/module.js"
import type { Naming, Params, Rng } from "../../effects/services.js"
import { Linear } from "../modules/Linear.js"
import { VarianceScaling } from "../initializers.js"
import { describeInput } from "../modules/inputs.js"
import { addBatch, batchSizeOf, hiddenSize, type RNNCore } from "./RNNCore.js"

const checkInputs = (api: string, moduleName: string, inputs: unknown, state: ReadonlyArray<[string, unknown]>, hidden: number): Tensor => {
  if (!(inputs instanceof Tensor) || (inputs.ndim !== 1 && inputs.ndim !== 2)) {
    throw shapeError(api, `module '${moduleName}': input must be rank-1 or rank-2 ([D] or [B, D]), got ${describeInput(inputs)}; unroll sequences with hk.dynamicUnroll / hk.staticUnroll.`)
  }
  for (const [name, s] of state) {
    if (!(s instanceof Tensor) || s.shape[s.ndim - 1] !== hidden || s.ndim !== inputs.ndim) {
      throw shapeError(api, `module '${moduleName}': state ${name} must be ${inputs.ndim === 2 ? `[${inputs.shape[0]}, ${hidden}]` : `[${hidden}]`} like the input's batch, got ${describeInput(s)}; start from core.initialState(${inputs.ndim === 2 ? inputs.shape[0] : "null"}).`)
    }
  }
  return inputs
}

/** A constructed `hk.VanillaRNN`: state and output are `h`. */
export type VanillaRNN = RNNCore<Tensor, Tensor, Tensor, Params | Rng | Naming> & { readonly hiddenSize: number }

/**
 * `h_t = relu(Linear(x_t) + Linear(h_{t-1}))`, output `h_t`. The two `hk.Linear`s are created in
 * the call: `vanilla_rnn/linear` (input) and `vanilla_rnn/linear_1` (hidden; with a bias unless
 * `doubleBias: false`).
 *
 * Haiku: `hk.VanillaRNN`.
 *
 * @example
 * const rnn = yield* hk.VanillaRNN(8)
 * const [ys] = yield* hk.dynamicUnroll(rnn, xs, yield* rnn.initialState(4))
 */
export const VanillaRNN = (size: number, options: { readonly doubleBias?: boolean; readonly name?: string } = {}): Effect.Effect<VanillaRNN, never, Naming> =>
  module(
    options.name ?? "vanilla_rnn",
    (self) => {
      const api = "hk.VanillaRNN"
      const hidden = hiddenSize(api, size)
      const body = Effect.fnUntraced(function* (x: Tensor, h: Tensor) {
        const inputToHidden = yield* Linear(hidden)
        const hiddenToHidden = yield* Linear(hidden, { withBias: options.doubleBias ?? true })
        const out = relu(jnp.add(yield* inputToHidden(x), yield* hiddenToHidden(h)))
        return [out, out] as const
      })
      const call = (x: Tensor, h: Tensor) => Effect.suspend(() => self.call(body(checkInputs(api, self.moduleName, x, [["h", h]], hidden), h)))
      const initialState = self.defineMethod("initialState", (batchSize: number | null) => Effect.sync(() => addBatch(zeros([hidden]), batchSizeOf(api, batchSize))))
      return attach(call, { moduleName: self.moduleName, name: self.name, hiddenSize: hidden, initialState })
    },
    { kind: "VanillaRNN", config: { hiddenSize: size, ...options } }
  )

/** The state of an `hk.LSTM`. Haiku: `hk.LSTMState`. */
export interface LSTMState {
  readonly hidden: Tensor
  readonly cell: Tensor
}

/** A constructed `hk.LSTM`: output `h`, state `{ hidden, cell }`. */
export type LSTM = RNNCore<LSTMState, Tensor, Tensor, Params | Rng | Naming> & { readonly hiddenSize: number }

/**
 * The LSTM of Zaremba et al.: one `hk.Linear(4 · hiddenSize)` (`lstm/linear`) over
 * `[x, h]` gives the gates `i, g, f, o` (in that order); `c = σ(f + 1)·c + σ(i)·tanh(g)`,
 * `h = σ(o)·tanh(c)` (the +1 forget bias is Haiku's).
 *
 * Haiku: `hk.LSTM`.
 *
 * @example
 * const lstm = yield* hk.LSTM(32)
 * const [ys, { hidden, cell }] = yield* hk.dynamicUnroll(lstm, xs, yield* lstm.initialState(8))
 */
export const LSTM = (size: number, options: { readonly name?: string } = {}): Effect.Effect<LSTM, never, Naming> =>
  module(
    options.name ?? "lstm",
    (self) => {
      const api = "hk.LSTM"
      const hidden = hiddenSize(api, size)
      const split4 = (g: Tensor): Tensor[] =>
        [0, 1, 2, 3].map((k) => lax.slice(g, g.shape.map((_, i) => (i === g.ndim - 1 ? k * hidden : 0)), g.shape.map((n, i) => (i === g.ndim - 1 ? (k + 1) * hidden : n))))
      const body = Effect.fnUntraced(function* (x: Tensor, state: LSTMState) {
        const gated = yield* (yield* Linear(4 * hidden))(jnp.concatenate([x, state.hidden], -1))
        const [i, g, f, o] = split4(gated) as [Tensor, Tensor, Tensor, Tensor]
        const c = jnp.add(jnp.multiply(sigmoid(jnp.add(f, 1)), state.cell), jnp.multiply(sigmoid(i), jnp.tanh(g)))
        const h = jnp.multiply(sigmoid(o), jnp.tanh(c))
        return [h, { hidden: h, cell: c }] as const
      })
      const call = (x: Tensor, state: LSTMState) =>
        Effect.suspend(() => {
          if (state === null || typeof state !== "object") throw shapeError(api, `module '${self.moduleName}': the state must be { hidden, cell }, got ${describeInput(state)}; start from lstm.initialState(batchSize).`)
          return self.call(body(checkInputs(api, self.moduleName, x, [["hidden", state.hidden], ["cell", state.cell]], hidden), state))
        })
      const initialState = self.defineMethod("initialState", (batchSize: number | null) =>
        Effect.sync((): LSTMState => addBatch({ hidden: zeros([hidden]), cell: zeros([hidden]) }, batchSizeOf(api, batchSize)))
      )
      return attach(call, { moduleName: self.moduleName, name: self.name, hiddenSize: hidden, initialState })
    },
    { kind: "LSTM", config: { hiddenSize: size, ...options } }
  )

/** Options of {@link GRU}. */
export interface GRUOptions {
  /** Initializer of `w_i` (default `VarianceScaling()`). */
  readonly wIInit?: Initializer<Rng>
  /** Initializer of `w_h` (default `VarianceScaling()`). */
  readonly wHInit?: Initializer<Rng>
  /** Initializer of `b` (default zeros). */
  readonly bInit?: Initializer<Rng>
  /** Module name (default `"gru"`). */
  readonly name?: string
}

/** A constructed `hk.GRU`: state and output are `h`. */
export type GRU = RNNCore<Tensor, Tensor, Tensor, Params | Rng | Naming> & { readonly hiddenSize: number }

/**
 * The gated recurrent unit (Chung et al., with biases): parameters `w_i: [D, 3H]`,
 * `w_h: [H, 3H]`, `b: [3H]` in `gru`; `z, r = σ(x·w_i[:, :2H] + h·w_h[:, :2H] + b[:2H])`,
 * `a = tanh(x·w_i[:, 2H:] + (r·h)·w_h[:, 2H:] + b[2H:])`, `h' = (1 − z)·h + z·a`.
 *
 * Haiku: `hk.GRU`.
 *
 * @example
 * const gru = yield* hk.GRU(16)
 * const [ys] = yield* hk.dynamicUnroll(gru, xs, yield* gru.initialState(8))
 */
export const GRU = (size: number, options: GRUOptions = {}): Effect.Effect<GRU, never, Naming> =>
  module(
    options.name ?? "gru",
    (self) => {
      const api = "hk.GRU"
      const hidden = hiddenSize(api, size)
      const cols = (t: Tensor, a: number, b: number) => lax.slice(t, t.shape.map((_, i) => (i === t.ndim - 1 ? a : 0)), t.shape.map((n, i) => (i === t.ndim - 1 ? b : n)))
      const body = Effect.fnUntraced(function* (x: Tensor, h: Tensor) {
        const inputSize = x.shape[x.ndim - 1]!
        const wI = yield* getParameter("w_i", [inputSize, 3 * hidden], options.wIInit ?? VarianceScaling(), { dtype: x.dtype })
        const wH = yield* getParameter("w_h", [hidden, 3 * hidden], options.wHInit ?? VarianceScaling(), { dtype: x.dtype })
        const b = yield* getParameter("b", [3 * hidden], options.bInit ?? zeros, { dtype: x.dtype })
        const gatesX = jnp.matmul(x, wI)
        const zr = sigmoid(jnp.add(jnp.add(cols(gatesX, 0, 2 * hidden), jnp.matmul(h, cols(wH, 0, 2 * hidden))), cols(b, 0, 2 * hidden)))
        const z = cols(zr, 0, hidden)
        const r = cols(zr, hidden, 2 * hidden)
        const a = jnp.tanh(jnp.add(jnp.add(cols(gatesX, 2 * hidden, 3 * hidden), jnp.matmul(jnp.multiply(r, h), cols(wH, 2 * hidden, 3 * hidden))), cols(b, 2 * hidden, 3 * hidden)))
        const next = jnp.add(jnp.multiply(jnp.subtract(1, z), h), jnp.multiply(z, a))
        return [next, next] as const
      })
      const call = (x: Tensor, h: Tensor) => Effect.suspend(() => self.call(body(checkInputs(api, self.moduleName, x, [["h", h]], hidden), h)))
      const initialState = self.defineMethod("initialState", (batchSize: number | null) => Effect.sync(() => addBatch(zeros([hidden]), batchSizeOf(api, batchSize))))
      return attach(call, { moduleName: self.moduleName, name: self.name, hiddenSize: hidden, initialState })
    },
    { kind: "GRU", config: { hiddenSize: size, ...options } }
  )
