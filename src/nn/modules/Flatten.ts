/**
 * `hk.Flatten` / `hk.flatten`: keep the leading axes, flatten the rest into one.
 */
import { Effect } from "effect"
import type { Tensor } from "../../transforms/core/Tensor.js"
import * as jnp from "../../transforms/numpy/ops.js"
import { attach, module, type Module } from "../../effects/module.js"
import type { Naming } from "../../effects/services.js"
import { ModuleConfigError } from "./errors.js"
import { checkInput } from "./inputs.js"

/**
 * `x` reshaped to `[...x.shape.slice(0, preserveDims), rest]`; unchanged if it has at most
 * `preserveDims` axes.
 *
 * Haiku: `hk.flatten`.
 *
 * @example
 * hk.flatten(jnp.ones([8, 28, 28, 1])) // f32[8,784]
 */
export const flatten = (x: Tensor, preserveDims = 1): Tensor => {
  checkInput("hk.flatten", "~", x, "a Tensor", undefined)
  if (!Number.isInteger(preserveDims) || preserveDims < 1) throw ModuleConfigError.make("hk.flatten", "preserveDims", `preserveDims must be a positive integer, got ${preserveDims}.`)
  if (x.ndim <= preserveDims) return x
  const kept = x.shape.slice(0, preserveDims)
  return jnp.reshape(x, [...kept, x.shape.slice(preserveDims).reduce((a, b) => a * b, 1)])
}

/** A constructed `hk.Flatten`. */
export type Flatten = Module<(x: Tensor) => Effect.Effect<Tensor>, { readonly preserveDims: number }>

/**
 * {@link flatten} as a module (no parameters), e.g. for an `hk.Sequential`.
 *
 * Haiku: `hk.Flatten`.
 *
 * @example
 * const f = (x: Tensor) => Effect.flatMap(hk.Flatten(), (flat) => flat(x)) // [N,H,W,C] → [N,H·W·C]
 */
export const Flatten = (options: { readonly preserveDims?: number; readonly name?: string } = {}): Effect.Effect<Flatten, never, Naming> =>
  module(options.name ?? "flatten", (self) => {
    const preserveDims = options.preserveDims ?? 1
    if (!Number.isInteger(preserveDims) || preserveDims < 1) throw ModuleConfigError.make("hk.Flatten", "preserveDims", `preserveDims must be a positive integer, got ${preserveDims}.`)
    return attach((x: Tensor) => self.call(Effect.sync(() => flatten(x, preserveDims))), { moduleName: self.moduleName, name: self.name, preserveDims })
  },
    { kind: "Flatten", config: { ...options } }
  )
