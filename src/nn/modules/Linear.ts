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
import type { Naming, Rng } from "../../effects/services.js"
import type { ParamSlot } from "../../effects/paths.js"
import { shapeError } from "../../transforms/core/errors.js"
import { ModuleConfigError } from "./errors.js"

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

/** The parameter names of a Linear with bias option `B`: `"w" | "b"`, `"w"`, or any (`B` not a literal). */
export type LinearNames<B extends boolean> = [boolean] extends [B] ? string : [B] extends [false] ? "w" : "w" | "b"

/**
 * A constructed `hk.Linear`. `Name` is the module path its parameters are typed under (the
 * requested name: see `hk.ParamSlot`), `Names` the parameters.
 */
export type Linear<Name extends string = string, Names extends string = string> = Module<(x: Tensor) => Effect.Effect<Tensor, never, ParamSlot<Name, Names> | Rng>, { readonly outputSize: number }>

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
export const Linear = <const Name extends string = "linear", const B extends boolean = true>(
  outputSize: number,
  options: LinearOptions & { readonly name?: Name; readonly withBias?: B } = {}
): Effect.Effect<Linear<Name, LinearNames<B>>, never, Naming> =>
  module<Linear<Name, LinearNames<B>>>(options.name ?? "linear", (self) => {
    if (!Number.isInteger(outputSize) || outputSize < 1) {
      throw ModuleConfigError.make("hk.Linear", "outputSize", `outputSize must be a positive integer (the size of the output's last axis), got ${outputSize} (module '${self.moduleName}').`)
    }
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
    // typed by the requested name (hk.ParamSlot): what the type of init's result shows
    return attach((x: Tensor) => self.call(body(x)), { moduleName: self.moduleName, name: self.name, outputSize }) as unknown as Linear<Name, LinearNames<B>>
  },
    { kind: "Linear", config: { outputSize, ...options } }
  )
