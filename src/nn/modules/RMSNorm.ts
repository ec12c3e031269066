/**
 * `hk.RMSNorm`: scale each example by the root mean square over the given axes (no centring).
 */
import { Effect } from "effect"
import type { Tensor } from "../../transforms/core/Tensor.js"
import * as lax from "../../transforms/core/lax.js"
import { shapeError } from "../../transforms/core/errors.js"
import * as jnp from "../../transforms/numpy/ops.js"
import { ones } from "../../transforms/numpy/creation.js"
import { getParameter, type Initializer } from "../../effects/getParameter.js"
import { attach, module, type Module } from "../../effects/module.js"
import type { Naming, Params, Rng } from "../../effects/services.js"
import { ModuleConfigError } from "./errors.js"
import { checkInput, guardParams } from "./inputs.js"

/** Options of {@link RMSNorm}. */
export interface RMSNormOptions {
  /** Axis or axes to normalise over (negative counts from the end), e.g. `-1`. */
  readonly axis: number | ReadonlyArray<number>
  /** Added to the mean square (default 1e-5). */
  readonly eps?: number
  /** Initializer of `scale` (default ones). */
  readonly scaleInit?: Initializer<Rng>
  /** Create a trainable `scale` (default true). */
  readonly createScale?: boolean
  /** Axis or axes that give `scale` its shape (default `-1`: `[C]`; else 1 on every other axis). */
  readonly paramAxis?: number | ReadonlyArray<number>
  /** Module name (default `"rms_norm"`). */
  readonly name?: string
}

/** A constructed `hk.RMSNorm`. */
export type RMSNorm = Module<(x: Tensor) => Effect.Effect<Tensor, never, Params | Rng>, { readonly axis: ReadonlyArray<number> }>

const API = "hk.RMSNorm"

const axesList = (option: string, v: unknown): number[] => {
  const axis = typeof v === "number" ? [v] : Array.isArray(v) ? [...v] : null
  if (axis === null || axis.length === 0 || !axis.every(Number.isInteger)) throw ModuleConfigError.make(API, option, `\`${option}\` should be an integer or a non-empty array of integers, got ${JSON.stringify(v)}.`)
  return axis
}

/**
 * `x · scale / sqrt(mean(x², axis) + eps)`, with `scale` of shape `[C]` (see `paramAxis`).
 *
 * Haiku: `hk.RMSNorm`.
 *
 * @example
 * const f = (x: Tensor) => Effect.flatMap(hk.RMSNorm({ axis: -1 }), (n) => n(x))
 * hk.transform(f).init(0, jnp.ones([8, 3, 2])) // { rms_norm: { scale: f32[2] } }
 */
export const RMSNorm = (options: RMSNormOptions): Effect.Effect<RMSNorm, never, Naming> =>
  module(
    options?.name ?? "rms_norm",
    (self) => {
      const createScale = options.createScale ?? true
      if (!createScale && options.scaleInit !== undefined) throw ModuleConfigError.make(API, "scaleInit", "Cannot set `scaleInit` if `createScale: false`.")
      const axis = axesList("axis", options.axis)
      const paramAxis = options.paramAxis === undefined ? [-1] : axesList("paramAxis", options.paramAxis)
      const eps = options.eps ?? 1e-5
      const body = Effect.fnUntraced(function* (x: Tensor) {
        const resolve = (as: ReadonlyArray<number>, what: unknown) => {
          const out = [...new Set(as.map((a) => (a < 0 ? a + x.ndim : a)))]
          if (out.some((a) => a < 0 || a >= x.ndim)) throw shapeError(API, `module '${self.moduleName}': axis ${JSON.stringify(what)} is out of range for an input of shape ${x.aval.toString()}.`)
          return out
        }
        const axes = resolve(axis, options.axis)
        const pAxes = resolve(paramAxis, options.paramAxis ?? -1)
        const meanSquared = jnp.mean(jnp.square(x), { axis: axes, keepdims: true })
        let out = jnp.multiply(x, lax.rsqrt(jnp.add(meanSquared, lax.scalar(eps, x.dtype))))
        if (createScale) {
          const paramShape = pAxes.length === 1 && pAxes[0] === x.ndim - 1 ? [x.shape[x.ndim - 1]!] : x.shape.map((d, i) => (pAxes.includes(i) ? d : 1))
          out = jnp.multiply(out, yield* getParameter("scale", paramShape, options.scaleInit ?? ones, { dtype: x.dtype }))
        }
        return out
      })
      const call = (x: Tensor) =>
        Effect.suspend(() => {
          const t = checkInput(API, self.moduleName, x, "an input of rank >= 1")
          return guardParams(API, self.moduleName, t, self.call(body(t)))
        })
      return attach(call, { moduleName: self.moduleName, name: self.name, axis })
    },
    { kind: "RMSNorm", config: { ...options } }
  )
