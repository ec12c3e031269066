import { describe, expect, it } from "vitest"
import { jax, jnp, type Tensor, TransformArgumentError } from "../../src/index.js"
import { expectClose, randn } from "../support/values.js"

describe("grad", () => {
  it("grad of sum(x^2) is 2x", () => {
    const x = randn(1, [5])
    expectClose(jax.grad((x: Tensor) => jnp.sum(jnp.square(x)))(x), jnp.multiply(x, 2))
  })

  it("grad of sum(tanh(x)) is 1 - tanh(x)^2", () => {
    const x = randn(2, [3, 4])
    const g = jax.grad((x: Tensor) => jnp.sum(jnp.tanh(x)))(x)
    expectClose(g, jnp.subtract(1, jnp.square(jnp.tanh(x))), { atol: 1e-6 })
  })

  it("grad(grad(f)) gives the second derivative (sin'' = -sin)", () => {
    const f = (x: Tensor) => jnp.sin(x)
    const d2 = jax.grad(jax.grad(f))(jnp.array(0.7))
    expect(d2.item()).toBeCloseTo(-Math.sin(0.7), 5)
  })

  it("grad with argnums [0, 1] returns one gradient per argument", () => {
    const f = (x: Tensor, y: Tensor) => jnp.sum(jnp.multiply(x, y))
    const x = randn(3, [4])
    const y = randn(4, [4])
    const [gx, gy] = jax.grad(f, { argnums: [0, 1] })(x, y) as [Tensor, Tensor]
    expectClose(gx, y)
    expectClose(gy, x)
  })

  it("grad over a pytree of parameters returns the same structure", () => {
    const params = { w: randn(5, [3, 2]), b: randn(6, [2]) }
    const x = randn(7, [4, 3])
    const loss = (p: typeof params) => jnp.sum(jnp.add(jnp.matmul(x, p.w), p.b))
    const g = jax.grad(loss)(params) as typeof params
    expect(Object.keys(g).sort()).toEqual(["b", "w"])
    expectClose(g.b, jnp.full([2], 4))
    expectClose(g.w, jnp.broadcastTo(jnp.expandDims(jnp.sum(x, { axis: 0 }), 1), [3, 2]))
  })

  it("valueAndGrad with hasAux passes aux through", () => {
    const f = (x: Tensor) => [jnp.sum(jnp.square(x)), { n: x.size }] as const
    const [[v, aux], g] = jax.valueAndGrad(f, { hasAux: true })(jnp.array([1, 2, 3]))
    expect(v.item()).toBeCloseTo(14)
    expect(aux).toEqual({ n: 3 })
    expectClose(g, [2, 4, 6])
  })

  it("grad of a non-scalar output is a TransformArgumentError naming the fix", () => {
    expect(() => jax.grad((x: Tensor) => jnp.multiply(x, 2))(jnp.ones([3]))).toThrow(/requires a scalar output, got f32\[3\].*jnp\.sum/)
    try {
      jax.grad((x: Tensor) => x)(jnp.ones([2]))
    } catch (e) {
      expect(e).toBeInstanceOf(TransformArgumentError)
    }
  })

  it("grad with respect to an int32 input is refused", () => {
    expect(() => jax.grad((x: Tensor) => jnp.sum(jnp.astype(x, "float32")))(jnp.arange(3))).toThrow(/requires float32 inputs.*i32\[3\]/)
  })
})

describe("jvp and vjp", () => {
  it("VJP is the transpose of JVP: <ct, J t> = <J^T ct, t>", () => {
    const f = (x: Tensor) => jnp.tanh(jnp.matmul(x, jnp.transpose(x)))
    const x = randn(8, [3, 2])
    const t = randn(9, [3, 2])
    const ct = randn(10, [3, 3])
    const [, jt] = jax.jvp(f, [x], [t]) as [Tensor, Tensor]
    const [, back] = jax.vjp(f, x)
    const [jtct] = back(ct) as [Tensor]
    const lhs = jnp.sum(jnp.multiply(ct, jt)).item()
    const rhs = jnp.sum(jnp.multiply(jtct, t)).item()
    expect(lhs).toBeCloseTo(rhs, 4)
  })

  it("linearize gives the same tangents as jvp", () => {
    const f = (x: Tensor) => jnp.exp(jnp.sin(x))
    const x = randn(11, [4])
    const t = randn(12, [4])
    const [y, fjvp] = jax.linearize(f, x)
    const [y2, jt] = jax.jvp(f, [x], [t]) as [Tensor, Tensor]
    expectClose(y as Tensor, y2)
    expectClose(fjvp(t) as Tensor, jt, { atol: 1e-6 })
  })
})

describe("hasAux", () => {
  it("aux values that depend on the input come out concrete, not as leaked tracers", () => {
    const f = (x: Tensor) => [jnp.sum(jnp.square(x)), { doubled: jnp.multiply(x, 2), tag: "ok" }] as const
    const [g, aux] = jax.grad(f, { hasAux: true })(jnp.array([1, 2]))
    expectClose(g as Tensor, [2, 4])
    const a = aux as { doubled: Tensor; tag: string }
    expect(a.doubled.toArray()).toEqual([2, 4])
    expect(a.tag).toBe("ok")
  })
})
