/**
 * Parameter (and state) trees of the stock modules equal Haiku's: names, shapes, dtypes and
 * sizes, as recorded in Haiku's integration checkpoints (`haiku/_src/integration/checkpoints/*.json`,
 * which list each module's tree for a given input).
 */
import { describe, expect, it } from "vitest"
import { Effect } from "effect"
import { hk, jax, jnp, type Tensor } from "../../../src/index.js"
import { kernelLaunches } from "../../../src/kernels/index.js"
import { run } from "../../support/effects.js"

type Shapes = Record<string, Record<string, string>>
interface Struct {
  readonly shape: ReadonlyArray<number>
  readonly dtype: string
}
const DT: Record<string, string> = { float32: "f32", int32: "s32" }
/** A tree of tensors or `{shape, dtype}` structs, written as Haiku's checkpoints write it: `f32[1, 1, 1, 3]`. */
const show = (tree: Record<string, Record<string, Struct>>): Shapes =>
  Object.fromEntries(Object.entries(tree).map(([m, b]) => [m, Object.fromEntries(Object.entries(b).map(([n, v]) => [n, `${DT[v.dtype]}[${v.shape.join(", ")}]`]))]))
const size = (tree: Record<string, Record<string, Struct>>): number =>
  Object.values(tree).reduce((s, b) => s + Object.values(b).reduce((t, v) => t + v.shape.reduce((a, c) => a * c, 1), 0), 0)

describe("param trees match Haiku's integration checkpoints", () => {
  it("nets.MLP([3, 4, 5]) on f32[8, 3]: mlp/~/linear_i, 53 params", () => {
    const f = (x: Tensor) => Effect.flatMap(hk.nets.MLP([3, 4, 5]), (m) => m(x))
    const params = run(hk.transform(f).init(0, jnp.ones([8, 3])))
    expect(show(params)).toEqual({
      "mlp/~/linear_0": { b: "f32[3]", w: "f32[3, 3]" },
      "mlp/~/linear_1": { b: "f32[4]", w: "f32[3, 4]" },
      "mlp/~/linear_2": { b: "f32[5]", w: "f32[4, 5]" }
    })
    expect(size(params)).toBe(53)
  })

  it("Conv2D(3, { kernelShape: 3 }) on f32[8, 2, 2, 2]: conv2_d {w: [3,3,2,3], b: [3]}, 57 params", () => {
    const f = (x: Tensor) => Effect.flatMap(hk.Conv2D(3, { kernelShape: 3 }), (c) => c(x))
    const params = run(hk.transform(f).init(0, jnp.ones([8, 2, 2, 2])))
    expect(show(params)).toEqual({ conv2_d: { b: "f32[3]", w: "f32[3, 3, 2, 3]" } })
    expect(size(params)).toBe(57)
  })

  it("BatchNorm(createScale, createOffset, decayRate 0.9) on f32[8, 2, 2, 3]: 6 params, 14 state values", () => {
    const f = (x: Tensor) => Effect.flatMap(hk.BatchNorm({ createScale: true, createOffset: true, decayRate: 0.9 }), (bn) => bn(x, true))
    const [params, state] = run(hk.transformWithState(f).init(0, jnp.ones([8, 2, 2, 3])))
    expect(show(params)).toEqual({ batch_norm: { offset: "f32[1, 1, 1, 3]", scale: "f32[1, 1, 1, 3]" } })
    expect(show(state)).toEqual({
      "batch_norm/~/mean_ema": { average: "f32[1, 1, 1, 3]", counter: "s32[]", hidden: "f32[1, 1, 1, 3]" },
      "batch_norm/~/var_ema": { average: "f32[1, 1, 1, 3]", counter: "s32[]", hidden: "f32[1, 1, 1, 3]" }
    })
    expect([size(params), size(state)]).toEqual([6, 14])
  })

  it("LayerNorm(axis 1, createScale, createOffset) on f32[8, 3, 2]: layer_norm {scale: [2], offset: [2]}", () => {
    const f = (x: Tensor) => Effect.flatMap(hk.LayerNorm({ axis: 1, createScale: true, createOffset: true }), (ln) => ln(x))
    expect(show(run(hk.transform(f).init(0, jnp.ones([8, 3, 2]))))).toEqual({ layer_norm: { offset: "f32[2]", scale: "f32[2]" } })
  })

  it("Sequential([]) and Flatten have no params", () => {
    const f = (x: Tensor) => Effect.flatMap(Effect.zip(hk.Sequential([]), hk.Flatten()), ([s, fl]) => Effect.flatMap(s(x), fl))
    expect(run(hk.transform(f).init(0, jnp.ones([8, 2, 2])))).toEqual({})
  })
})

/** Haiku's ResNet tree, generated from `resnet.py`'s structure (v1, bottleneck, projection in every group). */
const haikuResNet50 = (root: string, inChannels: number, numClasses: number) => {
  const params: Shapes = {}
  const state: Shapes = {}
  const bn = (name: string, c: number) => {
    params[name] = { offset: `f32[1, 1, 1, ${c}]`, scale: `f32[1, 1, 1, ${c}]` }
    for (const ema of ["mean_ema", "var_ema"]) state[`${name}/~/${ema}`] = { average: `f32[1, 1, 1, ${c}]`, counter: "s32[]", hidden: `f32[1, 1, 1, ${c}]` }
  }
  const conv = (name: string, k: number, cin: number, cout: number) => (params[name] = { w: `f32[${k}, ${k}, ${cin}, ${cout}]` })
  conv(`${root}/~/initial_conv`, 7, inChannels, 64)
  bn(`${root}/~/initial_batchnorm`, 64)
  let cin = 64
  ;[3, 4, 6, 3].forEach((blocks, g) => {
    const channels = [256, 512, 1024, 2048][g]!
    for (let b = 0; b < blocks; b++) {
      const p = `${root}/~/block_group_${g}/~/block_${b}/~/`
      if (b === 0) {
        conv(`${p}shortcut_conv`, 1, cin, channels)
        bn(`${p}shortcut_batchnorm`, channels)
      }
      conv(`${p}conv_0`, 1, cin, channels / 4)
      bn(`${p}batchnorm_0`, channels / 4)
      conv(`${p}conv_1`, 3, channels / 4, channels / 4)
      bn(`${p}batchnorm_1`, channels / 4)
      conv(`${p}conv_2`, 1, channels / 4, channels)
      bn(`${p}batchnorm_2`, channels)
      cin = channels
    }
  })
  params[`${root}/~/logits`] = { b: `f32[${numClasses}]`, w: `f32[2048, ${numClasses}]` }
  return { params, state }
}

describe("ResNet50's tree matches Haiku's, computed abstractly (jax.evalShape over init: no kernel runs)", () => {
  // isTraining is closed over: jax.evalShape traces every argument it is given
  const net = (x: Tensor) => Effect.flatMap(hk.nets.ResNet50(1000), (r) => r(x, true))
  const shapes = (inChannels: number) => {
    const before = kernelLaunches()
    const [params, state] = run(jax.evalShape(hk.transformWithState(net).init, jax.random.key(0), { shape: [8, 3, 3, inChannels], dtype: "float32" }))
    return { params, state, launches: kernelLaunches() - before }
  }

  it("on f32[8, 3, 3, 2] (Haiku's nets.ResNet checkpoint): the same keys and shapes, 25,553,896 params and 106,346 state values", () => {
    const { params, state, launches } = shapes(2)
    const expected = haikuResNet50("res_net50", 2, 1000)
    expect(show(params)).toEqual(expected.params)
    expect(show(state)).toEqual(expected.state)
    expect(size(params)).toBe(25_553_896)
    expect(size(state)).toBe(106_346)
    expect(launches).toBe(0)
  })

  it("on RGB images ResNet50(1000) has 25,557,032 params; spot-checks of Haiku's names", () => {
    const { params } = shapes(3)
    expect(size(params)).toBe(25_557_032)
    expect(show(params)["res_net50/~/block_group_0/~/block_0/~/conv_0"]).toEqual({ w: "f32[1, 1, 64, 64]" })
    expect(show(params)["res_net50/~/block_group_3/~/block_0/~/shortcut_conv"]).toEqual({ w: "f32[1, 1, 1024, 2048]" })
    expect(show(params)["res_net50/~/logits"]).toEqual({ b: "f32[1000]", w: "f32[2048, 1000]" })
  })

  it("ResNet18 / ResNet34 (1000 classes, RGB) have torchvision's counts 11,689,512 / 21,797,672; v2 drops initial_batchnorm for final_batchnorm", () => {
    const count = (make: typeof hk.nets.ResNet18, options: hk.nets.ResNetOptions = {}) =>
      run(
        jax.evalShape(
          hk.transformWithState((x: Tensor) => Effect.flatMap(make(1000, options), (r) => r(x, true))).init,
          jax.random.key(0),
          { shape: [1, 32, 32, 3], dtype: "float32" }
        )
      )[0]
    expect(size(count(hk.nets.ResNet18))).toBe(11_689_512)
    expect(size(count(hk.nets.ResNet34))).toBe(21_797_672)
    const v2 = count(hk.nets.ResNet18, { resnetV2: true })
    expect(Object.keys(v2)).toContain("res_net18/~/final_batchnorm")
    expect(Object.keys(v2)).not.toContain("res_net18/~/initial_batchnorm")
    expect(Object.keys(v2).filter((k) => k.includes("shortcut_batchnorm"))).toEqual([])
    // v2: no shortcut batchnorms (-2·(128+256+512)), no initial one (-2·64), a final one (+2·512), and
    // batchnorm_0 normalises the block's input, so the first block of groups 1-3 has half the channels there (-2·(64+128+256))
    expect(size(v2)).toBe(11_689_512 - 1792 - 128 + 1024 - 896)
  })
})
