import { describe, expect, it } from "vitest"
import { jax, jnp, type Tensor, UnexpectedTracerError } from "../../src/index.js"
import { kernelLaunches } from "../../src/kernels/index.js"
import { expectClose, randn } from "../support/values.js"

describe("jit", () => {
  it("jit(f) equals f and traces once per input signature", () => {
    const f = (x: Tensor, y: Tensor) => jnp.add(jnp.multiply(x, y), jnp.sin(x))
    const jf = jax.jit(f)
    const x = randn(1, [3])
    const y = randn(2, [3])
    expectClose(jf(x, y), f(x, y))
    jf(randn(3, [3]), y)
    expect(jf.traceCount).toBe(1)
    jf(randn(3, [4]), randn(4, [4]))
    expect(jf.traceCount).toBe(2)
  })

  it("makeJaxpr prints like JAX", () => {
    const jaxpr = jax.makeJaxpr((x: Tensor) => jnp.multiply(jnp.sin(x), 2))(jnp.ones([3]))
    expect(String(jaxpr)).toBe(["{ lambda ; a:f32[3]. let", "    b:f32[3] = sin a", "    c:f32[3] = mul b 2.0:f32[]", "  in (c,) }"].join("\n"))
  })

  it("evalShape runs no kernel", () => {
    const f = (x: Tensor) => jnp.sum(jnp.matmul(jnp.tanh(x), jnp.ones([4, 5])), { axis: 0 })
    const before = kernelLaunches()
    const out = jax.evalShape(f, { shape: [3, 4], dtype: "float32" })
    expect(kernelLaunches()).toBe(before)
    expect(out).toEqual({ shape: [5], dtype: "float32" })
  })

  it("a tracer leaked out of a transform raises UnexpectedTracerError naming the transform", () => {
    let leaked: Tensor | null = null
    jax.grad((x: Tensor) => {
      leaked = x
      return jnp.sum(x)
    })(jnp.ones([2]))
    expect(() => jnp.add(leaked!, 1)).toThrow(UnexpectedTracerError)
    expect(() => jnp.add(leaked!, 1)).toThrow(/jax\.grad/)
  })
})
