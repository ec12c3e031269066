/**
 * `hk.nets.ResNet` and `ResNet18/34/50`: Haiku's ResNet v1/v2, with its block structure and
 * module names (`res_net50/~/block_group_0/~/block_0/~/conv_0`, …) so parameter trees match.
 */
import { Effect } from "effect"
import type { Tensor } from "../../transforms/core/Tensor.js"
import * as jnp from "../../transforms/numpy/ops.js"
import { zeros } from "../../transforms/numpy/creation.js"
import { relu } from "../../transforms/numpy/nn.js"
import { attach, module, type Module } from "../../effects/module.js"
import type { Naming, Params, Rng, State } from "../../effects/services.js"
import { Linear, type LinearOptions } from "../modules/Linear.js"
import { BatchNorm, type BatchNormOptions } from "../modules/BatchNorm.js"
import { Conv2D, type Conv2DOptions } from "../modules/ConvND.js"
import { ModuleConfigError } from "../modules/errors.js"
import { maxPool } from "../modules/pool.js"

/** The options `hk.BatchNorm` gets inside a ResNet (defaults: decayRate 0.9, eps 1e-5, scale and offset). */
export type BnConfig = Partial<Omit<BatchNormOptions, "name">>

type Call = (x: Tensor, isTraining: boolean, testLocalStats: boolean) => Effect.Effect<Tensor, never, Params | State | Rng>

interface BlockConfig {
  readonly channels: number
  readonly stride: number
  readonly useProjection: boolean
  readonly bnConfig: BatchNormOptions
  readonly bottleneck: boolean
  readonly name: string
}

const conv = (outputChannels: number, kernelShape: number, stride: number, name: string) => Conv2D(outputChannels, { kernelShape, stride, withBias: false, padding: "SAME", name })

/** Haiku's `BlockV1`: conv → bn → relu per layer (no relu after the last), projection shortcut, relu of the sum. */
const BlockV1 = (c: BlockConfig): Effect.Effect<Call, never, Naming> =>
  module(c.name, (self) =>
    Effect.gen(function* () {
      const bn = { ...c.bnConfig, decayRate: c.bnConfig.decayRate ?? 0.999 }
      const proj = c.useProjection ? [yield* conv(c.channels, 1, c.stride, "shortcut_conv"), yield* BatchNorm({ ...bn, name: "shortcut_batchnorm" })] as const : null
      const div = c.bottleneck ? 4 : 1
      const layers: Array<readonly [Conv2D, BatchNorm]> = [
        [yield* conv(c.channels / div, c.bottleneck ? 1 : 3, c.bottleneck ? 1 : c.stride, "conv_0"), yield* BatchNorm({ ...bn, name: "batchnorm_0" })],
        [yield* conv(c.channels / div, 3, c.bottleneck ? c.stride : 1, "conv_1"), yield* BatchNorm({ ...bn, name: "batchnorm_1" })]
      ]
      if (c.bottleneck) layers.push([yield* conv(c.channels, 1, 1, "conv_2"), yield* BatchNorm({ ...bn, scaleInit: zeros, name: "batchnorm_2" })])
      const body = Effect.fnUntraced(function* (x: Tensor, isTraining: boolean, testLocalStats: boolean) {
        let shortcut = x
        if (proj) shortcut = yield* proj[1](yield* proj[0](x), isTraining, { testLocalStats })
        let out = x
        for (let i = 0; i < layers.length; i++) {
          out = yield* layers[i]![1](yield* layers[i]![0](out), isTraining, { testLocalStats })
          if (i < layers.length - 1) out = relu(out)
        }
        return relu(jnp.add(out, shortcut))
      })
      return ((x, isTraining, testLocalStats) => self.call(body(x, isTraining, testLocalStats))) satisfies Call
    })
  )

/** Haiku's `BlockV2` (pre-activation): bn → relu → conv per layer; the projection reads the first activation. */
const BlockV2 = (c: BlockConfig): Effect.Effect<Call, never, Naming> =>
  module(c.name, (self) =>
    Effect.gen(function* () {
      const bn = c.bnConfig
      const proj = c.useProjection ? yield* conv(c.channels, 1, c.stride, "shortcut_conv") : null
      const div = c.bottleneck ? 4 : 1
      const layers: Array<readonly [Conv2D, BatchNorm]> = [
        [yield* conv(c.channels / div, c.bottleneck ? 1 : 3, c.bottleneck ? 1 : c.stride, "conv_0"), yield* BatchNorm({ ...bn, name: "batchnorm_0" })],
        [yield* conv(c.channels / div, 3, c.bottleneck ? c.stride : 1, "conv_1"), yield* BatchNorm({ ...bn, name: "batchnorm_1" })]
      ]
      if (c.bottleneck) layers.push([yield* conv(c.channels, 1, 1, "conv_2"), yield* BatchNorm({ ...bn, name: "batchnorm_2" })])
      const body = Effect.fnUntraced(function* (input: Tensor, isTraining: boolean, testLocalStats: boolean) {
        let x = input
        let shortcut = input
        for (let i = 0; i < layers.length; i++) {
          x = relu(yield* layers[i]![1](x, isTraining, { testLocalStats }))
          if (i === 0 && proj) shortcut = yield* proj(x)
          x = yield* layers[i]![0](x)
        }
        return jnp.add(x, shortcut)
      })
      return ((x, isTraining, testLocalStats) => self.call(body(x, isTraining, testLocalStats))) satisfies Call
    })
  )

/** Haiku's `BlockGroup`: `numBlocks` blocks `block_i`, the first with the group's stride and projection. */
const BlockGroup = (
  c: Omit<BlockConfig, "stride" | "useProjection" | "name"> & { numBlocks: number; stride: number; useProjection: boolean; resnetV2: boolean; name: string }
): Effect.Effect<Call, never, Naming> =>
  module(c.name, (self) =>
    Effect.map(
      Effect.forEach(Array.from({ length: c.numBlocks }, (_, i) => i), (i) =>
        (c.resnetV2 ? BlockV2 : BlockV1)({ channels: c.channels, stride: i ? 1 : c.stride, useProjection: i === 0 && c.useProjection, bottleneck: c.bottleneck, bnConfig: c.bnConfig, name: `block_${i}` })
      ),
      (blocks): Call => {
        const body = Effect.fnUntraced(function* (x: Tensor, isTraining: boolean, testLocalStats: boolean) {
          let out = x
          for (const block of blocks) out = yield* block(out, isTraining, testLocalStats)
          return out
        })
        return (x, isTraining, testLocalStats) => self.call(body(x, isTraining, testLocalStats))
      }
    )
  )

type Four<T> = readonly [T, T, T, T]

/** The block layout of a ResNet (Haiku's `ResNet.CONFIGS[n]`). */
export interface ResNetConfig {
  readonly blocksPerGroup: Four<number>
  readonly bottleneck: boolean
  readonly channelsPerGroup: Four<number>
  readonly useProjection: Four<boolean>
}

/** Haiku's `ResNet.CONFIGS` for 18, 34, 50, 101, 152 and 200 layers. */
export const RESNET_CONFIGS: Readonly<Record<18 | 34 | 50 | 101 | 152 | 200, ResNetConfig>> = {
  18: { blocksPerGroup: [2, 2, 2, 2], bottleneck: false, channelsPerGroup: [64, 128, 256, 512], useProjection: [false, true, true, true] },
  34: { blocksPerGroup: [3, 4, 6, 3], bottleneck: false, channelsPerGroup: [64, 128, 256, 512], useProjection: [false, true, true, true] },
  50: { blocksPerGroup: [3, 4, 6, 3], bottleneck: true, channelsPerGroup: [256, 512, 1024, 2048], useProjection: [true, true, true, true] },
  101: { blocksPerGroup: [3, 4, 23, 3], bottleneck: true, channelsPerGroup: [256, 512, 1024, 2048], useProjection: [true, true, true, true] },
  152: { blocksPerGroup: [3, 8, 36, 3], bottleneck: true, channelsPerGroup: [256, 512, 1024, 2048], useProjection: [true, true, true, true] },
  200: { blocksPerGroup: [3, 24, 36, 3], bottleneck: true, channelsPerGroup: [256, 512, 1024, 2048], useProjection: [true, true, true, true] }
}

/** Options of the ResNets. */
export interface ResNetOptions {
  /** Options of every `hk.BatchNorm` (default `{ decayRate: 0.9, eps: 1e-5, createScale: true, createOffset: true }`). */
  readonly bnConfig?: BnConfig
  /** Pre-activation blocks (ResNet v2; default false). */
  readonly resnetV2?: boolean
  /** Stride of each block group (default `[1, 2, 2, 2]`). */
  readonly strides?: Four<number>
  /** Options of the final `hk.Linear` (default `{ wInit: zeros, name: "logits" }`). */
  readonly logitsConfig?: LinearOptions
  /** Options of the initial `hk.Conv2D` (default 64 channels, 7×7, stride 2, no bias, SAME, `"initial_conv"`). */
  readonly initialConvConfig?: Partial<Conv2DOptions> & { readonly outputChannels?: number }
  /** Module name (default `"res_net"`, `"res_net18"`, … as Haiku's class names). */
  readonly name?: string
}

/** A constructed ResNet: `yield* resnet(x, isTraining)` on `[N, H, W, C]` images gives `[N, numClasses]` logits. */
export type ResNet = Module<(x: Tensor, isTraining: boolean, options?: { readonly testLocalStats?: boolean }) => Effect.Effect<Tensor, never, Params | State | Rng>>

const four = <T>(value: ReadonlyArray<T>, what: string): void => {
  if (value.length !== 4) throw ModuleConfigError.make("hk.nets.ResNet", what, `\`${what}\` must be of length 4 not ${value.length}.`)
}

/**
 * A ResNet with the given block layout: initial 7×7/2 conv (+ batchnorm and relu in v1), 3×3/2
 * max pool, four block groups, (final batchnorm and relu in v2), spatial mean, `logits` Linear.
 *
 * Haiku: `hk.nets.ResNet`.
 *
 * @example
 * const f = (x: Tensor, isTraining: boolean) =>
 *   Effect.flatMap(hk.nets.ResNet(10, { ...hk.nets.RESNET_CONFIGS[18] }), (net) => net(x, isTraining))
 */
export const ResNet = (numClasses: number, options: ResNetConfig & ResNetOptions): Effect.Effect<ResNet, never, Naming> =>
  module(options.name ?? "res_net", (self) =>
    Effect.gen(function* () {
      const resnetV2 = options.resnetV2 ?? false
      const strides = options.strides ?? [1, 2, 2, 2]
      four(options.blocksPerGroup, "blocksPerGroup")
      four(options.channelsPerGroup, "channelsPerGroup")
      four(strides, "strides")
      const bnConfig: BatchNormOptions = { decayRate: 0.9, eps: 1e-5, createScale: true, createOffset: true, ...options.bnConfig }
      const { outputChannels = 64, ...initial } = options.initialConvConfig ?? {}
      const initialConv = yield* Conv2D(outputChannels, { kernelShape: 7, stride: 2, withBias: false, padding: "SAME", name: "initial_conv", ...initial })
      const initialBn = resnetV2 ? null : yield* BatchNorm({ ...bnConfig, name: "initial_batchnorm" })
      const groups: Call[] = []
      for (let i = 0; i < 4; i++) {
        groups.push(
          yield* BlockGroup({
            channels: options.channelsPerGroup[i]!,
            numBlocks: options.blocksPerGroup[i]!,
            stride: strides[i]!,
            bnConfig,
            resnetV2,
            bottleneck: options.bottleneck,
            useProjection: options.useProjection[i]!,
            name: `block_group_${i}`
          })
        )
      }
      const finalBn = resnetV2 ? yield* BatchNorm({ ...bnConfig, name: "final_batchnorm" }) : null
      const logits = yield* Linear(numClasses, { wInit: zeros, name: "logits", ...options.logitsConfig })
      const body = Effect.fnUntraced(function* (x: Tensor, isTraining: boolean, testLocalStats: boolean) {
        let out = yield* initialConv(x)
        if (initialBn) out = relu(yield* initialBn(out, isTraining, { testLocalStats }))
        out = maxPool(out, { windowShape: [1, 3, 3, 1], strides: [1, 2, 2, 1], padding: "SAME" })
        for (const group of groups) out = yield* group(out, isTraining, testLocalStats)
        if (finalBn) out = relu(yield* finalBn(out, isTraining, { testLocalStats }))
        return yield* logits(jnp.mean(out, { axis: [1, 2] }))
      })
      const call = (x: Tensor, isTraining: boolean, callOptions: { readonly testLocalStats?: boolean } = {}) => self.call(body(x, isTraining, callOptions.testLocalStats ?? false))
      return attach(call, { moduleName: self.moduleName, name: self.name })
    })
  )

const preset =
  (depth: 18 | 34 | 50, name: string) =>
  (numClasses: number, options: ResNetOptions = {}): Effect.Effect<ResNet, never, Naming> =>
    ResNet(numClasses, { ...RESNET_CONFIGS[depth], ...options, name: options.name ?? name })

/**
 * ResNet18 (v1 by default): basic blocks `[2, 2, 2, 2]`, 64–512 channels; module `res_net18`.
 *
 * Haiku: `hk.nets.ResNet18`.
 *
 * @example
 * const f = (x: Tensor, isTraining: boolean) => Effect.flatMap(hk.nets.ResNet18(10), (net) => net(x, isTraining))
 * const [params, state] = Effect.runSync(hk.transformWithState(f).init(0, jnp.ones([2, 32, 32, 3]), true))
 */
export const ResNet18 = preset(18, "res_net18")

/**
 * ResNet34: basic blocks `[3, 4, 6, 3]`; module `res_net34`.
 *
 * Haiku: `hk.nets.ResNet34`.
 *
 * @example
 * const f = (x: Tensor, isTraining: boolean) => Effect.flatMap(hk.nets.ResNet34(10), (net) => net(x, isTraining))
 */
export const ResNet34 = preset(34, "res_net34")

/**
 * ResNet50: bottleneck blocks `[3, 4, 6, 3]`, 256–2048 channels; module `res_net50`. With 1000
 * classes it has 25,557,032 parameters.
 *
 * Haiku: `hk.nets.ResNet50`.
 *
 * @example
 * const f = (x: Tensor, isTraining: boolean) => Effect.flatMap(hk.nets.ResNet50(1000), (net) => net(x, isTraining))
 * const shapes = Effect.runSync(jax.evalShape(hk.transformWithState(f).init, jax.random.key(0), { shape: [1, 224, 224, 3], dtype: "float32" }, true))
 */
export const ResNet50 = preset(50, "res_net50")
