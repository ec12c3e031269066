/**
 * `hk.GroupNorm`: split the channels into groups and normalise each example and group over the
 * spatial axes and the group's channels.
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
import type { LayerNormCallOptions } from "./LayerNorm.js"

/** Options of {@link GroupNorm}. */
export interface GroupNormOptions {
  /** Number of groups; the channels must divide by it. */
  readonly groups: number
  /** Axes to normalise over, as input axes (default: every axis but the batch axis). */
  readonly axis?: number | ReadonlyArray<number>
  /** Create a trainable per-channel `scale` (default true). */
  readonly createScale?: boolean
  /** Create a trainable per-channel `offset` (default true). */
  readonly createOffset?: boolean
  /** Added to the variance (default 1e-5). */
  readonly eps?: number
  /** Initializer of `scale` (default ones; only with `createScale`). */
  readonly scaleInit?: Initializer<Rng>
  /** Initializer of `offset` (default zeros; only with `createOffset`). */
  readonly offsetInit?: Initializer<Rng>
  /** `"channels_last"` (default), `"channels_first"`, `"N...C"` or `"NC..."`. */
  readonly dataFormat?: string
  /** Module name (default `"group_norm"`). */
  readonly name?: string
}

/** A constructed `hk.GroupNorm`. */
export type GroupNorm = Module<(x: Tensor, options?: LayerNormCallOptions) => Effect.Effect<Tensor, never, Params | Rng>, { readonly groups: number }>

const API = "hk.GroupNorm"

/**
 * Group normalisation: the channel axis is split into `[groups, C / groups]`, the mean and
 * variance are taken over `axis` (with the channel axis meaning "the channels of a group", never
 * the groups), and `scale`/`offset` are per channel (`[C]`, or `[C, 1, …]` channels-first).
 *
 * Haiku: `hk.GroupNorm`.
 *
 * @example
 * const f = (x: Tensor) => Effect.flatMap(hk.GroupNorm({ groups: 5 }), (gn) => gn(x))
 * hk.transform(f).init(0, jnp.ones([8, 4, 4, 10])) // { group_norm: { scale: f32[10], offset: f32[10] } }
 */
export const GroupNorm = (options: GroupNormOptions): Effect.Effect<GroupNorm, never, Naming> =>
  module(
    options?.name ?? "group_norm",
    (self) => {
      const groups = options?.groups
      if (!(typeof groups === "number" && Number.isInteger(groups) && groups > 0)) throw ModuleConfigError.make(API, "groups", `groups must be a positive integer, got ${String(groups)}.`)
      const createScale = options.createScale ?? true
      const createOffset = options.createOffset ?? true
      if (!createScale && options.scaleInit !== undefined) throw ModuleConfigError.make(API, "scaleInit", "Cannot set `scaleInit` if `createScale: false`.")
      if (!createOffset && options.offsetInit !== undefined) throw ModuleConfigError.make(API, "offsetInit", "Cannot set `offsetInit` if `createOffset: false`.")
      const axisOption = options.axis === undefined ? null : typeof options.axis === "number" ? [options.axis] : Array.isArray(options.axis) ? [...options.axis] : undefined
      if (axisOption === undefined || (axisOption !== null && !axisOption.every(Number.isInteger))) throw ModuleConfigError.make(API, "axis", `\`axis\` should be an int or an array of ints, got ${JSON.stringify(options.axis)}.`)
      const c = channelIndex(API, options.dataFormat ?? "channels_last")
      const eps = options.eps ?? 1e-5
      let rank: number | null = null
      const body = Effect.fnUntraced(function* (x: Tensor, call: LayerNormCallOptions) {
        if (createScale && call.scale !== undefined) throw ModuleConfigError.make(API, "scale", "Cannot pass `scale` at call time if `createScale: true`.")
        if (createOffset && call.offset !== undefined) throw ModuleConfigError.make(API, "offset", "Cannot pass `offset` at call time if `createOffset: true`.")
        if (rank !== null && x.ndim !== rank) throw shapeError(API, `module '${self.moduleName}': The rank of the inputs cannot change between calls, the original call was rank=${rank} but this call was rank=${x.ndim}.`)
        if (x.ndim < 2) throw shapeError(API, `module '${self.moduleName}' got ${x.aval}; it needs a batch axis and a channel axis (rank >= 2).`)
        rank = x.ndim
        const ci = c < 0 ? x.ndim - 1 : 1
        const channels = x.shape[ci]!
        if (channels % groups !== 0) throw shapeError(API, `module '${self.moduleName}': The number of channels must be divisible by the number of groups, was channels=${channels}, groups=${groups} (input ${x.aval}).`)
        const axes = (axisOption ?? Array.from({ length: x.ndim - 1 }, (_, i) => i + 1)).map((a) => (a < 0 ? a + x.ndim : a))
        if (axes.some((a) => a < 0 || a >= x.ndim)) throw shapeError(API, `module '${self.moduleName}': axis ${JSON.stringify(options.axis)} is out of range for an input of shape ${x.aval}.`)
        // in the grouped shape the channel axis becomes [groups, C / groups]: axes at or after it shift by one
        const grouped = [...x.shape.slice(0, ci), groups, channels / groups, ...x.shape.slice(ci + 1)]
        const gAxes = axes.map((a) => (a < ci ? a : a + 1))
        const xg = jnp.reshape(x, grouped)
        const mean = jnp.mean(xg, { axis: gAxes, keepdims: true })
        const variance = jnp.variance(xg, { axis: gAxes, keepdims: true })
        let out = jnp.reshape(jnp.multiply(jnp.subtract(xg, mean), lax.rsqrt(jnp.add(variance, lax.scalar(eps, x.dtype)))), x.shape)
        const paramShape = c < 0 ? [channels] : [channels, ...Array.from({ length: x.ndim - 2 }, () => 1)]
        const scale = createScale ? yield* getParameter("scale", paramShape, options.scaleInit ?? ones, { dtype: x.dtype }) : call.scale
        const offset = createOffset ? yield* getParameter("offset", paramShape, options.offsetInit ?? zeros, { dtype: x.dtype }) : call.offset
        if (scale !== undefined) out = jnp.multiply(out, scale)
        if (offset !== undefined) out = jnp.add(out, offset)
        return out
      })
      const call = (x: Tensor, callOptions: LayerNormCallOptions = {}) =>
        Effect.suspend(() => {
          const t = checkInput(API, self.moduleName, x, "an input of rank >= 2")
          return guardParams(API, self.moduleName, t, self.call(body(t, callOptions)))
        })
      return attach(call, { moduleName: self.moduleName, name: self.name, groups })
    },
    { kind: "GroupNorm", config: { ...options } }
  )
