/**
 * `hk.ExponentialMovingAverage`: a moving average kept in Haiku state (`counter`, `hidden`,
 * `average`), zero-debiased as Adam is. `hk.BatchNorm` keeps its statistics in two of these.
 */
import { Effect } from "effect"
import { Tensor } from "../../transforms/core/Tensor.js"
import * as lax from "../../transforms/core/lax.js"
import { shapeError } from "../../transforms/core/errors.js"
import * as jnp from "../../transforms/numpy/ops.js"
import { zeros } from "../../transforms/numpy/creation.js"
import { getState, setState } from "../../effects/getParameter.js"
import { Constant } from "../initializers.js"
import { attach, module, type Module } from "../../effects/module.js"
import type { Naming, State } from "../../effects/services.js"
import { ModuleConfigError } from "./errors.js"
import { describeInput, showShape } from "./inputs.js"

/** Options of {@link ExponentialMovingAverage}. */
export interface ExponentialMovingAverageOptions {
  /** Divide by `1 - decay^counter` (Adam's debiasing; default true). */
  readonly zeroDebias?: boolean
  /** The average ignores the first `warmupLength` values' history (default 0; needs `zeroDebias: false`). */
  readonly warmupLength?: number
  /** Module name (default `"exponential_moving_average"`). */
  readonly name?: string
}

/** A constructed `hk.ExponentialMovingAverage`. */
export type ExponentialMovingAverage = Module<
  (value: Tensor, updateStats?: boolean) => Effect.Effect<Tensor, never, State>,
  {
    /** The last stored average (state `average`); Haiku's `ema.average` property. */
    readonly average: Effect.Effect<Tensor, never, State>
    readonly decay: number
  }
>

const API = "hk.ExponentialMovingAverage"

/**
 * Calling it with `value` updates `hidden = hidden·decay + value·(1 - decay)` and
 * `counter += 1` (int32), and returns (and, with `updateStats`, stores) the average
 * `hidden / (1 - decay^counter)`. State: `{counter: i32[], hidden, average}` in this module.
 *
 * Haiku: `hk.ExponentialMovingAverage`.
 *
 * @example
 * const f = (x: Tensor) => Effect.flatMap(hk.ExponentialMovingAverage(0.9), (ema) => ema(x))
 * const { init, apply } = hk.transformWithState(f)
 * // state: { exponential_moving_average: { counter: i32[], hidden, average } }
 */
export const ExponentialMovingAverage = (decay: number, options: ExponentialMovingAverageOptions = {}): Effect.Effect<ExponentialMovingAverage, never, Naming> =>
  module(options.name ?? "exponential_moving_average", (self) => {
    const warmup = options.warmupLength ?? 0
    const zeroDebias = options.zeroDebias ?? true
    if (!Number.isInteger(warmup) || warmup < 0) throw ModuleConfigError.make(API, "warmupLength", `\`warmupLength\` is ${warmup}, but should be a non-negative integer.`)
    if (warmup > 0 && zeroDebias) {
      throw ModuleConfigError.make(
        API,
        "zeroDebias",
        "Zero debiasing does not make sense when warming up the value of the average to an initial value. Set zeroDebias: false if setting warmupLength to a non-zero value."
      )
    }
    const body = Effect.fnUntraced(function* (value: Tensor, updateStats: boolean) {
      if (!(value instanceof Tensor)) throw shapeError(API, `module '${self.moduleName}' was given ${describeInput(value)}, not a Tensor.`)
      const prevCounter = yield* getState("counter", [], Constant(-warmup), { dtype: "int32" })
      const counter = lax.add(prevCounter, lax.scalar(1, "int32"))
      let d: Tensor = lax.scalar(decay, value.dtype)
      if (warmup > 0) d = jnp.where(jnp.lessEqual(counter, 0), lax.scalar(0, value.dtype), d)
      const one = lax.scalar(1, value.dtype)
      const prevHidden = yield* getState("hidden", value.shape, zeros, { dtype: value.dtype })
      if (prevHidden.shape.join(",") !== value.shape.join(",")) {
        throw shapeError(
          API,
          `module '${self.moduleName}' got a value of shape ${value.aval.toString()}, but its state 'hidden' has shape ${showShape(prevHidden.shape)}: ` +
            "feed values shaped like the first one (for hk.BatchNorm: inputs with the same channels), or re-run init."
        )
      }
      const hidden = jnp.add(jnp.multiply(prevHidden, d), jnp.multiply(value, jnp.subtract(one, d)))
      const average = zeroDebias ? jnp.divide(hidden, jnp.subtract(one, jnp.power(d, counter))) : hidden
      if (updateStats) {
        yield* setState("counter", counter)
        yield* setState("hidden", hidden)
        yield* setState("average", average)
      }
      return average
    })
    return attach((value: Tensor, updateStats = true) => self.call(body(value, updateStats)), {
      moduleName: self.moduleName,
      name: self.name,
      decay,
      average: self.method("average", getState("average"))
    })
  },
    { kind: "ExponentialMovingAverage", config: { decay, ...options } }
  )
