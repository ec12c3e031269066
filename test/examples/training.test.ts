import { describe, expect, it } from "vitest"
import { Effect } from "effect"
import { data, hk, jax, jnp, optax, type Tensor } from "../../src/node.js"

describe("training", () => {
  it("a short training run (200 steps) lowers the loss on MNIST", async () => {
    const { train } = await Effect.runPromise(data.loadMnist({ seed: 3 }))
    const net = hk.withoutApplyRng(hk.transform((x: Tensor) => Effect.flatMap(hk.nets.MLP([64, 10]), (mlp) => mlp(x))))
    const loss = (p: hk.ParamTree, x: Tensor, y: Tensor) =>
      Effect.map(net.apply(p, x), (logits) => jnp.negative(jnp.mean(jnp.sum(jnp.multiply(jax.nn.logSoftmax(logits), jax.nn.oneHot(y, 10)), { axis: -1 }))))
    const opt = optax.adam(1e-3)
    let params = Effect.runSync(net.init(jax.random.key(0), jnp.zeros([1, 784])))
    let state = opt.init(params)
    const step = jax.jit(jax.valueAndGrad(loss))
    const losses: number[] = []
    let epoch = 0
    while (losses.length < 200) {
      for (const b of data.batches(train, 32, { seed: epoch++ })) {
        const [l, g] = Effect.runSync(step(params, b.images, b.labels))
        const [u, s] = opt.update(g, state, params)
        params = optax.applyUpdates(params, u)
        state = s
        losses.push(l.item())
        if (losses.length === 200) break
      }
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
    expect(mean(losses.slice(0, 20))).toBeGreaterThan(1.8)
    expect(mean(losses.slice(-20))).toBeLessThan(0.7)
  }, 120_000)
})

describe("determinism", () => {
  it("training is deterministic for a fixed seed: two runs give bit-identical params", async () => {
    const { train } = await Effect.runPromise(data.loadMnist({ seed: 5 }))
    const net = hk.withoutApplyRng(hk.transform((x: Tensor) => Effect.flatMap(hk.nets.MLP([32, 10]), (mlp) => mlp(x))))
    const loss = (p: hk.ParamTree, x: Tensor, y: Tensor) =>
      Effect.map(net.apply(p, x), (logits) => jnp.negative(jnp.mean(jnp.sum(jnp.multiply(jax.nn.logSoftmax(logits), jax.nn.oneHot(y, 10)), { axis: -1 }))))
    const runOnce = () => {
      const opt = optax.adam(1e-3)
      let params = Effect.runSync(net.init(jax.random.key(7), jnp.zeros([1, 784])))
      let state = opt.init(params)
      const step = jax.jit(jax.valueAndGrad(loss))
      let k = 0
      for (const b of data.batches(train, 64, { seed: 11 })) {
        const [, g] = Effect.runSync(step(params, b.images, b.labels))
        const [u, s] = opt.update(g, state, params)
        params = optax.applyUpdates(params, u)
        state = s
        if (++k === 20) break
      }
      return Object.entries(params).flatMap(([m, b]) => Object.entries(b).map(([n, v]) => [`${m}/${n}`, Array.from(v.toTypedArray() as Float32Array)]))
    }
    expect(runOnce()).toEqual(runOnce())
  }, 120_000)
})
