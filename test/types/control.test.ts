/**
 * Compile-time laws for raw control flow: jax.lax.scan / cond / switch and jax.checkpoint reject
 * a function whose Effect needs a Haiku service; pure Effect bodies are accepted and give Effects.
 */
import { describe, expect, expectTypeOf, it } from "vitest"
import { Effect } from "effect"
import { hk, jax, jnp, type Tensor } from "../../src/index.js"

const paramBody = (c: Tensor, x: Tensor) => Effect.map(hk.getParameter("w", [2], jnp.ones), (w) => [jnp.add(c, jnp.multiply(w, x)), c] as [Tensor, Tensor])
const pureBody = (c: Tensor, x: Tensor) => Effect.succeed([jnp.add(c, x), c] as [Tensor, Tensor])
const usesParams = (x: Tensor) => Effect.map(hk.getParameter("w", [2], jnp.ones), (w) => jnp.multiply(w, x))

describe("raw control flow is typed like the other raw transforms", () => {
  it("Haiku-effectful bodies do not type-check", () => {
    const typeOnly = () => {
      // @ts-expect-error jax.lax.scan of a Params-using body: use hk.scan
      jax.lax.scan(paramBody, jnp.ones([2]), jnp.ones([3, 2]))
      // @ts-expect-error jax.lax.cond with Params-using branches: use hk.cond
      jax.lax.cond(true, usesParams, usesParams, jnp.ones([2]))
      // @ts-expect-error jax.lax.switch with Params-using branches: use hk.switch
      jax.lax.switch(0, [usesParams], jnp.ones([2]))
      // @ts-expect-error jax.checkpoint of a Params-using function: use hk.remat
      jax.checkpoint(usesParams)
    }
    expect(typeof typeOnly).toBe("function")
  })

  it("a pure Effect body gives an Effect with the same value as the plain body", () => {
    const eff = jax.lax.scan(pureBody, jnp.ones([2]), jnp.ones([3, 2]))
    expectTypeOf(eff).toEqualTypeOf<Effect.Effect<[Tensor, Tensor], never, never>>()
    const [c, ys] = Effect.runSync(eff)
    expect(c.toArray()).toEqual([4, 4])
    expect(ys.shape).toEqual([3, 2])
  })
})
