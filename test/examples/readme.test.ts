/** The README's example compiles (including its compile-time claim) and gives the params it describes. */
import { describe, expect, it } from "vitest"
import { Effect } from "effect"
import { hk, jax, jnp, type Tensor } from "../../src/index.js"

describe("the README example", () => {
  it("creates mlp/~/linear_0 and mlp/~/linear_1; hk.evalShape creates nothing", () => {
    let seen: unknown = null
    const net = (x: Tensor) =>
      Effect.gen(function* () {
        const mlp = yield* hk.nets.MLP([300, 100])
        seen = yield* hk.evalShape(mlp, x)
        return yield* mlp(x)
      })
    const { init } = hk.transform(net)
    const params = Effect.runSync(init(jax.random.key(777), jnp.ones([100, 100])))
    expect(Object.keys(params).sort()).toEqual(["mlp/~/linear_0", "mlp/~/linear_1"])
    expect(params["mlp/~/linear_0"]!["w"]!.shape).toEqual([100, 300])
    expect(seen).toEqual({ shape: [100, 100], dtype: "float32" })
    const typeOnly = () => {
      // @ts-expect-error jax.vmap(net) does not compile: net needs hk.Params
      jax.vmap(net)
    }
    expect(typeof typeOnly).toBe("function")
  })
})
