/** hk.vmap over the stock modules equals looping the module over the batch (params shared). */
import { describe, expect, it } from "vitest"
import { Effect } from "effect"
import { hk, jax, jnp, type Tensor } from "../../../src/index.js"
import { randn } from "../../support/values.js"
import { run, close } from "../../support/effects.js"

describe("hk.vmap over modules", () => {
  it("hk.vmap(conv) over a batch of images equals applying conv to each image", () => {
    const xs = randn(1, [3, 2, 6, 6, 2]) // 3 mapped groups of NHWC batches
    const f = (x: Tensor) =>
      Effect.gen(function* () {
        const conv = yield* hk.Conv2D(4, { kernelShape: 3, stride: 2 })
        const mapped = yield* hk.vmap(conv, { splitRng: false })(x)
        const looped = yield* Effect.forEach([0, 1, 2], (i) => conv(jnp.slice(x, i)))
        return [mapped, jnp.stack(looped)] as const
      })
    const t = hk.transform(f)
    const params = run(t.init(jax.random.key(0), xs))
    expect(Object.keys(params)).toEqual(["conv2_d"])
    const [mapped, looped] = run(t.apply(params, null, xs))
    expect(mapped.shape).toEqual([3, 2, 3, 3, 4])
    close(mapped, looped, 1e-5)
  })

  it("hk.vmap(mlp) with params created inside the mapped function shares them across the batch", () => {
    const xs = randn(2, [5, 7])
    const f = (x: Tensor) => Effect.flatMap(hk.nets.MLP([6, 3]), (mlp) => hk.vmap(mlp, { splitRng: false })(x))
    const t = hk.transform(f)
    const params = run(t.init(jax.random.key(1), xs))
    expect(params["mlp/~/linear_0"]!["w"]!.shape).toEqual([7, 6])
    const out = run(t.apply(params, null, xs))
    const direct = run(hk.transform((x: Tensor) => Effect.flatMap(hk.nets.MLP([6, 3]), (mlp) => mlp(x))).apply(params, null, xs))
    close(out, direct, 1e-5)
  })
})
