/**
 * The N-D convolutions against float64 references: `ConvND`/`Conv1D`/`Conv3D` and the depthwise
 * convolutions against `convRef` (StableHLO's gather definition), the transposed convolutions
 * against a scatter written from their definition (each input element adds `x · w` to the
 * outputs its window covers), with JAX's output sizes; pooling modules equal the functions.
 */
import { describe, expect, it } from "vitest"
import { Effect } from "effect"
import { hk, jax, jnp, ModuleConfigError, ShapeError, type Tensor } from "../../../src/index.js"
import { randn, f64 } from "../../support/values.js"
import { assertAllclose } from "../../support/assertAllclose.js"
import { run, thrown } from "../../support/effects.js"
import { convRef, ref, type ConvP } from "../../support/reference.js"

const spec = (n: number) => [0, n + 1, ...Array.from({ length: n }, (_, i) => i + 1)]
const sameTotal = (size: number, k: number, s: number) => Math.max(0, (Math.ceil(size / s) - 1) * s + k - size)

describe("ConvND, Conv1D, Conv3D equal conv_general_dilated's definition in float64", () => {
  it.each([
    { n: 1, x: [2, 7, 3], out: 4, k: [3], stride: [2] },
    { n: 1, x: [1, 6, 2], out: 2, k: [4], stride: [1] },
    { n: 3, x: [1, 4, 3, 5, 2], out: 3, k: [2, 3, 2], stride: [1, 2, 1] }
  ])("rank $n, input $x, kernel $k, stride $stride (SAME)", ({ n, x: xs, out, k, stride }) => {
    const make = n === 1 ? hk.Conv1D : n === 3 ? hk.Conv3D : (o: number, opts: hk.ConvOptions) => hk.ConvND(n, o, opts)
    const f = (x: Tensor) => Effect.flatMap(make(out, { kernelShape: k, stride, bInit: hk.initializers.RandomNormal(1) }), (c) => c(x))
    const x = randn(n, xs)
    const t = hk.transform(f)
    const params = run(t.init(jax.random.key(2), x))
    const bundle = Object.values(params)[0]!
    const y = run(t.apply(params, null, x))
    const pads = k.map((kk, i) => {
      const total = sameTotal(xs[i + 1]!, kk, stride[i]!)
      return [Math.floor(total / 2), total - Math.floor(total / 2)] as const
    })
    const p: ConvP = {
      windowStrides: stride,
      padding: pads,
      lhsDilation: k.map(() => 1),
      rhsDilation: k.map(() => 1),
      featureGroupCount: 1,
      batchGroupCount: 1,
      dimensionNumbers: { lhs: spec(n), rhs: [n + 1, n, ...k.map((_, i) => i)], out: spec(n) }
    }
    const expected = convRef(ref({ shape: x.shape, data: f64(x) }), ref({ shape: bundle.w!.shape, data: f64(bundle.w!) }), p).out
    const b = f64(bundle.b!)
    const withBias = expected.data.map((v, i) => v + b[i % out]!)
    expect(y.shape).toEqual(expected.shape)
    assertAllclose(f64(y), withBias, { atol: 1e-5, rtol: 1e-5 })
  })

  it("mask multiplies the kernel (a causal 1-D convolution ignores the future)", () => {
    const mask = jnp.reshape(jnp.array([1, 1, 0]), [3, 1, 1])
    const f = (x: Tensor) => Effect.flatMap(hk.Conv1D(1, { kernelShape: 3, mask, withBias: false }), (c) => c(x))
    const t = hk.transform(f)
    const x = randn(1, [1, 6, 1])
    const params = run(t.init(0, x))
    const y1 = f64(run(t.apply(params, null, x)))
    const xs = f64(x)
    xs[5] = 100
    const y2 = f64(run(t.apply(params, null, jnp.array(Float32Array.from(xs), { shape: [1, 6, 1] }))))
    // output i sees inputs i-1 and i (SAME pads 1 each side); changing input 5 changes only output 5
    expect(Array.from(y1.slice(0, 5))).toEqual(Array.from(y2.slice(0, 5)))
    expect(y1[5]).not.toBe(y2[5])
  })

  it("bad options and inputs are typed errors naming the fix", () => {
    const call = (make: Effect.Effect<(x: Tensor) => Effect.Effect<Tensor, never, any>, never, any>, x: Tensor) => () => run(hk.transform((v: Tensor) => Effect.flatMap(make, (c) => c(v)) as Effect.Effect<Tensor, never, hk.Params | hk.Rng | hk.Naming>).init(0, x))
    expect(thrown(call(hk.ConvND(0, 3, { kernelShape: 3 }), jnp.ones([1, 2, 2])))).toBeInstanceOf(ModuleConfigError)
    expect(thrown(call(hk.Conv1D(3, { kernelShape: [3, 3] }), jnp.ones([1, 2, 2]))).message).toContain("kernelShape must be a positive integer or 1 positive integers")
    const e = thrown(call(hk.Conv3D(3, { kernelShape: 3 }), jnp.ones([2, 2, 2])))
    expect(e).toBeInstanceOf(ShapeError)
    expect(e.message).toContain("[N, D, H, W, C]")
    expect(thrown(call(hk.Conv1D(3, { kernelShape: 3, mask: jnp.ones([2, 2, 3]) }), jnp.ones([1, 4, 2]))).message).toContain("Mask needs to have the same shape as weights")
  })
})

/** out[o] += x[i]·w[k] for o = i·s − k + lo (the transposed convolution as a scatter), 1 spatial dim, NWC, w [K, O, I]. */
const transposeRef1d = (x: Float64Array, [N, W, C]: [number, number, number], w: Float64Array, K: number, O: number, s: number, [lo, hi]: readonly [number, number]) => {
  const outW = (W - 1) * s + 1 + lo + hi - K + 1
  const out = new Float64Array(N * outW * O)
  for (let n = 0; n < N; n++)
    for (let i = 0; i < W; i++)
      for (let k = 0; k < K; k++) {
        const o = lo + i * s - k
        if (o < 0 || o >= outW) continue
        for (let co = 0; co < O; co++) for (let ci = 0; ci < C; ci++) out[(n * outW + o) * O + co]! += x[(n * W + i) * C + ci]! * w[(k * O + co) * C + ci]!
      }
  return { shape: [N, outW, O], data: out }
}

describe("transposed convolutions", () => {
  it.each([
    { W: 5, K: 3, s: 2, padding: "SAME" as const, outW: 10 },
    { W: 5, K: 3, s: 2, padding: "VALID" as const, outW: 11 },
    { W: 4, K: 4, s: 2, padding: "SAME" as const, outW: 8 },
    { W: 3, K: 2, s: 3, padding: "VALID" as const, outW: 9 },
    { W: 6, K: 3, s: 1, padding: "SAME" as const, outW: 6 }
  ])("Conv1DTranspose width $W, kernel $K, stride $s, $padding: output $outW wide (JAX's sizes), values equal the scatter", ({ W, K, s, padding, outW }) => {
    const f = (x: Tensor) => Effect.flatMap(hk.Conv1DTranspose(3, { kernelShape: K, stride: s, padding, withBias: false }), (c) => c(x))
    const x = randn(7, [2, W, 2])
    const t = hk.transform(f)
    const params = run(t.init(jax.random.key(3), x))
    const w = params.conv1_d_transpose!.w!
    expect(w.shape).toEqual([K, 3, 2])
    const y = run(t.apply(params, null, x))
    expect(y.shape).toEqual([2, outW, 3])
    // JAX's padding of the dilated input
    const padLen = padding === "SAME" ? K + s - 2 : K + s - 2 + Math.max(K - s, 0)
    const lo = padding === "SAME" ? (s > K - 1 ? K - 1 : Math.ceil(padLen / 2)) : K - 1
    const expected = transposeRef1d(f64(x), [2, W, 2], f64(w), K, 3, s, [lo, padLen - lo])
    expect(expected.shape).toEqual([2, outW, 3])
    assertAllclose(f64(y), expected.data, { atol: 1e-5, rtol: 1e-5 })
  })

  it("outputShape picks the padding that gives that size; an impossible one is a ShapeError with the expected input", () => {
    const make = (outputShape: number) => (x: Tensor) => Effect.flatMap(hk.Conv2DTranspose(2, { kernelShape: 3, stride: 2, outputShape }), (c) => c(x))
    const x = randn(1, [1, 4, 4, 3])
    for (const size of [7, 8]) {
      const t = hk.transform(make(size))
      expect(run(t.apply(run(t.init(0, x)), null, x)).shape).toEqual([1, size, size, 2])
    }
    const e = thrown(() => run(hk.transform(make(12)).init(0, x)))
    expect(e).toBeInstanceOf(ShapeError)
    expect(e.message).toContain("expected input size with the current set of input parameters is 6")
  })

  it("Conv2DTranspose equals the 1-D scatter on a [N, 1, W, C] image with a [1, K] kernel", () => {
    const f = (x: Tensor) => Effect.flatMap(hk.Conv2DTranspose(2, { kernelShape: [1, 3], stride: [1, 2], withBias: false }), (c) => c(x))
    const x = randn(9, [2, 1, 4, 3])
    const t = hk.transform(f)
    const params = run(t.init(jax.random.key(4), x))
    const w = params.conv2_d_transpose!.w!
    const y = run(t.apply(params, null, x))
    // kernel 3, stride 2, SAME: JAX pads the dilated input by [ceil(3 / 2), 1] = [2, 1]
    const expected = transposeRef1d(f64(x), [2, 4, 3], f64(w), 3, 2, 2, [2, 1])
    expect(y.shape).toEqual([2, 1, 8, 2])
    assertAllclose(f64(y), expected.data, { atol: 1e-5 })
  })
})

describe("depthwise convolutions", () => {
  it("DepthwiseConv2D(multiplier 2) equals a grouped convolution with one group per channel", () => {
    const f = (x: Tensor) => Effect.flatMap(hk.DepthwiseConv2D(2, { kernelShape: 3, withBias: false }), (c) => c(x))
    const x = randn(11, [2, 5, 4, 3])
    const t = hk.transform(f)
    const params = run(t.init(jax.random.key(5), x))
    const w = params.depthwise_conv2_d!.w!
    expect(w.shape).toEqual([3, 3, 1, 6])
    const y = run(t.apply(params, null, x))
    const p: ConvP = {
      windowStrides: [1, 1],
      padding: [[1, 1], [1, 1]],
      lhsDilation: [1, 1],
      rhsDilation: [1, 1],
      featureGroupCount: 3,
      batchGroupCount: 1,
      dimensionNumbers: { lhs: [0, 3, 1, 2], rhs: [3, 2, 0, 1], out: [0, 3, 1, 2] }
    }
    const expected = convRef(ref({ shape: x.shape, data: f64(x) }), ref({ shape: w.shape, data: f64(w) }), p).out
    expect(y.shape).toEqual([2, 5, 4, 6])
    assertAllclose(f64(y), expected.data, { atol: 1e-5, rtol: 1e-5 })
  })

  it("DepthwiseConv1D needs a batch axis: an unbatched input is a ShapeError saying so", () => {
    const e = thrown(() => run(hk.transform((x: Tensor) => Effect.flatMap(hk.DepthwiseConv1D(1, { kernelShape: 3 }), (c) => c(x))).init(0, jnp.ones([4, 2]))))
    expect(e).toBeInstanceOf(ShapeError)
    expect(e.message).toContain("need a batch axis")
  })
})

describe("pooling modules", () => {
  it("MaxPool / AvgPool modules equal hk.maxPool / hk.avgPool and have no parameters", () => {
    const x = randn(13, [2, 5, 5, 3])
    const opts = { windowShape: [1, 3, 3, 1], strides: [1, 2, 2, 1], padding: "SAME" as const }
    const f = (v: Tensor) => Effect.flatMap(Effect.zip(hk.MaxPool(opts), hk.AvgPool(opts)), ([mp, ap]) => Effect.zip(mp(v), ap(v)))
    const t = hk.transform(f)
    expect(run(t.init(0, x))).toEqual({})
    const [m, a] = run(t.apply({}, null, x))
    assertAllclose(f64(m), f64(hk.maxPool(x, opts)), { atol: 0 })
    assertAllclose(f64(a), f64(hk.avgPool(x, opts)), { atol: 0 })
    expect(thrown(() => run(hk.transform((v: Tensor) => Effect.flatMap(hk.MaxPool({ ...opts, padding: "FULL" as "SAME" }), (p) => p(v))).init(0, x)))).toBeInstanceOf(ModuleConfigError)
  })
})
