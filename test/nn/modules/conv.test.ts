/**
 * hk.Conv2D against a float64 NHWC reference written from the definition (SAME padding with
 * JAX's split), and hk.maxPool / hk.avgPool against window loops (avg divides by real elements).
 */
import { describe, expect, it } from "vitest"
import { Effect } from "effect"
import { hk, jax, jnp, type Tensor } from "../../../src/index.js"
import { samePadding } from "../../../src/nn/modules/index.js"
import { randn, f64 } from "../../support/values.js"
import { assertAllclose } from "../../support/assertAllclose.js"
import { run } from "../../support/effects.js"


interface ConvCase {
  readonly x: ReadonlyArray<number> // N,H,W,C
  readonly out: number
  readonly k: readonly [number, number]
  readonly stride?: readonly [number, number]
  readonly rate?: readonly [number, number]
  readonly padding: "SAME" | "VALID" | ReadonlyArray<readonly [number, number]>
  readonly groups?: number
}

/** out[n,i,j,o] = b[o] + Σ x[n, i·s + a·r - lo, j·s + c·r - lo, g·cg + ci] · w[a, c, ci, o], zero outside. */
const convRef = (x: Float64Array, xs: ReadonlyArray<number>, w: Float64Array, b: Float64Array, c: ConvCase) => {
  const [N, H, W, C] = xs as [number, number, number, number]
  const [kh, kw] = c.k
  const [sh, sw] = c.stride ?? [1, 1]
  const [rh, rw] = c.rate ?? [1, 1]
  const G = c.groups ?? 1
  const cg = C / G
  const og = c.out / G
  const effH = (kh - 1) * rh + 1
  const effW = (kw - 1) * rw + 1
  let pads: ReadonlyArray<readonly [number, number]>
  if (c.padding === "VALID") pads = [[0, 0], [0, 0]]
  else if (c.padding === "SAME") {
    // from the definition: output ceil(n / s), total = (out - 1)·s + eff - n, smaller half first
    pads = [[H, effH, sh], [W, effW, sw]].map(([n, e, s]) => {
      const total = Math.max(0, (Math.ceil(n! / s!) - 1) * s! + e! - n!)
      return [Math.floor(total / 2), total - Math.floor(total / 2)] as const
    })
  } else pads = c.padding
  const OH = Math.floor((H + pads[0]![0] + pads[0]![1] - effH) / sh) + 1
  const OW = Math.floor((W + pads[1]![0] + pads[1]![1] - effW) / sw) + 1
  const out = new Float64Array(N * OH * OW * c.out)
  for (let n = 0; n < N; n++)
    for (let i = 0; i < OH; i++)
      for (let j = 0; j < OW; j++)
        for (let o = 0; o < c.out; o++) {
          const g = Math.floor(o / og)
          let s = b[o] ?? 0
          for (let a = 0; a < kh; a++)
            for (let q = 0; q < kw; q++) {
              const y = i * sh + a * rh - pads[0]![0]
              const z = j * sw + q * rw - pads[1]![0]
              if (y < 0 || y >= H || z < 0 || z >= W) continue
              for (let ci = 0; ci < cg; ci++) s += x[((n * H + y) * W + z) * C + g * cg + ci]! * w[((a * kw + q) * cg + ci) * c.out + o]!
            }
          out[((n * OH + i) * OW + j) * c.out + o] = s
        }
  return { shape: [N, OH, OW, c.out], data: out }
}

const CASES: Record<string, ConvCase> = {
  "3x3 SAME": { x: [2, 5, 5, 3], out: 4, k: [3, 3], padding: "SAME" },
  "4x4 SAME (odd total: lo < hi)": { x: [1, 5, 6, 2], out: 3, k: [4, 4], padding: "SAME" },
  "3x3 stride 2 SAME on even sizes": { x: [2, 6, 8, 2], out: 3, k: [3, 3], stride: [2, 2], padding: "SAME" },
  "2x3 VALID stride [1,2]": { x: [1, 6, 7, 3], out: 2, k: [2, 3], stride: [1, 2], padding: "VALID" },
  "3x3 rate 2 SAME (dilated)": { x: [1, 7, 7, 2], out: 2, k: [3, 3], rate: [2, 2], padding: "SAME" },
  "explicit [[1,0],[2,1]] padding": { x: [1, 4, 5, 2], out: 3, k: [2, 3], padding: [[1, 0], [2, 1]] },
  "grouped (featureGroupCount 2)": { x: [2, 4, 4, 4], out: 6, k: [3, 3], padding: "SAME", groups: 2 }
}

describe("hk.Conv2D equals a float64 reference convolution", () => {
  it.each(Object.entries(CASES))("%s", (_, c) => {
    const f = (x: Tensor) =>
      Effect.flatMap(hk.Conv2D(c.out, { kernelShape: c.k, stride: c.stride ?? 1, rate: c.rate ?? 1, padding: c.padding, featureGroupCount: c.groups ?? 1, bInit: hk.initializers.RandomNormal(1) }), (conv) => conv(x))
    const x = randn(3, c.x)
    const { init, apply } = hk.transform(f)
    const params = run(init(jax.random.key(1), x))
    const { w, b } = params.conv2_d!
    const out = run(apply(params, null, x))
    const expected = convRef(f64(x), c.x, f64(w!), f64(b!), c)
    expect(out.shape).toEqual(expected.shape)
    assertAllclose(f64(out), expected.data, { atol: 1e-5, rtol: 1e-5 })
  })

  it("an unbatched [H, W, C] input gives the batched result without the batch axis", () => {
    const f = (x: Tensor) => Effect.flatMap(hk.Conv2D(2, { kernelShape: 3 }), (conv) => conv(x))
    const x = randn(4, [1, 4, 4, 2])
    const t = hk.transform(f)
    const params = run(t.init(0, x))
    const batched = run(t.apply(params, null, x))
    const single = run(t.apply(params, null, jnp.reshape(x, [4, 4, 2])))
    expect(single.shape).toEqual([4, 4, 2])
    assertAllclose(f64(single), f64(batched), { atol: 1e-6 })
  })

  it("NCHW: b is [out, 1, 1] and the result is the NHWC one transposed", () => {
    const x = randn(5, [2, 5, 5, 3])
    const nhwc = hk.transform((v: Tensor) => Effect.flatMap(hk.Conv2D(4, { kernelShape: 3, bInit: hk.initializers.RandomNormal() }), (c) => c(v)))
    const nchw = hk.transform((v: Tensor) => Effect.flatMap(hk.Conv2D(4, { kernelShape: 3, dataFormat: "NCHW" }), (c) => c(v)))
    const p = run(nhwc.init(0, x))
    const xT = jnp.transpose(x, [0, 3, 1, 2])
    expect(run(nchw.init(0, xT)).conv2_d!.b!.shape).toEqual([4, 1, 1])
    const out = run(nchw.apply({ conv2_d: { w: p.conv2_d!.w!, b: jnp.reshape(p.conv2_d!.b!, [4, 1, 1]) } }, null, xT))
    assertAllclose(f64(out), f64(jnp.transpose(run(nhwc.apply(p, null, x)), [0, 3, 1, 2])), { atol: 1e-5 })
  })

  it("the default w init is Haiku's ConvND one: TruncatedNormal(1/sqrt(kh·kw·cin)), b zeros", () => {
    const f = (x: Tensor) => Effect.flatMap(hk.Conv2D(64, { kernelShape: 3 }), (c) => c(x))
    const p = run(hk.transform(f).init(jax.random.key(0), jnp.ones([1, 4, 4, 16])))
    const w = f64(p.conv2_d!.w!)
    const std = 1 / Math.sqrt(3 * 3 * 16)
    const sd = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length)
    // a normal truncated at ±2σ has standard deviation 0.8796σ
    expect(sd / std).toBeGreaterThan(0.84)
    expect(sd / std).toBeLessThan(0.92)
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(2 * std + 1e-6)
    expect(Array.from(f64(p.conv2_d!.b!))).toEqual(new Array(64).fill(0))
  })

  it("SAME padding is JAX's: out = ceil(n / s) and lo = floor(total / 2)", () => {
    expect(samePadding(5, 4, 1)).toEqual([1, 2])
    expect(samePadding(224, 7, 2)).toEqual([2, 3])
    expect(samePadding(112, 3, 2)).toEqual([0, 1])
    expect(samePadding(7, 3, 1, 2)).toEqual([2, 2])
    expect(samePadding(4, 1, 2)).toEqual([0, 0])
  })
})

/** Pool reference: each window over the real cells of x (SAME windows are clipped to the input). */
const poolRef = (x: Float64Array, shape: ReadonlyArray<number>, win: ReadonlyArray<number>, str: ReadonlyArray<number>, same: boolean, op: "max" | "avg") => {
  const pads = shape.map((n, d): [number, number] => (same ? samePadding(n, win[d]!, str[d]!) : [0, 0]))
  const outShape = shape.map((n, d) => Math.floor((n + pads[d]![0] + pads[d]![1] - win[d]!) / str[d]!) + 1)
  const total = outShape.reduce((a, b) => a * b, 1)
  const out = new Float64Array(total)
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1))
  for (let k = 0; k < total; k++) {
    const o = outShape.map((_, d) => Math.floor(k / outShape.slice(d + 1).reduce((a, b) => a * b, 1)) % outShape[d]!)
    const lo = o.map((v, d) => Math.max(0, v * str[d]! - pads[d]![0]))
    const hi = o.map((v, d) => Math.min(shape[d]!, v * str[d]! - pads[d]![0] + win[d]!))
    const vals: number[] = []
    const walk = (d: number, off: number): void => {
      if (d === shape.length) return void vals.push(x[off]!)
      for (let i = lo[d]!; i < hi[d]!; i++) walk(d + 1, off + i * strides[d]!)
    }
    walk(0, 0)
    out[k] = op === "max" ? Math.max(...vals) : vals.reduce((a, b) => a + b, 0) / vals.length
  }
  return { shape: outShape, data: out }
}

describe("hk.maxPool / hk.avgPool equal window loops", () => {
  const x = randn(9, [2, 5, 6, 3])
  const cases = [
    { name: "3x3/2 SAME (ResNet's stem)", win: [1, 3, 3, 1], str: [1, 2, 2, 1], padding: "SAME" as const },
    { name: "2x2/2 VALID", win: [1, 2, 2, 1], str: [1, 2, 2, 1], padding: "VALID" as const },
    { name: "3x3/1 SAME", win: [1, 3, 3, 1], str: [1, 1, 1, 1], padding: "SAME" as const }
  ]
  it.each(cases)("$name", ({ win, str, padding }) => {
    for (const op of ["max", "avg"] as const) {
      const pool = op === "max" ? hk.maxPool : hk.avgPool
      const out = pool(x, { windowShape: win, strides: str, padding })
      const expected = poolRef(f64(x), x.shape, win, str, padding === "SAME", op)
      expect(out.shape).toEqual(expected.shape)
      assertAllclose(f64(out), expected.data, { atol: 1e-6, rtol: 1e-6 })
    }
  })

  it("a number window/stride applies to every axis but the batch and channel axes (Haiku's _infer_shape)", () => {
    const a = hk.avgPool(x, { windowShape: 2, strides: 2, padding: "VALID" })
    const b = hk.avgPool(x, { windowShape: [1, 2, 2, 1], strides: [1, 2, 2, 1], padding: "VALID" })
    expect(a.shape).toEqual([2, 2, 3, 3])
    assertAllclose(f64(a), f64(b))
    // a shorter shape is padded with leading 1s (batch axes)
    expect(hk.maxPool(x, { windowShape: [2, 2, 1], strides: [2, 2, 1], padding: "VALID" }).shape).toEqual([2, 2, 3, 3])
  })

  it("invalid padding is a ModuleConfigError", () => {
    expect(() => hk.maxPool(x, { windowShape: 2, strides: 2, padding: "FULL" as "SAME" })).toThrow(/Invalid padding 'FULL'/)
  })
})
