/**
 * `hk.ConvND` and its 1-, 2- and 3-D forms: a convolution over channels-last (or
 * channels-first) inputs with a `[...kernel, in / groups, out]` kernel.
 */
import { Effect } from "effect"
import { Tensor } from "../../transforms/core/Tensor.js"
import * as lax from "../../transforms/core/lax.js"
import { shapeError } from "../../transforms/core/errors.js"
import * as jnp from "../../transforms/numpy/ops.js"
import { zeros } from "../../transforms/numpy/creation.js"
import { getParameter, type Initializer } from "../../effects/getParameter.js"
import { TruncatedNormal } from "../initializers.js"
import { attach, module, type Module } from "../../effects/module.js"
import type { Naming, Params, Rng } from "../../effects/services.js"
import { ModuleConfigError } from "./errors.js"
import { channelIndex, checkInput, guardParams, replicate, resolvePadding, showShape, type Padding } from "./inputs.js"

/** Options of {@link ConvND} (and `Conv1D`/`Conv2D`/`Conv3D`, which fix the number of spatial dims). */
export interface ConvOptions {
  /** Kernel size per spatial dim (one number for all). */
  readonly kernelShape: number | ReadonlyArray<number>
  /** Window strides (default 1). */
  readonly stride?: number | ReadonlyArray<number>
  /** Kernel dilation (default 1: an ordinary convolution). */
  readonly rate?: number | ReadonlyArray<number>
  /** `"SAME"` (default; JAX's split, `lo = floor(total / 2)`), `"VALID"`, or `[lo, hi]` per spatial axis. */
  readonly padding?: Padding
  /** Add a bias `b` (default true). */
  readonly withBias?: boolean
  /** Initializer of `w` (default `TruncatedNormal(1 / sqrt(prod(kernel) · inChannels / groups))`, as Haiku's ConvND). */
  readonly wInit?: Initializer<Rng>
  /** Initializer of `b` (default zeros). */
  readonly bInit?: Initializer<Rng>
  /** Grouped convolution: the input channels are split into this many groups (default 1). */
  readonly featureGroupCount?: number
  /** A tensor of the kernel's shape the kernel is multiplied by (Haiku's `mask`), e.g. for causal convolutions. */
  readonly mask?: Tensor
  /** Channels last (`"channels_last"`, `"NWC"`, `"NHWC"`, `"NDHWC"`; the default) or first (`"channels_first"`, `"NCHW"`, …). */
  readonly dataFormat?: string
  /** Module name (default Haiku's: `conv_nd`, `conv1_d`, `conv2_d`, `conv3_d`). */
  readonly name?: string
}

/** Options of `hk.Conv2D` (the same as every ConvND). */
export type Conv2DOptions = ConvOptions

/** A constructed convolution: call it on `[N, ...spatial, C]` (or unbatched `[...spatial, C]`) inputs. */
export type ConvND = Module<
  (x: Tensor) => Effect.Effect<Tensor, never, Params | Rng>,
  {
    readonly numSpatialDims: number
    readonly outputChannels: number
    readonly kernelShape: ReadonlyArray<number>
    readonly stride: ReadonlyArray<number>
    readonly rate: ReadonlyArray<number>
  }
>
/** A constructed `hk.Conv2D`. */
export type Conv2D = ConvND

/** `[batch, feature, ...spatial]` positions for channels-last or channels-first images of rank `n + 2`. */
export const imageSpec = (n: number, channelsLast: boolean): number[] =>
  channelsLast ? [0, n + 1, ...Array.from({ length: n }, (_, i) => i + 1)] : [0, 1, ...Array.from({ length: n }, (_, i) => i + 2)]

/** `"[N, H, W, C]"`-style names of an image layout, for messages. */
export const imageLayout = (n: number, channelsLast: boolean): string => {
  const sp = n <= 3 ? ["D", "H", "W"].slice(3 - n) : Array.from({ length: n }, (_, i) => `S${i}`)
  return `[${(channelsLast ? ["N", ...sp, "C"] : ["N", "C", ...sp]).join(", ")}]`
}

/** Validate what every convolution checks at construction. */
export const convConfig = (api: string, n: number, outputChannels: number, options: { readonly kernelShape?: number | ReadonlyArray<number>; readonly stride?: number | ReadonlyArray<number> }) => {
  if (!Number.isInteger(n) || n < 1) throw ModuleConfigError.make(api, "numSpatialDims", `We only support convolution operations for numSpatialDims greater than 0, got ${n}.`)
  if (!Number.isInteger(outputChannels) || outputChannels < 1) throw ModuleConfigError.make(api, "outputChannels", `outputChannels must be a positive integer, got ${outputChannels}.`)
  if (options === undefined || options.kernelShape === undefined) throw ModuleConfigError.make(api, "kernelShape", `kernelShape is required, e.g. ${api}(16, { kernelShape: 3 }).`)
  return { kernelShape: replicate(api, "kernelShape", options.kernelShape, n), stride: replicate(api, "stride", options.stride ?? 1, n) }
}

/** The input with a batch axis (and whether one was added), or a ShapeError naming the module and the ranks it takes. */
export const batchedInput = (api: string, moduleName: string, x: unknown, n: number, layout: string, allowUnbatched = true): [Tensor, boolean] => {
  const ranks = allowUnbatched ? [n + 1, n + 2] : [n + 2]
  const t = checkInput(api, moduleName, x, `a rank-${n + 2} ${layout} input${allowUnbatched ? ` (or rank ${n + 1} unbatched)` : ""}`, ranks)
  return t.ndim === n + 1 ? [jnp.expandDims(t, 0), true] : [t, false]
}

/**
 * `out` plus a bias `b` of `channels` (broadcast over the spatial axes: `[c]` channels last,
 * `[c, 1, …, 1]` channels first), the parameter every convolution module adds.
 */
export const addConvBias = (out: Tensor, channels: number, channelsLast: boolean, n: number, bInit: Initializer<Rng> | undefined): Effect.Effect<Tensor, never, Params | Rng> =>
  Effect.map(getParameter("b", channelsLast ? [channels] : [channels, ...Array.from({ length: n }, () => 1)], bInit ?? zeros, { dtype: out.dtype }), (b) => jnp.add(out, b))

const checkMask = (api: string, moduleName: string, mask: Tensor | undefined, wShape: ReadonlyArray<number>): void => {
  if (mask !== undefined && mask.shape.join(",") !== wShape.join(",")) {
    throw shapeError(api, `module '${moduleName}': Mask needs to have the same shape as weights. Shapes are: ${showShape(mask.shape)}, ${showShape(wShape)}; pass a mask of shape ${showShape(wShape)}.`)
  }
}

const DEFAULT_NAMES: Record<number, string> = { 1: "conv1_d", 2: "conv2_d", 3: "conv3_d" }

const convND = (api: string, defaultName: string, n: number, outputChannels: number, options: ConvOptions): Effect.Effect<ConvND, never, Naming> =>
  module(options?.name ?? defaultName, (self) => {
    const { kernelShape, stride } = convConfig(api, n, outputChannels, options)
    const rate = replicate(api, "rate", options.rate ?? 1, n)
    const groups = options.featureGroupCount ?? 1
    if (!Number.isInteger(groups) || groups < 1) throw ModuleConfigError.make(api, "featureGroupCount", `featureGroupCount must be a positive integer, got ${groups}.`)
    const channelsLast = channelIndex(api, options.dataFormat ?? "channels_last") === -1
    const padding = options.padding ?? "SAME"
    resolvePadding(api, padding, kernelShape.map(() => 1), kernelShape, stride, rate) // validate now
    if (options.mask !== undefined && !(options.mask instanceof Tensor)) throw ModuleConfigError.make(api, "mask", "mask must be a Tensor of the kernel's shape.")
    const withBias = options.withBias ?? true
    const spec = imageSpec(n, channelsLast)
    const dims = { lhs: spec, rhs: [n + 1, n, ...Array.from({ length: n }, (_, i) => i)], out: spec }
    const layout = imageLayout(n, channelsLast)

    const body = Effect.fnUntraced(function* (input: Tensor) {
      const [x, unbatched] = batchedInput(api, self.moduleName, input, n, layout)
      const inChannels = x.shape[channelsLast ? n + 1 : 1]!
      if (inChannels % groups !== 0) {
        throw shapeError(api, `module '${self.moduleName}' got an input of shape ${input.aval.toString()} whose ${inChannels} channels are not a multiple of featureGroupCount ${groups}.`)
      }
      const wShape = [...kernelShape, inChannels / groups, outputChannels]
      checkMask(api, self.moduleName, options.mask, wShape)
      const fanIn = wShape.slice(0, -1).reduce((a, b) => a * b, 1)
      let w = yield* getParameter("w", wShape, options.wInit ?? TruncatedNormal(1 / Math.sqrt(fanIn)), { dtype: x.dtype })
      if (options.mask !== undefined) w = jnp.multiply(w, options.mask)
      const spatial = spec.slice(2).map((d) => x.shape[d]!)
      let out = lax.convGeneralDilated(x, w, {
        windowStrides: stride,
        padding: resolvePadding(api, padding, spatial, kernelShape, stride, rate),
        lhsDilation: kernelShape.map(() => 1),
        rhsDilation: rate,
        dimensionNumbers: dims,
        featureGroupCount: groups,
        batchGroupCount: 1
      })
      if (withBias) out = yield* addConvBias(out, outputChannels, channelsLast, n, options.bInit)
      return unbatched ? jnp.squeeze(out, 0) : out
    })
    const call = (x: Tensor) =>
      Effect.suspend(() => {
        const t = checkInput(api, self.moduleName, x, `a rank-${n + 2} ${layout} input (or rank ${n + 1} unbatched)`, [n + 1, n + 2])
        return guardParams(api, self.moduleName, t, self.call(body(t)))
      })
    return attach(call, { moduleName: self.moduleName, name: self.name, numSpatialDims: n, outputChannels, kernelShape, stride, rate })
  }, { kind: api.slice(3), config: { numSpatialDims: n, outputChannels, ...options } })

/**
 * A convolution over `numSpatialDims` spatial axes with parameters
 * `w: [...kernelShape, inChannels / featureGroupCount, outputChannels]` and `b: [outputChannels]`
 * (`[outputChannels, 1, …]` channels-first), created on the first call with the input's dtype.
 * Inputs of rank `numSpatialDims + 1` are one unbatched example.
 *
 * Haiku: `hk.ConvND`.
 *
 * @example
 * const f = (x: Tensor) => Effect.flatMap(hk.ConvND(1, 3, { kernelShape: 3 }), (conv) => conv(x))
 * hk.transform(f).init(0, jnp.ones([8, 2, 2])) // { conv_nd: { w: f32[3,2,3], b: f32[3] } }
 */
export const ConvND = (numSpatialDims: number, outputChannels: number, options: ConvOptions): Effect.Effect<ConvND, never, Naming> =>
  convND("hk.ConvND", "conv_nd", numSpatialDims, outputChannels, options)

/**
 * A 1-D convolution over `[N, W, C]` inputs.
 *
 * Haiku: `hk.Conv1D`.
 *
 * @example
 * hk.transform((x: Tensor) => Effect.flatMap(hk.Conv1D(3, { kernelShape: 3 }), (c) => c(x))).init(0, jnp.ones([8, 2, 2]))
 * // { conv1_d: { w: f32[3,2,3], b: f32[3] } }
 */
export const Conv1D = (outputChannels: number, options: ConvOptions): Effect.Effect<ConvND, never, Naming> => convND("hk.Conv1D", DEFAULT_NAMES[1]!, 1, outputChannels, options)

/**
 * A 2-D convolution over NHWC (or NCHW) inputs with an HWIO kernel.
 *
 * Haiku: `hk.Conv2D`.
 *
 * @example
 * const f = (x: Tensor) => Effect.flatMap(hk.Conv2D(16, { kernelShape: 3 }), (conv) => conv(x))
 * hk.transform(f).init(0, jnp.ones([8, 28, 28, 1])) // { conv2_d: { w: f32[3,3,1,16], b: f32[16] } }
 */
export const Conv2D = (outputChannels: number, options: ConvOptions): Effect.Effect<ConvND, never, Naming> => convND("hk.Conv2D", DEFAULT_NAMES[2]!, 2, outputChannels, options)

/**
 * A 3-D convolution over `[N, D, H, W, C]` inputs.
 *
 * Haiku: `hk.Conv3D`.
 *
 * @example
 * hk.transform((x: Tensor) => Effect.flatMap(hk.Conv3D(3, { kernelShape: 3 }), (c) => c(x))).init(0, jnp.ones([8, 2, 2, 2, 2]))
 * // { conv3_d: { w: f32[3,3,3,2,3], b: f32[3] } }
 */
export const Conv3D = (outputChannels: number, options: ConvOptions): Effect.Effect<ConvND, never, Naming> => convND("hk.Conv3D", DEFAULT_NAMES[3]!, 3, outputChannels, options)
