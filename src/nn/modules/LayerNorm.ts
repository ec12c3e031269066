/**
 * `hk.LayerNorm`: normalise each example over the given axes.
 */
import { Effect } from "effect"
import type { Tensor } from "../../transforms/core/Tensor.js"
import * as lax from "../../transforms/core/lax.js"
import { shapeError } from "../../transforms/core/errors.js"
import * as jnp from "../../transforms/numpy/ops.js"
import { ones, zeros } from "../../transforms/numpy/creation.js"
import { getParameter, type Initializer } from "../../effects/getParameter.js"
import { attach, module, type Module } from "../../effects/module.js"
import type { Naming, Params, Rng } from "../../effects/services.js"
import { ModuleConfigError } from "./errors.js"
import { checkInput, guardParams } from "./inputs.js"

/** Options of {@link LayerNorm}. */
export interface LayerNormOptions {
  /** Axis or axes to normalise over (negative counts from the end), e.g. `-1`. */
  readonly axis: number | ReadonlyArray<number>
  /** Create a trainable `scale` of shape `[C]` (the last axis). */
  readonly createScale: boolean
  /** Create a trainable `offset` of shape `[C]`. */
  readonly createOffset: boolean
  /** Added to the variance (default 1e-5). */
  readonly eps?: number
  /** Initializer of `scale` (default ones; only with `createScale`). */
  readonly scaleInit?: Initializer<Rng>
  /** Initializer of `offset` (default zeros; only with `createOffset`). */
  readonly offsetInit?: Initializer<Rng>
  /** Compute the variance as `E[x²] - E[x]²` (faster, less stable; default false). */
  readonly useFastVariance?: boolean
  /** Module name (default `"layer_norm"`). */
  readonly name?: string
}

/** Per-call options of a {@link LayerNorm}. */
export interface LayerNormCallOptions {
  /** A scale to apply (only with `createScale: false`). */
  readonly scale?: Tensor
  /** An offset to apply (only with `createOffset: false`). */
  readonly offset?: Tensor
}

/** A constructed `hk.LayerNorm`. */
export type LayerNorm = Module<(x: Tensor, options?: LayerNormCallOptions) => Effect.Effect<Tensor, never, Params | Rng>, { readonly axis: ReadonlyArray<number> }>

const API = "hk.LayerNorm"

/**
 * `(x - mean) · scale / sqrt(var + eps) + offset`, with the mean and variance over `axis`
 * (kept as size-1 axes) and `scale`/`offset` of shape `x.shape[-1:]`.
 *
 * Haiku: `hk.LayerNorm`.
 *
 * @example
 * const f = (x: Tensor) => Effect.flatMap(hk.LayerNorm({ axis: -1, createScale: true, createOffset: true }), (ln) => ln(x))
 * hk.transform(f).init(0, jnp.ones([2, 5])) // { layer_norm: { scale: f32[5], offset: f32[5] } }
 */
export const LayerNorm = (options: LayerNormOptions): Effect.Effect<LayerNorm, never, Naming> =>
  module(options.name ?? "layer_norm", (self) => {
    if (!options.createScale && options.scaleInit !== undefined) throw ModuleConfigError.make(API, "scaleInit", "Cannot set `scaleInit` if `createScale: false`.")
    if (!options.createOffset && options.offsetInit !== undefined) throw ModuleConfigError.make(API, "offsetInit", "Cannot set `offsetInit` if `createOffset: false`.")
    const axis = typeof options.axis === "number" ? [options.axis] : Array.isArray(options.axis) ? [...options.axis] : null
    if (axis === null || axis.length === 0 || !axis.every(Number.isInteger)) throw ModuleConfigError.make(API, "axis", `\`axis\` should be an integer or a non-empty array of integers, got ${JSON.stringify(options.axis)}.`)
    const eps = options.eps ?? 1e-5
    const body = Effect.fnUntraced(function* (x: Tensor, call: LayerNormCallOptions) {
      if (options.createScale && call.scale !== undefined) throw ModuleConfigError.make(API, "scale", "Cannot pass `scale` at call time if `createScale: true`.")
      if (options.createOffset && call.offset !== undefined) throw ModuleConfigError.make(API, "offset", "Cannot pass `offset` at call time if `createOffset: true`.")
      const axes = axis.map((a) => (a < 0 ? a + x.ndim : a))
      if (axes.some((a) => a < 0 || a >= x.ndim)) throw shapeError(API, `module '${self.moduleName}': axis ${JSON.stringify(options.axis)} is out of range for an input of shape ${x.aval.toString()}.`)
      const mean = jnp.mean(x, { axis: axes, keepdims: true })
      const variance = options.useFastVariance
        ? jnp.subtract(jnp.mean(jnp.square(x), { axis: axes, keepdims: true }), jnp.square(mean))
        : jnp.variance(x, { axis: axes, keepdims: true })
      const paramShape = [x.shape[x.ndim - 1]!]
      const scale = options.createScale ? yield* getParameter("scale", paramShape, options.scaleInit ?? ones, { dtype: x.dtype }) : (call.scale ?? lax.scalar(1, x.dtype))
      const offset = options.createOffset ? yield* getParameter("offset", paramShape, options.offsetInit ?? zeros, { dtype: x.dtype }) : (call.offset ?? lax.scalar(0, x.dtype))
      const inv = jnp.multiply(scale, lax.rsqrt(jnp.add(variance, lax.scalar(eps, variance.dtype))))
      return jnp.add(jnp.multiply(inv, jnp.subtract(x, mean)), offset)
    })
    const call = (x: Tensor, callOptions: LayerNormCallOptions = {}) =>
      Effect.suspend(() => {
        const t = checkInput(API, self.moduleName, x, "an input of rank >= 1")
        return guardParams(API, self.moduleName, t, self.call(body(t, callOptions)))
      })
    return attach(call, { moduleName: self.moduleName, name: self.name, axis })
  })
