/**
 * `hk.Linear`: `y = x @ w + b` over the last axis of `x`.
 */
import { Effect } from "effect"
import { Tensor } from "../../transforms/core/Tensor.js"
import * as jnp from "../../transforms/numpy/ops.js"
import { zeros } from "../../transforms/numpy/creation.js"
import { getParameter, type Initializer } from "../../effects/getParameter.js"
import { TruncatedNormal } from "../initializers.js"
import { attach, module, type Module } from "../../effects/module.js"
import type { Naming, Params, Rng } from "../../effects/services.js"
import { shapeError } from "../../transforms/core/errors.js"

/** Options of {@link Linear}. */
export interface LinearOptions {
  /** Add a bias `b` (default true). */
  readonly withBias?: boolean
  /** Initializer of `w` (default `TruncatedNormal(1 / sqrt(fanIn))`). */
  readonly wInit?: Initializer<Rng>
  /** Initializer of `b` (default zeros). */
  readonly bInit?: Initializer<Rng>
  /** Module name (default `"linear"`). */
  readonly name?: string
}

/** A constructed `hk.Linear`. */
export type Linear = Module<(x: Tensor) => Effect.Effect<Tensor, never, Params | Rng>, { readonly outputSize: number }>

/**
 * A linear layer with parameters `w: [inputSize, outputSize]` and `b: [outputSize]`, created on
 * the first call from the input's last axis, with the input's dtype.
 *
 * Haiku: `hk.Linear`.
 *
 * @example
 * const f = (x: Tensor) => Effect.flatMap(hk.Linear(3), (lin) => lin(x))
 * hk.transform(f).init(0, jnp.ones([2, 4])) // { linear: { b: f32[3], w: f32[4,3] } }
 */
export const Linear = (outputSize: number, options: LinearOptions = {}): Effect.Effect<Linear, never, Naming> =>
  module(options.name ?? "linear", (self) => {
    const withBias = options.withBias ?? true
    const body = Effect.fnUntraced(function* (x: Tensor) {
      if (!(x instanceof Tensor) || x.ndim === 0) {
        throw shapeError("hk.Linear", `Input must not be scalar (module '${self.moduleName}' got ${x instanceof Tensor ? x.aval.toString() : typeof x}); give it at least one axis, e.g. jnp.reshape(x, [1]).`)
      }
      const inputSize = x.shape[x.ndim - 1]!
      const wInit = options.wInit ?? TruncatedNormal(1 / Math.sqrt(inputSize))
      const w = yield* getParameter("w", [inputSize, outputSize], wInit, { dtype: x.dtype })
      const out = jnp.matmul(x, w)
      if (!withBias) return out
      const b = yield* getParameter("b", [outputSize], options.bInit ?? zeros, { dtype: x.dtype })
      return jnp.add(out, b)
    })
    return attach((x: Tensor) => self.call(body(x)), { moduleName: self.moduleName, name: self.name, outputSize })
  },
    { kind: "Linear", config: { outputSize, ...options } }
  )
