/**
 * Regression tests for defects found by the differential program fuzzer (`programs.test.ts`),
 * each reduced to the smallest program that showed it.
 */
import { describe, expect, it } from "vitest"
import { jax, jnp, type Tensor, TransformArgumentError } from "../../src/index.js"

describe("fuzz regressions", () => {
  it("grad through a whileLoop is a TransformArgumentError naming scan and foriLoop, eager and under jit (was an untyped internal Error)", () => {
    const f = (n: Tensor, x: Tensor) =>
      jnp.sum(jax.lax.whileLoop((v: [Tensor, Tensor]) => jnp.less(v[0], n), (v: [Tensor, Tensor]) => [jnp.add(v[0], 1), jnp.multiply(v[1], x)] as [Tensor, Tensor], [jnp.array(0, { dtype: "int32" }), jnp.ones([2])])[1])
    const g = jax.grad(f, { argnums: 1 })
    const n = jnp.array(2, { dtype: "int32" })
    const x = jnp.array([1.5, -0.5])
    for (const run of [() => g(n, x), () => jax.jit(g)(n, x)]) {
      let caught: unknown
      try {
        run()
      } catch (e) {
        caught = e
      }
      expect(caught).toBeInstanceOf(TransformArgumentError)
      expect((caught as Error).message).toMatch(/jax\.lax\.whileLoop.*reverse-mode.*jax\.lax\.scan.*foriLoop/)
    }
  })
})
