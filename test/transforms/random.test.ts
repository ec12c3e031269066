import { describe, expect, it } from "vitest"
import { jax, jnp, type Tensor } from "../../src/index.js"
import { f64 } from "../support/values.js"

const u32 = (...xs: number[]) => jnp.array(new Uint32Array(xs), { shape: [xs.length] })
const words = (t: Tensor) => Array.from(t.toTypedArray() as Uint32Array)

describe("jax.random", () => {
  it("threefry2x32 reproduces the Random123 known-answer vectors", () => {
    expect(words(jax.random.threefry2x32([0, 0], u32(0, 0)))).toEqual([0x6b200159, 0x99ba4efe])
    expect(words(jax.random.threefry2x32([0xffffffff, 0xffffffff], u32(0xffffffff, 0xffffffff)))).toEqual([0x1cb996fc, 0xbb002be7])
    expect(words(jax.random.threefry2x32([0x13198a2e, 0x03707344], u32(0x243f6a88, 0x85a308d3)))).toEqual([0xc4923a9c, 0x483df7a0])
  })

  it("key(seed) is [0, seed] as in JAX", () => {
    expect(words(jax.random.keyData(jax.random.key(42)))).toEqual([0, 42])
    expect(words(jax.random.keyData(jax.random.key(-1)))).toEqual([0, 0xffffffff])
  })

  it("split(key, n)[i] = foldIn(key, i) = threefry(key, [0, i]) (partitionable threefry)", () => {
    const k = jax.random.key(7)
    const keys = jax.random.split(k, 3)
    expect(keys.shape).toEqual([3, 2])
    for (let i = 0; i < 3; i++) {
      expect(words(jnp.slice(keys, i))).toEqual(words(jax.random.foldIn(k, i)))
      expect(words(jnp.slice(keys, i))).toEqual(words(jax.random.threefry2x32(k, u32(0, i))))
    }
  })

  it("the same key gives the same numbers; split keys differ", () => {
    const k = jax.random.key(0)
    expect(f64(jax.random.normal(k, [10]))).toEqual(f64(jax.random.normal(k, [10])))
    const [a, b] = [0, 1].map((i) => jnp.slice(jax.random.split(k), i)) as [Tensor, Tensor]
    expect(words(a)).not.toEqual(words(b))
    expect(f64(jax.random.uniform(a as never, [5]))).not.toEqual(f64(jax.random.uniform(b as never, [5])))
  })

  it("uniform and normal moments are within statistical bounds (n = 20000)", () => {
    const n = 20000
    const u = f64(jax.random.uniform(jax.random.key(1), [n]))
    const mu = u.reduce((s, v) => s + v, 0) / n
    const vu = u.reduce((s, v) => s + (v - mu) ** 2, 0) / n
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...u)).toBeLessThan(1)
    expect(Math.abs(mu - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n))
    expect(Math.abs(vu - 1 / 12)).toBeLessThan(0.003)
    const z = f64(jax.random.normal(jax.random.key(2), [n]))
    const mz = z.reduce((s, v) => s + v, 0) / n
    const vz = z.reduce((s, v) => s + (v - mz) ** 2, 0) / n
    expect(Math.abs(mz)).toBeLessThan(5 / Math.sqrt(n))
    expect(Math.abs(vz - 1)).toBeLessThan(0.05)
  })

  it("truncatedNormal stays in its bounds; bernoulli has mean p; categorical follows the logits", () => {
    const t = f64(jax.random.truncatedNormal(jax.random.key(3), -2, 2, [5000]))
    expect(Math.min(...t)).toBeGreaterThanOrEqual(-2)
    expect(Math.max(...t)).toBeLessThanOrEqual(2)
    const b = f64(jnp.astype(jax.random.bernoulli(jax.random.key(4), 0.3, [20000]), "float32"))
    expect(Math.abs(b.reduce((s, v) => s + v, 0) / 20000 - 0.3)).toBeLessThan(0.02)
    const logits = jnp.log(jnp.array([0.1, 0.6, 0.3]))
    const keys = jax.random.split(jax.random.key(5), 3000)
    const draws = f64(jnp.astype(jax.vmap((k: Tensor) => jax.random.categorical(k as never, logits))(keys), "float32"))
    const freq = [0, 1, 2].map((c) => draws.filter((d) => d === c).length / draws.length)
    expect(Math.abs(freq[1]! - 0.6)).toBeLessThan(0.04)
    expect(Math.abs(freq[0]! - 0.1)).toBeLessThan(0.03)
  })

  it("vmap over split keys equals drawing with each key", () => {
    const keys = jax.random.split(jax.random.key(9), 4)
    const batched = jax.vmap((k: Tensor) => jax.random.normal(k as never, [3]))(keys)
    const loop = jnp.stack([0, 1, 2, 3].map((i) => jax.random.normal(jnp.slice(keys, i) as never, [3])))
    expect(f64(batched)).toEqual(f64(loop))
  })
})
