/**
 * RMSNorm, GroupNorm, InstanceNorm and Bias against float64 references from their definitions.
 */
import { describe, expect, it } from "vitest"
import { Effect } from "effect"
import { hk, jax, jnp, ModuleConfigError, ShapeError, type Tensor } from "../../../src/index.js"
import { randn, f64 } from "../../support/values.js"
import { assertAllclose } from "../../support/assertAllclose.js"
import { run, thrown } from "../../support/effects.js"

const apply = <M extends (x: Tensor) => Effect.Effect<Tensor, never, hk.Params | hk.Rng>>(make: Effect.Effect<M, never, hk.Naming>, x: Tensor, key = 0) => {
  const t = hk.transform((v: Tensor) => Effect.flatMap(make, (m) => m(v)))
  const params = run(t.init(jax.random.key(key), x))
  return { params, y: run(t.apply(params, null, x)) }
}
const randomInit = hk.initializers.RandomNormal(1, 1)

describe("normalisation modules equal their float64 definitions", () => {
  it("RMSNorm(axis -1): x · scale / sqrt(mean(x²) + eps)", () => {
    const x = randn(1, [3, 4, 5])
    const { params, y } = apply(hk.RMSNorm({ axis: -1, scaleInit: randomInit }), x)
    const s = f64(params.rms_norm!.scale!)
    const xs = f64(x)
    const ref = xs.map((v, i) => {
      const row = Math.floor(i / 5)
      let ms = 0
      for (let j = 0; j < 5; j++) ms += xs[row * 5 + j]! ** 2
      return (v * s[i % 5]!) / Math.sqrt(ms / 5 + 1e-5)
    })
    assertAllclose(f64(y), ref, { atol: 1e-5, rtol: 1e-5 })
  })

  it("GroupNorm(groups 2) on NHWC: statistics per example and group over H, W and the group's channels", () => {
    const [N, Hh, W, C, G] = [2, 3, 2, 4, 2]
    const x = randn(2, [N, Hh, W, C])
    const { params, y } = apply(hk.GroupNorm({ groups: G, scaleInit: randomInit, offsetInit: randomInit }), x)
    const sc = f64(params.group_norm!.scale!)
    const of = f64(params.group_norm!.offset!)
    const xs = f64(x)
    const idx = (n: number, h: number, w: number, c: number) => ((n * Hh + h) * W + w) * C + c
    const ref = new Float64Array(xs.length)
    for (let n = 0; n < N; n++)
      for (let g = 0; g < G; g++) {
        const vals: number[] = []
        for (let h = 0; h < Hh; h++) for (let w = 0; w < W; w++) for (let c = g * (C / G); c < (g + 1) * (C / G); c++) vals.push(xs[idx(n, h, w, c)]!)
        const mean = vals.reduce((a, b) => a + b, 0) / vals.length
        const v = vals.reduce((a, b) => a + (b - mean) ** 2, 0) / vals.length
        for (let h = 0; h < Hh; h++) for (let w = 0; w < W; w++) for (let c = g * (C / G); c < (g + 1) * (C / G); c++) ref[idx(n, h, w, c)] = ((xs[idx(n, h, w, c)]! - mean) / Math.sqrt(v + 1e-5)) * sc[c]! + of[c]!
      }
    assertAllclose(f64(y), ref, { atol: 1e-5, rtol: 1e-5 })
  })

  it("InstanceNorm channels-last normalises over the spatial axes per channel; channels-first gives the same, transposed, with [1, C, 1] params", () => {
    const x = randn(3, [2, 5, 3])
    const { params, y } = apply(hk.InstanceNorm({ createScale: true, createOffset: true, scaleInit: randomInit }), x)
    const sc = f64(params.instance_norm!.scale!)
    const xs = f64(x)
    const ref = new Float64Array(xs.length)
    for (let n = 0; n < 2; n++)
      for (let c = 0; c < 3; c++) {
        const vals = Array.from({ length: 5 }, (_, t) => xs[(n * 5 + t) * 3 + c]!)
        const mean = vals.reduce((a, b) => a + b, 0) / 5
        const v = vals.reduce((a, b) => a + (b - mean) ** 2, 0) / 5
        vals.forEach((val, t) => (ref[(n * 5 + t) * 3 + c] = ((val - mean) / Math.sqrt(v + 1e-5)) * sc[c]!))
      }
    assertAllclose(f64(y), ref, { atol: 1e-5, rtol: 1e-5 })
    const first = apply(hk.InstanceNorm({ createScale: true, createOffset: true, dataFormat: "channels_first" }), jnp.transpose(x, [0, 2, 1]))
    expect(first.params.instance_norm!.scale!.shape).toEqual([1, 3, 1])
    const unit = apply(hk.InstanceNorm({ createScale: true, createOffset: true }), x).y
    assertAllclose(f64(first.y), f64(jnp.transpose(unit, [0, 2, 1])), { atol: 1e-5 })
  })

  it("LayerNorm(paramAxis 1) keeps a [1, C, 1] scale, as Haiku's param_axis", () => {
    const { params } = apply(hk.LayerNorm({ axis: [2], paramAxis: 1, createScale: true, createOffset: false }), randn(4, [2, 3, 4]))
    expect(params.layer_norm!.scale!.shape).toEqual([1, 3, 1])
  })

  it("bad options: groups that do not divide the channels, scaleInit without createScale, a changed rank", () => {
    expect(thrown(() => apply(hk.GroupNorm({ groups: 3 }), jnp.ones([2, 4, 4]))).message).toContain("channels=4, groups=3")
    expect(thrown(() => apply(hk.RMSNorm({ axis: -1, createScale: false, scaleInit: jnp.ones }), jnp.ones([2, 4])))).toBeInstanceOf(ModuleConfigError)
    const twice = (x: Tensor) => Effect.flatMap(hk.GroupNorm({ groups: 2 }), (gn) => Effect.flatMap(gn(x), () => gn(jnp.reshape(x, [2, 2, 2, 2]))))
    const e = thrown(() => run(hk.transform(twice).init(0, jnp.ones([2, 4, 2]))))
    expect(e).toBeInstanceOf(ShapeError)
    expect(e.message).toContain("The rank of the inputs cannot change between calls")
  })
})

describe("hk.Bias", () => {
  it("adds b (default: every non-batch axis) times an optional multiplier; biasDims shapes the bias as Haiku's calculate_bias_shape", () => {
    const x = randn(5, [2, 3, 4])
    const t = hk.transform((v: Tensor) => Effect.flatMap(hk.Bias({ bInit: randomInit }), (b) => Effect.zip(b(v), b(v, -1))))
    const params = run(t.init(jax.random.key(1), x))
    const b = f64(params.bias!.b!)
    const [plus, minus] = run(t.apply(params, null, x))
    const xs = f64(x)
    assertAllclose(f64(plus), xs.map((v, i) => v + b[i % 12]!), { atol: 1e-6 })
    assertAllclose(f64(minus), xs.map((v, i) => v - b[i % 12]!), { atol: 1e-6 })
    const shapeOf = (biasDims: number[], input: number[]) => run(hk.transform((v: Tensor) => Effect.flatMap(hk.Bias({ biasDims }), (bb) => bb(v))).init(0, jnp.ones(input))).bias!.b!.shape
    expect(shapeOf([], [1, 2, 3, 4])).toEqual([])
    expect(shapeOf([-1], [1, 2, 3, 4])).toEqual([4])
    expect(shapeOf([1], [1, 2, 3, 4])).toEqual([2, 1, 1])
    expect(thrown(() => shapeOf([0], [1, 2]))).toBeInstanceOf(ModuleConfigError)
    expect(thrown(() => run(hk.transform((v: Tensor) => Effect.flatMap(hk.Bias({ outputSize: [3] }), (bb) => bb(v))).init(0, jnp.ones([2, 4])))).message).toContain("Input shape must be [-1,3] not [2,4]")
  })
})
