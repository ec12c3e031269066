/**
 * `hk.LayerNorm`: normalise each example over the given axes; `hk.InstanceNorm`: the same over
 * the spatial axes, with per-channel scale and offset.
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
import { channelIndex, checkInput, guardParams } from "./inputs.js"

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
  /**
   * Axis or axes that give `scale`/`offset` their shape (default `-1`: shape `[C]`; otherwise the
   * input's shape with 1 on every other axis, e.g. `[1, C, 1, 1]`).
   */
  readonly paramAxis?: number | ReadonlyArray<number>
  /** Module name (default `"layer_norm"`). */
  readonly name?: string
}

/** Options of {@link InstanceNorm}. */
export interface InstanceNormOptions {
  /** Create a trainable per-channel `scale`. */
  readonly createScale: boolean
  /** Create a trainable per-channel `offset`. */
  readonly createOffset: boolean
  /** Added to the variance (default 1e-5). */
  readonly eps?: number
  /** Initializer of `scale` (default ones). */
  readonly scaleInit?: Initializer<Rng>
  /** Initializer of `offset` (default zeros). */
  readonly offsetInit?: Initializer<Rng>
  /** `"channels_last"` (default), `"channels_first"`, `"N...C"` or `"NC..."`. */
  readonly dataFormat?: string
  /** Module name (default `"instance_norm"`). */
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

const axesList = (api: string, option: string, v: unknown): number[] => {
  const axis = typeof v === "number" ? [v] : Array.isArray(v) ? [...v] : null
  if (axis === null || axis.length === 0 || !axis.every(Number.isInteger)) throw ModuleConfigError.make(api, option, `\`${option}\` should be an integer or a non-empty array of integers, got ${JSON.stringify(v)}.`)
  return axis
}

interface NormSpec {
  readonly api: string
  readonly kind: string
  /** The axes to normalise over, for an input of rank `ndim` (may be negative). */
  readonly axes: (ndim: number) => ReadonlyArray<number>
  /** The axes `scale`/`offset` keep (may be negative). */
  readonly paramAxes: (ndim: number) => ReadonlyArray<number>
  readonly createScale: boolean
  readonly createOffset: boolean
  readonly eps: number
  readonly scaleInit?: Initializer<Rng> | undefined
  readonly offsetInit?: Initializer<Rng> | undefined
  readonly useFastVariance: boolean
  /** What to show as the option in range errors. */
  readonly shown: unknown
}

const normModule = (name: string, spec: NormSpec, config: Record<string, unknown>): Effect.Effect<LayerNorm, never, Naming> =>
  module(
    name,
    (self) => {
      const { api } = spec
      if (!spec.createScale && spec.scaleInit !== undefined) throw ModuleConfigError.make(api, "scaleInit", "Cannot set `scaleInit` if `createScale: false`.")
      if (!spec.createOffset && spec.offsetInit !== undefined) throw ModuleConfigError.make(api, "offsetInit", "Cannot set `offsetInit` if `createOffset: false`.")
      const body = Effect.fnUntraced(function* (x: Tensor, call: LayerNormCallOptions) {
        if (spec.createScale && call.scale !== undefined) throw ModuleConfigError.make(api, "scale", "Cannot pass `scale` at call time if `createScale: true`.")
        if (spec.createOffset && call.offset !== undefined) throw ModuleConfigError.make(api, "offset", "Cannot pass `offset` at call time if `createOffset: true`.")
        const resolve = (as: ReadonlyArray<number>) => {
          const out = [...new Set(as.map((a) => (a < 0 ? a + x.ndim : a)))].sort((a, b) => a - b)
          if (out.some((a) => a < 0 || a >= x.ndim)) throw shapeError(api, `module '${self.moduleName}': axis ${JSON.stringify(spec.shown)} is out of range for an input of shape ${x.aval.toString()}.`)
          return out
        }
        const axes = resolve(spec.axes(x.ndim))
        const mean = jnp.mean(x, { axis: axes, keepdims: true })
        const variance = spec.useFastVariance
          ? jnp.subtract(jnp.mean(jnp.square(x), { axis: axes, keepdims: true }), jnp.square(mean))
          : jnp.variance(x, { axis: axes, keepdims: true })
        const paramAxes = resolve(spec.paramAxes(x.ndim))
        // for paramAxis -1 Haiku stores the unbroadcast shape [C] (older checkpoints)
        const paramShape = paramAxes.length === 1 && paramAxes[0] === x.ndim - 1 ? [x.shape[x.ndim - 1]!] : x.shape.map((d, i) => (paramAxes.includes(i) ? d : 1))
        const scale = spec.createScale ? yield* getParameter("scale", paramShape, spec.scaleInit ?? ones, { dtype: x.dtype }) : (call.scale ?? lax.scalar(1, x.dtype))
        const offset = spec.createOffset ? yield* getParameter("offset", paramShape, spec.offsetInit ?? zeros, { dtype: x.dtype }) : (call.offset ?? lax.scalar(0, x.dtype))
        const inv = jnp.multiply(scale, lax.rsqrt(jnp.add(variance, lax.scalar(spec.eps, variance.dtype))))
        return jnp.add(jnp.multiply(inv, jnp.subtract(x, mean)), offset)
      })
      const call = (x: Tensor, callOptions: LayerNormCallOptions = {}) =>
        Effect.suspend(() => {
          const t = checkInput(api, self.moduleName, x, "an input of rank >= 1")
          return guardParams(api, self.moduleName, t, self.call(body(t, callOptions)))
        })
      return attach(call, { moduleName: self.moduleName, name: self.name, axis: typeof spec.shown === "number" ? [spec.shown] : Array.isArray(spec.shown) ? spec.shown : [] })
    },
    { kind: spec.kind, config }
  )

/**
 * `(x - mean) · scale / sqrt(var + eps) + offset`, with the mean and variance over `axis`
 * (kept as size-1 axes) and `scale`/`offset` of shape `x.shape[-1:]` (see `paramAxis`).
 *
 * Haiku: `hk.LayerNorm`.
 *
 * @example
 * const f = (x: Tensor) => Effect.flatMap(hk.LayerNorm({ axis: -1, createScale: true, createOffset: true }), (ln) => ln(x))
 * hk.transform(f).init(0, jnp.ones([2, 5])) // { layer_norm: { scale: f32[5], offset: f32[5] } }
 */
export const LayerNorm = (options: LayerNormOptions): Effect.Effect<LayerNorm, never, Naming> => {
  const api = "hk.LayerNorm"
  return Effect.suspend(() => {
    const axis = axesList(api, "axis", options.axis)
    const paramAxis = options.paramAxis === undefined ? [-1] : axesList(api, "paramAxis", options.paramAxis)
    return normModule(
      options.name ?? "layer_norm",
      {
        api,
        kind: "LayerNorm",
        axes: () => axis,
        paramAxes: () => paramAxis,
        createScale: options.createScale,
        createOffset: options.createOffset,
        eps: options.eps ?? 1e-5,
        scaleInit: options.scaleInit,
        offsetInit: options.offsetInit,
        useFastVariance: options.useFastVariance ?? false,
        shown: options.axis
      },
      { ...options }
    )
  })
}

/**
 * Normalises each example and channel over the spatial axes (`[1, ndim - 1)` channels-last,
 * `[2, ndim)` channels-first), with `scale`/`offset` per channel (`[C]`, or `[1, C, 1, …]`
 * channels-first).
 *
 * Haiku: `hk.InstanceNorm`.
 *
 * @example
 * const f = (x: Tensor) => Effect.flatMap(hk.InstanceNorm({ createScale: true, createOffset: true }), (n) => n(x))
 * hk.transform(f).init(0, jnp.ones([8, 3, 2])) // { instance_norm: { scale: f32[2], offset: f32[2] } }
 */
export const InstanceNorm = (options: InstanceNormOptions): Effect.Effect<LayerNorm, never, Naming> => {
  const api = "hk.InstanceNorm"
  return Effect.suspend(() => {
    const c = channelIndex(api, options.dataFormat ?? "channels_last")
    const range = (a: number, b: number) => Array.from({ length: Math.max(0, b - a) }, (_, i) => a + i)
    return normModule(
      options.name ?? "instance_norm",
      {
        api,
        kind: "InstanceNorm",
        axes: (ndim) => (c === 1 ? range(2, ndim) : range(1, ndim - 1)),
        paramAxes: () => [c],
        createScale: options.createScale,
        createOffset: options.createOffset,
        eps: options.eps ?? 1e-5,
        scaleInit: options.scaleInit,
        offsetInit: options.offsetInit,
        useFastVariance: false,
        shown: c === 1 ? "[2, ndim)" : "[1, ndim - 1)"
      },
      { ...options }
    )
  })
}
