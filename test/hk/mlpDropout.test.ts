import { describe, expect, it } from "vitest"
import { Effect } from "effect"
import { hk, jax, jnp, type Tensor } from "../../src/index.js"

const net = (rate: number | undefined, seed: number) =>
  hk.transform((x: Tensor) =>
    Effect.flatMap(hk.nets.MLP([4000], { activation: (t) => t, activateFinal: true, withBias: false, wInit: jnp.ones }), (mlp) =>
      mlp(x, rate === undefined ? {} : { dropoutRate: rate, rng: jax.random.key(seed) })
    )
  )

describe("hk.nets.MLP dropout (dropoutRate with an explicit rng, as Haiku)", () => {
  const x = jnp.ones([1, 1])
  const run = (rate: number | undefined, seed = 0) => {
    const t = net(rate, seed)
    const params = Effect.runSync(t.init(null, x))
    return Array.from(Effect.runSync(t.apply(params, null, x)).toTypedArray() as Float32Array)
  }
  it("drops about `rate` of the activations and rescales the rest by 1/(1-rate)", () => {
    const out = run(0.3)
    const zeros = out.filter((v) => v === 0).length / out.length
    expect(Math.abs(zeros - 0.3)).toBeLessThan(0.03)
    for (const v of out) if (v !== 0) expect(v).toBeCloseTo(1 / 0.7, 5)
  })
  it("the same key gives the same mask; another key another", () => {
    expect(run(0.3, 1)).toEqual(run(0.3, 1))
    expect(run(0.3, 1)).not.toEqual(run(0.3, 2))
  })
  it("no dropoutRate is the identity", () => {
    expect(run(undefined).every((v) => v === 1)).toBe(true)
  })
})
