/**
 * The parameter trees of the modules added for Haiku's toolbox equal the ones Haiku recorded in
 * its integration checkpoints (`test/nn/fixtures/haikuCheckpoints.ts`): the same module paths,
 * names, shapes, dtypes and counts, built as Haiku's `descriptors.py` builds each module and
 * initialised abstractly (`jax.evalShape` over `init`: no kernel runs).
 */
import { describe, expect, it } from "vitest"
import { Effect } from "effect"
import { hk, jax, jnp, type Tensor } from "../../../src/index.js"
import { kernelLaunches } from "../../../src/kernels/index.js"
import { run } from "../../support/effects.js"
import { HAIKU_CHECKPOINTS } from "../fixtures/haikuCheckpoints.js"

interface Struct {
  readonly shape: ReadonlyArray<number>
  readonly dtype: string
}
const DT: Record<string, string> = { float32: "f32", int32: "s32" }
const show = (tree: Record<string, Record<string, Struct>>) =>
  Object.fromEntries(Object.entries(tree).map(([m, b]) => [m, Object.fromEntries(Object.entries(b).map(([n, v]) => [n, `${DT[v.dtype]}[${v.shape.join(", ")}]`]))]))
const count = (tree: Record<string, Record<string, Struct>>) => Object.values(tree).reduce((s, b) => s + Object.values(b).reduce((t, v) => t + v.shape.reduce((a, c) => a * c, 1), 0), 0)
const parseInput = (s: string): Struct => {
  const m = /^(f32|s32)\[(.*)\]$/.exec(s)!
  return { dtype: m[1] === "f32" ? "float32" : "int32", shape: m[2]!.split(",").map((d) => Number(d.trim())) }
}

type Hk = hk.Params | hk.State | hk.Rng | hk.Naming
type Net = (x: Tensor) => Effect.Effect<unknown, never, Hk>
const call = <M extends (x: Tensor) => Effect.Effect<unknown, never, Hk>>(make: Effect.Effect<M, never, Hk>): Net => (x) => Effect.flatMap(make, (m) => m(x))

/** Haiku's `Recurrent` descriptor: one time step of x, state for its batch, then the unroller. */
const recurrent = (make: Effect.Effect<hk.AnyRNNCore, never, Hk>, unroll: "static" | "dynamic"): Net => (x) =>
  Effect.gen(function* () {
    const core = yield* make
    const state = yield* core.initialState(x.shape[0]!)
    const seq = jnp.expandDims(x, 0)
    return yield* ((unroll === "static" ? hk.staticUnroll(core, seq, state) : hk.dynamicUnroll(core, seq, state)) as Effect.Effect<unknown, never, Hk>)
  })

/** A core that returns its inputs and keeps `ones([B, 128, 1])` (Haiku's `DummyCore`), for ResetCore. */
const DummyCore = () =>
  hk.module("dummy_core", (self) => {
    const f = (x: Tensor, s: Tensor) => self.call(Effect.succeed([x, s] as const))
    return Object.assign(f, { initialState: (b: number | null) => Effect.succeed(jnp.ones(b === null ? [128, 1] : [b, 128, 1])) })
  }) as unknown as Effect.Effect<hk.AnyRNNCore, never, hk.Naming>

const CASES: Record<keyof typeof HAIKU_CHECKPOINTS, Net> = {
  Bias: call(hk.Bias()),
  Conv1D: call(hk.Conv1D(3, { kernelShape: 3 })),
  Conv1DTranspose: call(hk.Conv1DTranspose(3, { kernelShape: 3 })),
  Conv2DTranspose: call(hk.Conv2DTranspose(3, { kernelShape: 3 })),
  Conv3D: call(hk.Conv3D(3, { kernelShape: 3 })),
  Conv3DTranspose: call(hk.Conv3DTranspose(3, { kernelShape: 3 })),
  ConvND: call(hk.ConvND(1, 3, { kernelShape: 3 })),
  ConvNDTranspose: call(hk.ConvNDTranspose(1, 3, { kernelShape: 3 })),
  DepthwiseConv1D: call(hk.DepthwiseConv1D(1, { kernelShape: 3 })),
  DepthwiseConv2D: call(hk.DepthwiseConv2D(1, { kernelShape: 3 })),
  DepthwiseConv3D: call(hk.DepthwiseConv3D(1, { kernelShape: 3 })),
  SeparableDepthwiseConv2D: call(hk.SeparableDepthwiseConv2D(1, { kernelShape: 3 })),
  Embed: call(hk.Embed({ vocabSize: 6, embedDim: 12 })),
  GroupNorm: call(hk.GroupNorm({ groups: 5 })),
  InstanceNorm: call(hk.InstanceNorm({ createScale: true, createOffset: true })),
  MultiHeadAttention: (x) => Effect.flatMap(hk.MultiHeadAttention({ numHeads: 8, keySize: 64, wInitScale: 1 }), (mha) => mha(x, x, x)),
  RMSNorm: call(hk.RMSNorm({ axis: 1 })),
  Linear: call(hk.Linear(10)),
  "Recurrent-VanillaRNN-static_unroll": recurrent(hk.VanillaRNN(8), "static"),
  "Recurrent-VanillaRNN-dynamic_unroll": recurrent(hk.VanillaRNN(8), "dynamic"),
  "Recurrent-LSTM-static_unroll": recurrent(hk.LSTM(1), "static"),
  "Recurrent-LSTM-dynamic_unroll": recurrent(hk.LSTM(1), "dynamic"),
  "Recurrent-GRU-static_unroll": recurrent(hk.GRU(1), "static"),
  "Recurrent-GRU-dynamic_unroll": recurrent(hk.GRU(1), "dynamic"),
  "Recurrent-IdentityCore-dynamic_unroll": recurrent(hk.IdentityCore(), "dynamic"),
  "Recurrent-ResetCore-dynamic_unroll": (x) =>
    Effect.gen(function* () {
      const core = yield* hk.ResetCore(yield* DummyCore())
      const seq = jnp.expandDims(x, 0)
      const resets = jnp.full([1, x.shape[0]!], 1, "bool")
      return yield* hk.dynamicUnroll(core, [seq, resets] as const, yield* core.initialState(x.shape[0]!))
    }),
  "Recurrent-Conv1DLSTM-dynamic_unroll": recurrent(hk.Conv1DLSTM({ inputShape: [2], outputChannels: 3, kernelShape: 3 }), "dynamic"),
  "Recurrent-Conv2DLSTM-static_unroll": recurrent(hk.Conv2DLSTM({ inputShape: [2, 2], outputChannels: 3, kernelShape: 3 }), "static"),
  "nets.VectorQuantizer": (x) => Effect.flatMap(hk.nets.VectorQuantizer({ embeddingDim: 64, numEmbeddings: 512, commitmentCost: 0.25 }), (vq) => vq(x, true))
}

describe("param trees equal Haiku's integration checkpoints (abstract init: no kernel runs)", () => {
  it.each(Object.entries(HAIKU_CHECKPOINTS).map(([name, c]) => ({ name, ...c })))("$name: $module on $input", ({ name, input, params, paramSize }) => {
    const net = CASES[name as keyof typeof HAIKU_CHECKPOINTS]
    const before = kernelLaunches()
    const [tree] = run(jax.evalShape(hk.transformWithState(net).init, jax.random.key(0), parseInput(input)))
    expect(kernelLaunches() - before).toBe(0)
    expect(show(tree)).toEqual(params)
    expect(count(tree)).toBe(paramSize)
  })
})
