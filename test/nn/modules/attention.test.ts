/**
 * hk.Embed and hk.MultiHeadAttention against float64 references written from their definitions,
 * plus their bad-input errors.
 */
import { describe, expect, it } from "vitest"
import { Effect } from "effect"
import { hk, jax, jnp, DTypeError, ModuleConfigError, ShapeError, type Tensor } from "../../../src/index.js"
import { randn, f64 } from "../../support/values.js"
import { assertAllclose } from "../../support/assertAllclose.js"
import { run, thrown } from "../../support/effects.js"

const ids = (xs: number[], shape?: number[]) => jnp.array(Int32Array.from(xs), { shape: shape ?? [xs.length] })

describe("hk.Embed", () => {
  const net = (style?: hk.EmbedLookupStyle) => (x: Tensor) => Effect.flatMap(hk.Embed({ vocabSize: 6, embedDim: 4 }), (e) => e(x, style === undefined ? {} : { lookupStyle: style }))

  it("looks rows up (ids [2, 3] → [2, 3, 4]); ONE_HOT gives the same values; attend is x @ tableᵀ", () => {
    const x = ids([0, 5, 2, 2, 1, 3], [2, 3])
    const t = hk.transform(net())
    const params = run(t.init(jax.random.key(0), x))
    const table = f64(params.embed!.embeddings!)
    const y = run(t.apply(params, null, x))
    expect(y.shape).toEqual([2, 3, 4])
    const expected = [0, 5, 2, 2, 1, 3].flatMap((i) => Array.from(table.slice(i * 4, i * 4 + 4)))
    assertAllclose(f64(y), expected, { atol: 0 })
    assertAllclose(f64(run(hk.transform(net("ONE_HOT")).apply(params, null, x))), expected, { atol: 1e-6 })
    const q = randn(1, [3, 4])
    const att = run(hk.transform((v: Tensor) => Effect.flatMap(hk.Embed({ vocabSize: 6, embedDim: 4 }), (e) => e.attend(v))).apply(params, null, q))
    const qs = f64(q)
    const ref = Array.from({ length: 18 }, (_, k) => {
      const [r, c] = [Math.floor(k / 6), k % 6]
      let s = 0
      for (let d = 0; d < 4; d++) s += qs[r * 4 + d]! * table[c * 4 + d]!
      return s
    })
    expect(att.shape).toEqual([3, 6])
    assertAllclose(f64(att), ref, { atol: 1e-5 })
  })

  it("an embeddingMatrix is the initial table; inconsistent sizes, float ids and bad styles are typed errors", () => {
    const m = randn(2, [5, 3])
    const t = hk.transform((x: Tensor) => Effect.flatMap(hk.Embed({ embeddingMatrix: m }), (e) => e(x)))
    assertAllclose(f64(run(t.init(null, ids([1]))).embed!.embeddings!), f64(m), { atol: 0 })
    const init = (o: hk.EmbedOptions, x: Tensor) => () => run(hk.transform((v: Tensor) => Effect.flatMap(hk.Embed(o), (e) => e(v))).init(0, x))
    expect(thrown(init({ embeddingMatrix: m, vocabSize: 4 }, ids([1]))).message).toContain("`vocabSize` of 4 was not consistent with its shape [5,3]")
    expect(thrown(init({ vocabSize: 4 }, ids([1])))).toBeInstanceOf(ModuleConfigError)
    const e = thrown(init({ vocabSize: 4, embedDim: 2 }, jnp.ones([2])))
    expect(e).toBeInstanceOf(DTypeError)
    expect(e.message).toContain('jnp.astype(ids, "int32")')
    expect(thrown(init({ vocabSize: 4, embedDim: 2, lookupStyle: "GATHER" as hk.EmbedLookupStyle }, ids([1]))).message).toContain('use "ARRAY_INDEX" or "ONE_HOT"')
  })
})

/** Float64 multi-head attention from the definition: per head softmax(q kᵀ / √K) v, concatenated, projected. */
const mhaRef = (p: Record<string, Record<string, Tensor>>, x: Float64Array, [B, T, D]: [number, number, number], H: number, K: number, mask?: (b: number, t: number, s: number) => boolean) => {
  const lin = (name: string, inp: Float64Array, rows: number, din: number) => {
    const w = f64(p[`multi_head_attention/${name}`]!.w!)
    const b = f64(p[`multi_head_attention/${name}`]!.b!)
    const dout = b.length
    const out = new Float64Array(rows * dout)
    for (let r = 0; r < rows; r++) for (let o = 0; o < dout; o++) {
      let s = b[o]!
      for (let i = 0; i < din; i++) s += inp[r * din + i]! * w[i * dout + o]!
      out[r * dout + o] = s
    }
    return out
  }
  const q = lin("query", x, B * T, D)
  const k = lin("key", x, B * T, D)
  const v = lin("value", x, B * T, D)
  const attn = new Float64Array(B * T * H * K)
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let t = 0; t < T; t++) {
        const logits = Array.from({ length: T }, (_, s) => {
          let dot = 0
          for (let d = 0; d < K; d++) dot += q[((b * T + t) * H + h) * K + d]! * k[((b * T + s) * H + h) * K + d]!
          return mask && !mask(b, t, s) ? -1e30 : dot / Math.sqrt(K)
        })
        const m = Math.max(...logits)
        const e = logits.map((l) => Math.exp(l - m))
        const z = e.reduce((a, c) => a + c, 0)
        for (let d = 0; d < K; d++) {
          let s = 0
          for (let u = 0; u < T; u++) s += (e[u]! / z) * v[((b * T + u) * H + h) * K + d]!
          attn[((b * T + t) * H + h) * K + d] = s
        }
      }
  return lin("linear", attn, B * T, H * K)
}

describe("hk.MultiHeadAttention", () => {
  const B = 2
  const T = 5
  const D = 3
  const H = 2
  const K = 4
  const net = (withMask: boolean) => (x: Tensor) =>
    Effect.flatMap(hk.MultiHeadAttention({ numHeads: H, keySize: K, wInit: hk.initializers.VarianceScaling(1), bInit: hk.initializers.RandomNormal(0.1) }), (mha) => {
      const causal = jnp.reshape(jnp.greaterEqual(jnp.reshape(jnp.arange(T), [T, 1]), jnp.reshape(jnp.arange(T), [1, T])), [1, 1, T, T])
      return mha(x, x, x, withMask ? causal : null)
    })

  it.each([false, true])("self-attention (causal mask: %s) equals the float64 definition; params query/key/value/linear", (withMask) => {
    const x = randn(5, [B, T, D])
    const t = hk.transform(net(withMask))
    const params = run(t.init(jax.random.key(1), x))
    expect(Object.keys(params)).toEqual(["multi_head_attention/key", "multi_head_attention/linear", "multi_head_attention/query", "multi_head_attention/value"])
    expect(params["multi_head_attention/linear"]!.w!.shape).toEqual([H * K, H * K])
    const y = run(t.apply(params, null, x))
    expect(y.shape).toEqual([B, T, H * K])
    assertAllclose(f64(y), mhaRef(params, f64(x), [B, T, D], H, K, withMask ? (_b, t2, s) => s <= t2 : undefined), { atol: 2e-5, rtol: 1e-4 })
  })

  it("with a causal mask, output t does not depend on inputs after t", () => {
    const x = randn(6, [1, T, D])
    const t = hk.transform(net(true))
    const params = run(t.init(jax.random.key(2), x))
    const y1 = f64(run(t.apply(params, null, x)))
    const later = f64(x)
    for (let i = 3 * D; i < T * D; i++) later[i] = 7
    const y2 = f64(run(t.apply(params, null, jnp.array(Float32Array.from(later), { shape: [1, T, D] }))))
    assertAllclose(y2.slice(0, 3 * H * K), y1.slice(0, 3 * H * K), { atol: 1e-6 })
  })

  it("bad options and inputs: no initializer, a mask of the wrong rank, mismatched keys and values", () => {
    const init = (o: hk.MultiHeadAttentionOptions, q: Tensor, kv: Tensor, mask: Tensor | null = null) => () =>
      run(hk.transform((v: Tensor) => Effect.flatMap(hk.MultiHeadAttention(o), (m) => m(v, kv, kv, mask))).init(0, q))
    expect(thrown(init({ numHeads: 2, keySize: 4 }, jnp.ones([1, 3, 2]), jnp.ones([1, 3, 2]))).message).toContain("Please provide a weight initializer")
    const e = thrown(init({ numHeads: 2, keySize: 4, wInitScale: 1 }, jnp.ones([1, 3, 2]), jnp.ones([1, 3, 2]), jnp.ones([3, 3], "bool")))
    expect(e).toBeInstanceOf(ShapeError)
    expect(e.message).toContain("Mask dimensionality 2 must match logits dimensionality 4")
    expect(thrown(init({ numHeads: 2, keySize: 4, wInitScale: 1 }, jnp.ones([2, 3, 2]), jnp.ones([3, 3, 2]))).message).toContain("must share their batch axes")
    expect(thrown(init({ numHeads: 0, keySize: 4, wInitScale: 1 }, jnp.ones([1, 3, 2]), jnp.ones([1, 3, 2])))).toBeInstanceOf(ModuleConfigError)
  })
})
