/**
 * Regression tests for defects found by the differential program fuzzer (`programs.test.ts`),
 * each reduced to the smallest program that showed it.
 */
import { describe, expect, it } from "vitest"
import { jax, jnp, type Tensor, TransformArgumentError } from "../../src/index.js"

describe("fuzz regressions", () => {
  it.each(jax.availableModes().filter((m) => ["wasm-simd", "webasm", "cpu"].includes(m)))(
    "%s: jit(grad) of a min over a fused product equals eager grad (cpu fused kernels rounded no intermediate, so eq(x, min(x)) found no tie and the gradient was NaN)",
    (mode) => {
      const before = jax.getBackend().mode
      try {
        jax.setBackend(mode)
        const f = (a: Tensor, b: Tensor) => jnp.sum(jnp.min(jnp.multiply(b, a), { axis: 0 }))
        const a = jnp.array([0.8])
        const b = jnp.array([[1, -2, 0.5], [0.3, 1.5, -1], [2, 0.1, -0.7], [-1.2, 0.4, 0.9]])
        const g = jax.grad(f, { argnums: [0, 1] })
        const [ea, eb] = g(a, b) as Tensor[]
        const [ja, jb] = jax.jit(g)(a, b) as Tensor[]
        // d/da Σ_j min_i b_ij·a = Σ_j b_argmin,j = -1.2 - 2 - 1
        expect(ea!.toTypedArray()[0]).toBeCloseTo(-4.2, 5)
        expect(Array.from(ja!.toTypedArray())).toEqual(Array.from(ea!.toTypedArray()))
        expect(Array.from(jb!.toTypedArray())).toEqual(Array.from(eb!.toTypedArray()))
      } finally {
        jax.setBackend(before)
      }
    }
  )

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
