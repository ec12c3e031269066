/**
 * `hk.ConvNDTranspose` and its 1-, 2- and 3-D forms: the transposed ("fractionally strided")
 * convolution, as JAX's `lax.conv_transpose` computes it: the input dilated by the stride,
 * padded, and convolved (stride 1) with a `[...kernel, out, in]` kernel, not flipped.
 */
import { Effect } from "effect"
import { Tensor } from "../../transforms/core/Tensor.js"
import * as lax from "../../transforms/core/lax.js"
import { shapeError } from "../../transforms/core/errors.js"
import * as jnp from "../../transforms/numpy/ops.js"
import { getParameter, type Initializer } from "../../effects/getParameter.js"
import { TruncatedNormal } from "../initializers.js"
import { attach, module } from "../../effects/module.js"
import type { Naming, Rng } from "../../effects/services.js"
import { ModuleConfigError } from "./errors.js"
import { channelIndex, checkInput, guardParams, replicate, showShape } from "./inputs.js"
import { addConvBias, batchedInput, convConfig, imageLayout, imageSpec, type ConvND } from "./ConvND.js"

/** Options of {@link ConvNDTranspose} and its 1-, 2- and 3-D forms. */
export interface ConvTransposeOptions {
  /** Kernel size per spatial dim (one number for all). */
  readonly kernelShape: number | ReadonlyArray<number>
  /** The stride of the forward convolution this transposes: the input is dilated by it (default 1). */
  readonly stride?: number | ReadonlyArray<number>
  /** The spatial output shape to produce (needs `"SAME"` or `"VALID"` padding; checked against the input size). */
  readonly outputShape?: number | ReadonlyArray<number>
  /** `"SAME"` (default: output = input · stride), `"VALID"` (output = input · stride + max(kernel − stride, 0)), or `[lo, hi]` pairs applied to the dilated input. */
  readonly padding?: "SAME" | "VALID" | ReadonlyArray<readonly [number, number]>
  /** Add a bias `b` (default true). */
  readonly withBias?: boolean
  /** Initializer of `w` (default `TruncatedNormal(1 / sqrt(prod(kernel) · inChannels))`, as Haiku). */
  readonly wInit?: Initializer<Rng>
  /** Initializer of `b` (default zeros). */
  readonly bInit?: Initializer<Rng>
  /** A tensor of the kernel's shape the kernel is multiplied by. */
  readonly mask?: Tensor
  /** Channels last (default) or first, as for `hk.ConvND`. */
  readonly dataFormat?: string
  /** Module name (default Haiku's: `conv_nd_transpose`, `conv1_d_transpose`, …). */
  readonly name?: string
}

/**
 * JAX's padding of the dilated input for a transposed convolution with kernel `k` and stride `s`.
 *
 * JAX: `jax.lax.convolution._conv_transpose_padding`.
 */
export const convTransposePadding = (k: number, s: number, padding: "SAME" | "VALID"): [number, number] => {
  let padLen: number
  let lo: number
  if (padding === "SAME") {
    padLen = k + s - 2
    lo = s > k - 1 ? k - 1 : Math.ceil(padLen / 2)
  } else {
    padLen = k + s - 2 + Math.max(k - s, 0)
    lo = k - 1
  }
  return [lo, padLen - lo]
}

/**
 * The padding that makes a transposed convolution produce `outputSize` elements from `inputSize`
 * (Haiku: `compute_adjusted_padding`); a ShapeError when no such padding exists.
 */
export const adjustedPadding = (api: string, inputSize: number, outputSize: number, kernel: number, stride: number, padding: "SAME" | "VALID"): [number, number] => {
  const expected = padding === "VALID" ? Math.floor((outputSize - kernel + stride) / stride) : Math.floor((outputSize + stride - 1) / stride)
  if (inputSize !== expected) {
    throw shapeError(api, `The expected input size with the current set of input parameters is ${expected} which doesn't match the actual input size ${inputSize}: with ${padding} padding, stride ${stride} and kernel ${kernel}, an output of ${outputSize} needs an input of ${expected}.`)
  }
  const before = padding === "VALID" ? 0 : Math.floor(Math.max(0, (inputSize - 1) * stride + kernel - outputSize) / 2)
  const expanded = (inputSize - 1) * stride + 1
  const lo = kernel - 1 - before
  return [lo, outputSize + kernel - 1 - expanded - lo]
}

const DEFAULT_NAMES: Record<number, string> = { 1: "conv1_d_transpose", 2: "conv2_d_transpose", 3: "conv3_d_transpose" }

const convTranspose = (api: string, defaultName: string, n: number, outputChannels: number, options: ConvTransposeOptions): Effect.Effect<ConvND, never, Naming> =>
  module(
    options?.name ?? defaultName,
    (self) => {
      const { kernelShape, stride } = convConfig(api, n, outputChannels, options)
      const padding = options.padding ?? "SAME"
      const named = typeof padding === "string" ? padding.toUpperCase() : null
      if (named !== null && named !== "SAME" && named !== "VALID") throw ModuleConfigError.make(api, "padding", `padding must be "SAME", "VALID" or ${n} [lo, hi] pairs, got ${JSON.stringify(padding)}.`)
      if (named === null && !(Array.isArray(padding) && padding.length === n && padding.every((q) => Array.isArray(q) && q.length === 2 && q.every(Number.isInteger)))) {
        throw ModuleConfigError.make(api, "padding", `padding must be "SAME", "VALID" or ${n} [lo, hi] pairs of integers, got ${JSON.stringify(padding)}.`)
      }
      const outputShape = options.outputShape === undefined ? null : replicate(api, "outputShape", options.outputShape, n)
      if (outputShape !== null && named === null) throw ModuleConfigError.make(api, "outputShape", "When specifying `outputShape`, ensure that padding is 'VALID' or 'SAME'.")
      if (options.mask !== undefined && !(options.mask instanceof Tensor)) throw ModuleConfigError.make(api, "mask", "mask must be a Tensor of the kernel's shape.")
      const channelsLast = channelIndex(api, options.dataFormat ?? "channels_last") === -1
      const withBias = options.withBias ?? true
      const spec = imageSpec(n, channelsLast)
      // kernel [...spatial, out, in]: O at n, I at n + 1 (Haiku's to_dimension_numbers(transpose=True))
      const dims = { lhs: spec, rhs: [n, n + 1, ...Array.from({ length: n }, (_, i) => i)], out: spec }
      const layout = imageLayout(n, channelsLast)

      const body = Effect.fnUntraced(function* (input: Tensor) {
        const [x, unbatched] = batchedInput(api, self.moduleName, input, n, layout)
        const inChannels = x.shape[channelsLast ? n + 1 : 1]!
        const wShape = [...kernelShape, outputChannels, inChannels]
        if (options.mask !== undefined && options.mask.shape.join(",") !== wShape.join(",")) {
          throw shapeError(api, `module '${self.moduleName}': Mask needs to have the same shape as weights. Shapes are: ${showShape(options.mask.shape)}, ${showShape(wShape)}.`)
        }
        const fanIn = kernelShape.reduce((a, b) => a * b, 1) * inChannels
        let w = yield* getParameter("w", wShape, options.wInit ?? TruncatedNormal(1 / Math.sqrt(fanIn)), { dtype: x.dtype })
        if (options.mask !== undefined) w = jnp.multiply(w, options.mask)
        const spatial = spec.slice(2).map((d) => x.shape[d]!)
        const pads: ReadonlyArray<readonly [number, number]> =
          outputShape !== null
            ? spatial.map((size, i) => adjustedPadding(api, size, outputShape[i]!, kernelShape[i]!, stride[i]!, named as "SAME" | "VALID"))
            : named !== null
              ? kernelShape.map((k, i) => convTransposePadding(k, stride[i]!, named as "SAME" | "VALID"))
              : (padding as ReadonlyArray<readonly [number, number]>)
        let out = lax.convGeneralDilated(x, w, {
          windowStrides: kernelShape.map(() => 1),
          padding: pads,
          lhsDilation: stride,
          rhsDilation: kernelShape.map(() => 1),
          dimensionNumbers: dims,
          featureGroupCount: 1,
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
      return attach(call, { moduleName: self.moduleName, name: self.name, numSpatialDims: n, outputChannels, kernelShape, stride, rate: kernelShape.map(() => 1) })
    },
    { kind: api.slice(3), config: { numSpatialDims: n, outputChannels, ...options } }
  )

/**
 * A transposed convolution over `numSpatialDims` spatial axes with parameters
 * `w: [...kernelShape, outputChannels, inChannels]` and `b: [outputChannels]`.
 *
 * Haiku: `hk.ConvNDTranspose`.
 *
 * @example
 * hk.transform((x: Tensor) => Effect.flatMap(hk.ConvNDTranspose(1, 3, { kernelShape: 3 }), (c) => c(x))).init(0, jnp.ones([8, 2, 2]))
 * // { conv_nd_transpose: { w: f32[3,3,2], b: f32[3] } }
 */
export const ConvNDTranspose = (numSpatialDims: number, outputChannels: number, options: ConvTransposeOptions): Effect.Effect<ConvND, never, Naming> =>
  convTranspose("hk.ConvNDTranspose", "conv_nd_transpose", numSpatialDims, outputChannels, options)

/**
 * A 1-D transposed convolution over `[N, W, C]` inputs.
 *
 * Haiku: `hk.Conv1DTranspose`.
 *
 * @example
 * const up = yield* hk.Conv1DTranspose(3, { kernelShape: 3, stride: 2 })   // [8, 5, 2] → [8, 10, 3]
 */
export const Conv1DTranspose = (outputChannels: number, options: ConvTransposeOptions): Effect.Effect<ConvND, never, Naming> =>
  convTranspose("hk.Conv1DTranspose", DEFAULT_NAMES[1]!, 1, outputChannels, options)

/**
 * A 2-D transposed convolution over NHWC (or NCHW) inputs.
 *
 * Haiku: `hk.Conv2DTranspose`.
 *
 * @example
 * const up = yield* hk.Conv2DTranspose(16, { kernelShape: 4, stride: 2 })   // [N, 7, 7, C] → [N, 14, 14, 16]
 */
export const Conv2DTranspose = (outputChannels: number, options: ConvTransposeOptions): Effect.Effect<ConvND, never, Naming> =>
  convTranspose("hk.Conv2DTranspose", DEFAULT_NAMES[2]!, 2, outputChannels, options)

/**
 * A 3-D transposed convolution over `[N, D, H, W, C]` inputs.
 *
 * Haiku: `hk.Conv3DTranspose`.
 *
 * @example
 * const up = yield* hk.Conv3DTranspose(3, { kernelShape: 3 })
 */
export const Conv3DTranspose = (outputChannels: number, options: ConvTransposeOptions): Effect.Effect<ConvND, never, Naming> =>
  convTranspose("hk.Conv3DTranspose", DEFAULT_NAMES[3]!, 3, outputChannels, options)
