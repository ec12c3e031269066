/**
 * `hk.Bias`: add a learned bias that broadcasts over the batch axis (and any axes left out of
 * `biasDims`).
 */
import { Effect } from "effect"
import type { Tensor } from "../../transforms/core/Tensor.js"
import { shapeError } from "../../transforms/core/errors.js"
import * as jnp from "../../transforms/numpy/ops.js"
import { zeros } from "../../transforms/numpy/creation.js"
import { getParameter, type Initializer } from "../../effects/getParameter.js"
import { attach, module, type Module } from "../../effects/module.js"
import type { Naming, Params, Rng } from "../../effects/services.js"
import { ModuleConfigError } from "./errors.js"
import { checkInput, guardParams, showShape } from "./inputs.js"

/** Options of {@link Bias}. */
export interface BiasOptions {
  /** The input shape without the batch axis, checked on every call (default: taken from the input). */
  readonly outputSize?: ReadonlyArray<number>
  /** The input axes the bias varies along (default: all but the batch axis; `[]`: a scalar bias). */
  readonly biasDims?: ReadonlyArray<number>
  /** Initializer of `b` (default zeros). */
  readonly bInit?: Initializer<Rng>
  /** Module name (default `"bias"`). */
  readonly name?: string
}

/** A constructed `hk.Bias`: `bias(x)` or `bias(x, multiplier)` (adds `b · multiplier`). */
export type Bias = Module<(x: Tensor, multiplier?: number | Tensor) => Effect.Effect<Tensor, never, Params | Rng>>

const API = "hk.Bias"

/**
 * The shape of the bias for an input of `inputShape` (Haiku: `calculate_bias_shape`): the
 * non-batch shape by default; `[]` for no dims; else the input's sizes on `biasDims` with 1s
 * between, leading 1s dropped.
 */
export const biasShape = (inputShape: ReadonlyArray<number>, biasDims: ReadonlyArray<number> | undefined): number[] => {
  const rank = inputShape.length
  if (biasDims === undefined) return inputShape.slice(1)
  if (biasDims.length === 0) return []
  const shape = new Array<number>(rank).fill(1)
  for (const d0 of biasDims) {
    const d = d0 < 0 ? ((d0 % rank) + rank) % rank : d0
    if (d === 0) throw ModuleConfigError.make(API, "biasDims", `Cannot apply bias across the minibatch dimension (biasDims ${JSON.stringify(biasDims)}); drop axis 0.`)
    if (d >= rank) throw shapeError(API, `Dimension ${d0} (biasDims=${JSON.stringify(biasDims)}) out of range for input of rank ${rank}.`)
    shape[d] = inputShape[d]!
  }
  let start = rank
  for (let d = 1; d < rank; d++) {
    if (shape[d] !== 1) {
      start = d
      break
    }
  }
  return shape.slice(start)
}

/**
 * Adds `b` to the input, optionally times `multiplier`, so one learned bias can be subtracted in
 * one place and added back in another. `b`'s shape is the input's non-batch shape by default, `[]`
 * for `biasDims: []`, else the input's sizes on `biasDims` with 1s between (Haiku's
 * `calculate_bias_shape`).
 *
 * Haiku: `hk.Bias`.
 *
 * @example
 * const f = (x: Tensor) => Effect.flatMap(hk.Bias(), (bias) => bias(x))
 * hk.transform(f).init(0, jnp.ones([8, 3, 3, 3])) // { bias: { b: f32[3,3,3] } }
 */
export const Bias = (options: BiasOptions = {}): Effect.Effect<Bias, never, Naming> =>
  module(
    options.name ?? "bias",
    (self) => {
      for (const [k, v] of [["outputSize", options.outputSize], ["biasDims", options.biasDims]] as const) {
        if (v !== undefined && !(Array.isArray(v) && v.every(Number.isInteger))) throw ModuleConfigError.make(API, k, `${k} must be an array of integers, got ${JSON.stringify(v)}.`)
      }
      const body = Effect.fnUntraced(function* (x: Tensor, multiplier: number | Tensor | undefined) {
        if (options.outputSize !== undefined && options.outputSize.join(",") !== x.shape.slice(1).join(",")) {
          throw shapeError(API, `module '${self.moduleName}': Input shape must be ${showShape([-1, ...options.outputSize])} not ${showShape(x.shape)}.`)
        }
        const b = yield* getParameter("b", biasShape(x.shape, options.biasDims), options.bInit ?? zeros, { dtype: x.dtype })
        return jnp.add(x, multiplier === undefined ? b : jnp.multiply(b, multiplier))
      })
      const call = (x: Tensor, multiplier?: number | Tensor) =>
        Effect.suspend(() => {
          const t = checkInput(API, self.moduleName, x, "an input of rank >= 2 ([batch, ...])", undefined)
          if (t.ndim < 2) throw shapeError(API, `module '${self.moduleName}' got ${t.aval}: the input must have rank >= 2 ([batch, ...]).`)
          return guardParams(API, self.moduleName, t, self.call(body(t, multiplier)))
        })
      return attach(call, { moduleName: self.moduleName, name: self.name })
    },
    { kind: "Bias", config: { ...options } }
  )
