/**
 * `hk.Conv2D`: a 2-D convolution over NHWC (or NCHW) inputs with an HWIO kernel.
 */
import { Effect } from "effect"
import type { Tensor } from "../../transforms/core/Tensor.js"
import * as lax from "../../transforms/core/lax.js"
import { shapeError } from "../../transforms/core/errors.js"
import * as jnp from "../../transforms/numpy/ops.js"
import { zeros } from "../../transforms/numpy/creation.js"
import { getParameter, type Initializer } from "../../effects/getParameter.js"
import { TruncatedNormal } from "../initializers.js"
import { attach, module, type Module } from "../../effects/module.js"
import type { Naming, Params, Rng } from "../../effects/services.js"
import { ModuleConfigError } from "./errors.js"
import { channelIndex, checkInput, guardParams, replicate, resolvePadding, type Padding } from "./inputs.js"

/** Options of {@link Conv2D}. */
export interface Conv2DOptions {
  /** Kernel height and width (one number for both). */
  readonly kernelShape: number | readonly [number, number]
  /** Window strides (default 1). */
  readonly stride?: number | readonly [number, number]
  /** Kernel dilation (default 1: an ordinary convolution). */
  readonly rate?: number | readonly [number, number]
  /** `"SAME"` (default; JAX's split, `lo = floor(total / 2)`), `"VALID"`, or `[lo, hi]` per spatial axis. */
  readonly padding?: Padding
  /** Add a bias `b` (default true). */
  readonly withBias?: boolean
  /** Initializer of `w` (default `TruncatedNormal(1 / sqrt(kh·kw·inChannels/groups))`, as Haiku's ConvND). */
  readonly wInit?: Initializer<Rng>
  /** Initializer of `b` (default zeros). */
  readonly bInit?: Initializer<Rng>
  /** Grouped convolution: the input channels are split into this many groups (default 1). */
  readonly featureGroupCount?: number
  /** `"NHWC"` (default) or `"NCHW"` (also `"channels_last"` / `"channels_first"`). */
  readonly dataFormat?: string
  /** Module name (default `"conv2_d"`, Haiku's). */
  readonly name?: string
}

/** A constructed `hk.Conv2D`: call it on `[N, H, W, C]` (or unbatched `[H, W, C]`) inputs. */
export type Conv2D = Module<
  (x: Tensor) => Effect.Effect<Tensor, never, Params | Rng>,
  {
    readonly outputChannels: number
    readonly kernelShape: ReadonlyArray<number>
    readonly stride: ReadonlyArray<number>
    readonly rate: ReadonlyArray<number>
  }
>

const API = "hk.Conv2D"

/**
 * A 2-D convolution with parameters `w: [kh, kw, inChannels / featureGroupCount, outputChannels]`
 * and `b: [outputChannels]` (`[outputChannels, 1, 1]` for NCHW), created on the first call
 * with the input's dtype. Inputs of rank 3 are treated as one unbatched example.
 *
 * Haiku: `hk.Conv2D`.
 *
 * @example
 * const f = (x: Tensor) => Effect.flatMap(hk.Conv2D(16, { kernelShape: 3 }), (conv) => conv(x))
 * hk.transform(f).init(0, jnp.ones([8, 28, 28, 1])) // { conv2_d: { w: f32[3,3,1,16], b: f32[16] } }
 */
export const Conv2D = (outputChannels: number, options: Conv2DOptions): Effect.Effect<Conv2D, never, Naming> =>
  module(options.name ?? "conv2_d", (self) => {
    if (!Number.isInteger(outputChannels) || outputChannels < 1) throw ModuleConfigError.make(API, "outputChannels", `outputChannels must be a positive integer, got ${outputChannels}.`)
    if (options === undefined || options.kernelShape === undefined) throw ModuleConfigError.make(API, "kernelShape", "kernelShape is required, e.g. hk.Conv2D(16, { kernelShape: 3 }).")
    const kernelShape = replicate(API, "kernelShape", options.kernelShape, 2)
    const stride = replicate(API, "stride", options.stride ?? 1, 2)
    const rate = replicate(API, "rate", options.rate ?? 1, 2)
    const groups = options.featureGroupCount ?? 1
    if (!Number.isInteger(groups) || groups < 1) throw ModuleConfigError.make(API, "featureGroupCount", `featureGroupCount must be a positive integer, got ${groups}.`)
    const channelsLast = channelIndex(API, options.dataFormat ?? "NHWC") === -1
    const padding = options.padding ?? "SAME"
    resolvePadding(API, padding, [1, 1], kernelShape, stride, rate) // validate now
    const withBias = options.withBias ?? true
    const dims = channelsLast ? { lhs: [0, 3, 1, 2], rhs: [3, 2, 0, 1], out: [0, 3, 1, 2] } : { lhs: [0, 1, 2, 3], rhs: [3, 2, 0, 1], out: [0, 1, 2, 3] }

    const body = Effect.fnUntraced(function* (input: Tensor) {
      const unbatched = input.ndim === 3
      const x = unbatched ? jnp.expandDims(input, 0) : input
      const cAxis = channelsLast ? 3 : 1
      const inChannels = x.shape[cAxis]!
      if (inChannels % groups !== 0) {
        throw shapeError(API, `module '${self.moduleName}' got an input of shape ${input.aval.toString()} whose ${inChannels} channels do not divide by featureGroupCount ${groups}.`)
      }
      const wShape = [kernelShape[0]!, kernelShape[1]!, inChannels / groups, outputChannels]
      const fanIn = wShape[0]! * wShape[1]! * wShape[2]!
      const w = yield* getParameter("w", wShape, options.wInit ?? TruncatedNormal(1 / Math.sqrt(fanIn)), { dtype: x.dtype })
      const spatial = channelsLast ? [x.shape[1]!, x.shape[2]!] : [x.shape[2]!, x.shape[3]!]
      let out = lax.convGeneralDilated(x, w, {
        windowStrides: stride,
        padding: resolvePadding(API, padding, spatial, kernelShape, stride, rate),
        lhsDilation: [1, 1],
        rhsDilation: rate,
        dimensionNumbers: dims,
        featureGroupCount: groups,
        batchGroupCount: 1
      })
      if (withBias) {
        const b = yield* getParameter("b", channelsLast ? [outputChannels] : [outputChannels, 1, 1], options.bInit ?? zeros, { dtype: x.dtype })
        out = jnp.add(out, b)
      }
      return unbatched ? jnp.squeeze(out, 0) : out
    })
    const call = (x: Tensor) =>
      Effect.suspend(() => {
        const t = checkInput(API, self.moduleName, x, `a rank-4 ${channelsLast ? "[N, H, W, C]" : "[N, C, H, W]"} input (or rank 3 unbatched)`, [3, 4])
        return guardParams(API, self.moduleName, t, self.call(body(t)))
      })
    return attach(call, { moduleName: self.moduleName, name: self.name, outputChannels, kernelShape, stride, rate })
  })
