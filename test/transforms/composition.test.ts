import { describe, it, expect } from "vitest"
import { jax, jnp, type Tensor } from "../../src/index.js"
import { expectClose, randn } from "../support/values.js"

const f = (w: Tensor, x: Tensor) => jnp.sum(jnp.tanh(jnp.matmul(x, w)))

describe("transforms compose", () => {
  const w = randn(1, [3, 2])
  const xs = randn(2, [4, 3])
  const perExample = (x: Tensor) => jax.grad(f)(w, x)

  it("vmap(grad(f)) equals the loop of grads", () => {
    const batched = jax.vmap((x: Tensor) => jax.grad(f)(w, x))(xs)
    const loop = jnp.stack([0, 1, 2, 3].map((i) => perExample(jnp.slice(xs, i))))
    expectClose(batched, loop, { atol: 1e-6 })
  })

  it("grad(vmap(f)) summed equals the sum of grads", () => {
    const g = jax.grad((w: Tensor) => jnp.sum(jax.vmap((x: Tensor) => f(w, x))(xs)))(w)
    expectClose(g, jnp.sum(jax.vmap(perExample)(xs), { axis: 0 }), { atol: 1e-5 })
  })

  it("jit(grad(jit(f))) equals grad(f)", () => {
    const x = jnp.slice(xs, 0)
    expectClose(jax.jit(jax.grad(jax.jit(f)))(w, x), jax.grad(f)(w, x), { atol: 1e-6 })
  })

  it("evalShape(grad(f)) equals the shapes of grad(f)", () => {
    const x = jnp.slice(xs, 0)
    expect(jax.evalShape(jax.grad(f), w, x)).toEqual({ shape: [3, 2], dtype: "float32" })
  })

  it("vmap(jit(f)) equals jit(vmap(f))", () => {
    expectClose(jax.vmap(jax.jit((x: Tensor) => f(w, x)))(xs), jax.jit(jax.vmap((x: Tensor) => f(w, x)))(xs), { atol: 1e-6 })
  })
})
