/**
 * `hk.BatchNorm`: normalise with batch statistics in training (recording their moving averages
 * in state) and with those averages in test.
 */
import { Effect } from "effect"
import type { Tensor } from "../../transforms/core/Tensor.js"
import * as lax from "../../transforms/core/lax.js"
import { shapeError } from "../../transforms/core/errors.js"
import * as jnp from "../../transforms/numpy/ops.js"
import { ones, zeros } from "../../transforms/numpy/creation.js"
import { getParameter, type Initializer } from "../../effects/getParameter.js"
import { attach, module, type Module } from "../../effects/module.js"
import type { Naming, Params, Rng, State } from "../../effects/services.js"
import { ModuleConfigError } from "./errors.js"
import { ExponentialMovingAverage } from "./ExponentialMovingAverage.js"
import { channelIndex, checkInput, guardParams, showShape } from "./inputs.js"

/** Options of {@link BatchNorm}. */
export interface BatchNormOptions {
  /** Create a trainable `scale` (initialised to ones, or `scaleInit`). */
  readonly createScale: boolean
  /** Create a trainable `offset` (initialised to zeros, or `offsetInit`). */
  readonly createOffset: boolean
  /** Decay rate of the moving averages of the mean and variance. */
  readonly decayRate: number
  /** Added to the variance (default 1e-5). */
  readonly eps?: number
  /** Initializer of `scale` (only with `createScale`). */
  readonly scaleInit?: Initializer<Rng>
  /** Initializer of `offset` (only with `createOffset`). */
  readonly offsetInit?: Initializer<Rng>
  /** Axes to compute statistics over (default: all but the channel axis). */
  readonly axis?: ReadonlyArray<number>
  /** Not supported (tanka has no `pmap`); giving it is a ModuleConfigError. */
  readonly crossReplicaAxis?: string
  /** `"channels_last"` (default), `"channels_first"`, `"N...C"` or `"NC..."`. */
  readonly dataFormat?: string
  /** Module name (default `"batch_norm"`). */
  readonly name?: string
}

/** Per-call options of a {@link BatchNorm}. */
export interface BatchNormCallOptions {
  /** In test (`isTraining` false), normalise with the batch's statistics instead of the moving averages. */
  readonly testLocalStats?: boolean
  /** A scale to apply (only when the module was built with `createScale: false`). */
  readonly scale?: Tensor
  /** An offset to apply (only when the module was built with `createOffset: false`). */
  readonly offset?: Tensor
}

/** A constructed `hk.BatchNorm`: `yield* bn(x, isTraining)`. */
export type BatchNorm = Module<
  (x: Tensor, isTraining: boolean, options?: BatchNormCallOptions) => Effect.Effect<Tensor, never, Params | State | Rng>,
  { readonly meanEma: ExponentialMovingAverage; readonly varEma: ExponentialMovingAverage }
>

const API = "hk.BatchNorm"

/**
 * Batch normalisation. Parameters `scale`/`offset` have the input's shape with the reduced axes
 * set to 1; state lives in the submodules `batch_norm/~/mean_ema` and `batch_norm/~/var_ema`
 * (`{counter, hidden, average}` each), updated only when `isTraining`. Needs
 * `hk.transformWithState`.
 *
 * Haiku: `hk.BatchNorm`.
 *
 * @example
 * const f = (x: Tensor, isTraining: boolean) => Effect.gen(function* () {
 *   const bn = yield* hk.BatchNorm({ createScale: true, createOffset: true, decayRate: 0.9 })
 *   return yield* bn(x, isTraining)
 * })
 * const [params, state] = Effect.runSync(hk.transformWithState(f).init(0, jnp.ones([8, 4]), true))
 * // params { batch_norm: { scale: f32[1,4], offset: f32[1,4] } }
 * // state  { "batch_norm/~/mean_ema": { counter, hidden, average }, "batch_norm/~/var_ema": … }
 */
export const BatchNorm = (options: BatchNormOptions): Effect.Effect<BatchNorm, never, Naming> =>
  module(options.name ?? "batch_norm", (self) => {
    if (options.crossReplicaAxis !== undefined) {
      throw ModuleConfigError.make(
        API,
        "crossReplicaAxis",
        `crossReplicaAxis ('${options.crossReplicaAxis}') is not supported: it averages statistics across jax.pmap replicas, and tanka has no pmap. ` +
          "Drop the option; to normalise over a vmapped batch, reshape the batch into the input instead."
      )
    }
    if (!options.createScale && options.scaleInit !== undefined) throw ModuleConfigError.make(API, "scaleInit", "Cannot set `scaleInit` if `createScale: false`.")
    if (!options.createOffset && options.offsetInit !== undefined) throw ModuleConfigError.make(API, "offsetInit", "Cannot set `offsetInit` if `createOffset: false`.")
    const cIndex = channelIndex(API, options.dataFormat ?? "channels_last")
    const eps = options.eps ?? 1e-5
    return Effect.map(
      Effect.all([ExponentialMovingAverage(options.decayRate, { name: "mean_ema" }), ExponentialMovingAverage(options.decayRate, { name: "var_ema" })]),
      ([meanEma, varEma]) => {
        const body = Effect.fnUntraced(function* (x: Tensor, isTraining: boolean, call: BatchNormCallOptions) {
          if (options.createScale && call.scale !== undefined) throw ModuleConfigError.make(API, "scale", "Cannot pass `scale` at call time if `createScale: true`.")
          if (options.createOffset && call.offset !== undefined) throw ModuleConfigError.make(API, "offset", "Cannot pass `offset` at call time if `createOffset: true`.")
          const ci = cIndex < 0 ? cIndex + x.ndim : cIndex
          const axes = options.axis !== undefined ? options.axis.map((a) => (a < 0 ? a + x.ndim : a)) : x.shape.map((_, i) => i).filter((i) => i !== ci)
          if (axes.some((a) => a < 0 || a >= x.ndim)) throw shapeError(API, `module '${self.moduleName}': axis ${JSON.stringify(options.axis)} is out of range for an input of shape ${x.aval.toString()}.`)
          const statShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
          let mean: Tensor
          let variance: Tensor
          if (isTraining || call.testLocalStats) {
            mean = jnp.mean(x, { axis: axes, keepdims: true })
            variance = jnp.subtract(jnp.mean(jnp.square(x), { axis: axes, keepdims: true }), jnp.square(mean))
          } else {
            mean = yield* meanEma.average
            variance = yield* varEma.average
            if (mean.shape.join(",") !== statShape.join(",")) {
              throw shapeError(
                API,
                `module '${self.moduleName}' got an input of shape ${x.aval.toString()}, whose statistics have shape ${showShape(statShape)}, but its moving averages have shape ${showShape(mean.shape)}: ` +
                  "call it with inputs shaped like the ones it was trained on."
              )
            }
          }
          if (isTraining) {
            yield* meanEma(mean)
            yield* varEma(variance)
          }
          const scale = options.createScale ? yield* getParameter("scale", statShape, options.scaleInit ?? ones, { dtype: x.dtype }) : (call.scale ?? lax.scalar(1, x.dtype))
          const offset = options.createOffset ? yield* getParameter("offset", statShape, options.offsetInit ?? zeros, { dtype: x.dtype }) : (call.offset ?? lax.scalar(0, x.dtype))
          const inv = jnp.multiply(scale, lax.rsqrt(jnp.add(variance, lax.scalar(eps, variance.dtype))))
          return jnp.add(jnp.multiply(jnp.subtract(x, mean), inv), offset)
        })
        const call = (x: Tensor, isTraining: boolean, callOptions: BatchNormCallOptions = {}) =>
          Effect.suspend(() => {
            const t = checkInput(API, self.moduleName, x, "an input of rank >= 1")
            if (typeof isTraining !== "boolean") throw ModuleConfigError.make(
                API,
                "isTraining",
                `module '${self.moduleName}' must be called as bn(x, isTraining) with a JS boolean isTraining, got ${typeof isTraining}. ` +
                  "It selects code, so it cannot be traced: close over it instead of passing it through jax.jit / jax.evalShape, which trace their arguments."
              )
            return guardParams(API, self.moduleName, t, self.call(body(t, isTraining, callOptions)))
          })
        return attach(call, { moduleName: self.moduleName, name: self.name, meanEma, varEma })
      }
    )
  },
    { kind: "BatchNorm", config: { ...options } }
  )
