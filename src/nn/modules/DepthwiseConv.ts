/**
 * `hk.DepthwiseConv1D/2D/3D` and `hk.SeparableDepthwiseConv2D`: each input channel convolved
 * with its own `channelMultiplier` filters (a convolution with one group per channel).
 */
import { Effect } from "effect"
import type { Tensor } from "../../transforms/core/Tensor.js"
import * as lax from "../../transforms/core/lax.js"
import { getParameter, type Initializer } from "../../effects/getParameter.js"
import { TruncatedNormal } from "../initializers.js"
import { attach, module, type Module } from "../../effects/module.js"
import type { Naming, Params, Rng } from "../../effects/services.js"
import { ModuleConfigError } from "./errors.js"
import { channelIndex, checkInput, guardParams, replicate, resolvePadding, type Padding } from "./inputs.js"
import { addConvBias, imageLayout, imageSpec } from "./ConvND.js"

/** Options of the depthwise convolutions. */
export interface DepthwiseConvOptions {
  /** Kernel size per spatial dim (one number for all). */
  readonly kernelShape: number | ReadonlyArray<number>
  /** Window strides (default 1). */
  readonly stride?: number | ReadonlyArray<number>
  /** Kernel dilation (default 1). */
  readonly rate?: number | ReadonlyArray<number>
  /** `"SAME"` (default), `"VALID"` or `[lo, hi]` per spatial axis. */
  readonly padding?: Padding
  /** Add a bias `b` of `channelMultiplier · inChannels` (default true). */
  readonly withBias?: boolean
  /** Initializer of `w` (default `TruncatedNormal(1 / sqrt(prod(kernel)))`, as Haiku). */
  readonly wInit?: Initializer<Rng>
  /** Initializer of `b` (default zeros). */
  readonly bInit?: Initializer<Rng>
  /** Channels last (default) or first. */
  readonly dataFormat?: string
  /** Module name (default `depthwise_conv1_d` / `depthwise_conv2_d` / `depthwise_conv3_d`). */
  readonly name?: string
}

/** A constructed depthwise convolution: call it on batched `[N, ...spatial, C]` inputs. */
export type DepthwiseConv = Module<(x: Tensor) => Effect.Effect<Tensor, never, Params | Rng>, { readonly channelMultiplier: number; readonly kernelShape: ReadonlyArray<number> }>

const depthwise = (api: string, defaultName: string, n: number, channelMultiplier: number, options: DepthwiseConvOptions): Effect.Effect<DepthwiseConv, never, Naming> =>
  module(
    options?.name ?? defaultName,
    (self) => {
      if (!Number.isInteger(channelMultiplier) || channelMultiplier < 1) throw ModuleConfigError.make(api, "channelMultiplier", `channelMultiplier must be a positive integer, got ${channelMultiplier}.`)
      if (options === undefined || options.kernelShape === undefined) throw ModuleConfigError.make(api, "kernelShape", `kernelShape is required, e.g. ${api}(1, { kernelShape: 3 }).`)
      const kernelShape = replicate(api, "kernelShape", options.kernelShape, n)
      const stride = replicate(api, "stride", options.stride ?? 1, n)
      const rate = replicate(api, "rate", options.rate ?? 1, n)
      const padding = options.padding ?? "SAME"
      resolvePadding(api, padding, kernelShape.map(() => 1), kernelShape, stride, rate)
      const channelsLast = channelIndex(api, options.dataFormat ?? "channels_last") === -1
      const spec = imageSpec(n, channelsLast)
      // kernel [...spatial, 1, C·multiplier]: O last, I before it (HWIO)
      const dims = { lhs: spec, rhs: [n + 1, n, ...Array.from({ length: n }, (_, i) => i)], out: spec }
      const layout = imageLayout(n, channelsLast)
      const body = Effect.fnUntraced(function* (x: Tensor) {
        const channels = x.shape[channelsLast ? n + 1 : 1]!
        const wShape = [...kernelShape, 1, channelMultiplier * channels]
        const fanIn = kernelShape.reduce((a, b) => a * b, 1)
        const w = yield* getParameter("w", wShape, options.wInit ?? TruncatedNormal(1 / Math.sqrt(fanIn)), { dtype: x.dtype })
        let out = lax.convGeneralDilated(x, w, {
          windowStrides: stride,
          padding: resolvePadding(api, padding, spec.slice(2).map((d) => x.shape[d]!), kernelShape, stride, rate),
          lhsDilation: kernelShape.map(() => 1),
          rhsDilation: rate,
          dimensionNumbers: dims,
          featureGroupCount: channels,
          batchGroupCount: 1
        })
        if (options.withBias ?? true) out = yield* addConvBias(out, channelMultiplier * channels, channelsLast, n, options.bInit)
        return out
      })
      const call = (x: Tensor) =>
        Effect.suspend(() => {
          const t = checkInput(api, self.moduleName, x, `a rank-${n + 2} ${layout} input (the depthwise convolutions need a batch axis)`, [n + 2])
          return guardParams(api, self.moduleName, t, self.call(body(t)))
        })
      return attach(call, { moduleName: self.moduleName, name: self.name, channelMultiplier, kernelShape })
    },
    { kind: api.slice(3), config: { channelMultiplier, ...options } }
  )

/**
 * A 1-D depthwise convolution: parameters `w: [k, 1, multiplier · C]`, `b: [multiplier · C]`.
 *
 * Haiku: `hk.DepthwiseConv1D`.
 *
 * @example
 * const dw = yield* hk.DepthwiseConv1D(1, { kernelShape: 3 })   // on f32[8, 2, 2]: depthwise_conv1_d { w: f32[3,1,2], b: f32[2] }
 */
export const DepthwiseConv1D = (channelMultiplier: number, options: DepthwiseConvOptions): Effect.Effect<DepthwiseConv, never, Naming> =>
  depthwise("hk.DepthwiseConv1D", "depthwise_conv1_d", 1, channelMultiplier, options)

/**
 * A 2-D depthwise convolution: parameters `w: [kh, kw, 1, multiplier · C]`, `b: [multiplier · C]`.
 *
 * Haiku: `hk.DepthwiseConv2D`.
 *
 * @example
 * const dw = yield* hk.DepthwiseConv2D(1, { kernelShape: 3 })   // on f32[8, 2, 2, 2]: depthwise_conv2_d { w: f32[3,3,1,2], b: f32[2] }
 */
export const DepthwiseConv2D = (channelMultiplier: number, options: DepthwiseConvOptions): Effect.Effect<DepthwiseConv, never, Naming> =>
  depthwise("hk.DepthwiseConv2D", "depthwise_conv2_d", 2, channelMultiplier, options)

/**
 * A 3-D depthwise convolution.
 *
 * Haiku: `hk.DepthwiseConv3D`.
 *
 * @example
 * const dw = yield* hk.DepthwiseConv3D(1, { kernelShape: 3 })   // on f32[8, 2, 2, 2, 2]: w: f32[3,3,3,1,2]
 */
export const DepthwiseConv3D = (channelMultiplier: number, options: DepthwiseConvOptions): Effect.Effect<DepthwiseConv, never, Naming> =>
  depthwise("hk.DepthwiseConv3D", "depthwise_conv3_d", 3, channelMultiplier, options)

/**
 * A depthwise convolution split in two: `[kh, 1]` with the channel multiplier and no bias, then
 * `[1, kw]` (multiplier 1, the bias), both created in the constructor.
 *
 * Haiku: `hk.SeparableDepthwiseConv2D`.
 *
 * @example
 * const sep = yield* hk.SeparableDepthwiseConv2D(1, { kernelShape: 3 })
 * // params separable_depthwise_conv2_d/~/depthwise_conv2_d {w: [3,1,1,C]}, …/depthwise_conv2_d_1 {w: [1,3,1,C], b: [C]}
 */
export const SeparableDepthwiseConv2D = (channelMultiplier: number, options: DepthwiseConvOptions): Effect.Effect<DepthwiseConv, never, Naming> =>
  module(
    options?.name ?? "separable_depthwise_conv2_d",
    (self) => {
      const api = "hk.SeparableDepthwiseConv2D"
      if (options === undefined || options.kernelShape === undefined) throw ModuleConfigError.make(api, "kernelShape", `kernelShape is required, e.g. ${api}(1, { kernelShape: 3 }).`)
      const [kh, kw] = replicate(api, "kernelShape", options.kernelShape, 2) as [number, number]
      const { name: _name, ...rest } = options
      return Effect.map(
        Effect.all([
          DepthwiseConv2D(channelMultiplier, { ...rest, kernelShape: [kh, 1], withBias: false }),
          DepthwiseConv2D(1, { ...rest, kernelShape: [1, kw], stride: 1 })
        ]),
        ([conv1, conv2]) =>
          attach((x: Tensor) => self.call(Effect.flatMap(conv1(x), conv2)), { moduleName: self.moduleName, name: self.name, channelMultiplier, kernelShape: [kh, kw] })
      )
    },
    { kind: "SeparableDepthwiseConv2D", config: { channelMultiplier, ...options } }
  )
