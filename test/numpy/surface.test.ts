/**
 * The new jnp / lax / random surface where tanka's behaviour is its own (limits, jaxprs, error
 * messages beyond JAX's); what JAX itself computes is checked in test/jax-reference.
 */
import { describe, expect, it } from "vitest"
import { ArrayDataError, DTypeError, jax, jnp, ShapeError, type Tensor } from "../../src/index.js"
import { expectClose, randn } from "../support/values.js"

const i32 = (xs: number[]) => jnp.array(xs, { dtype: "int32" })

describe("jnp.at", () => {
  it("rejects index tensors separated by a slice, naming the fix", () => {
    expect(() => jnp.at(jnp.zeros([2, 3, 4]), i32([0]), null, i32([1])).set(1)).toThrow(ShapeError)
    expect(() => jnp.at(jnp.zeros([2, 3, 4]), i32([0]), null, i32([1])).set(1)).toThrow(/adjacent axes/)
  })
  it("add and mul are not defined on bool arrays", () => {
    expect(() => jnp.at(jnp.zeros([3], "bool"), 0).add(true)).toThrow(DTypeError)
  })
  it("values that do not broadcast to the indexed shape are a ShapeError", () => {
    expect(() => jnp.at(jnp.zeros([4, 5]), i32([0, 1])).set(jnp.ones([3]))).toThrow(/cannot be broadcast to the indexed shape \[2,5\]/)
  })
  it("jit(f) = f and vmap(f) = stacking for an update at traced indices", () => {
    const f = (x: Tensor, i: Tensor) => jnp.at(x, i).add(2)
    const x = randn(1, [3, 5])
    const idx = i32([4, -1, 0])
    expectClose(jax.jit(f)(x, idx), f(x, idx))
    const loop = jnp.stack([0, 1, 2].map((k) => f(jnp.slice(x, k), jnp.slice(idx, k))))
    expectClose(jax.vmap(f)(x, idx), loop)
  })
})

describe("the new primitives show in jaxprs under their lax names", () => {
  it("sort, top_k, cumsum, scatter", () => {
    const text = String(
      jax.makeJaxpr((x: Tensor) => [jnp.sort(x), jax.lax.topK(x, 2)[0], jnp.cumsum(x), jnp.at(x, i32([0])).set(1)])(jnp.ones([4]))
    )
    expect(text).toMatch(/sort\[dimension=0 is_stable=True num_keys=1\]/)
    expect(text).toMatch(/top_k\[k=2 axis=0\]/)
    expect(text).toMatch(/cumsum\[axis=0 reverse=False\]/)
    expect(text).toMatch(/scatter\[axis=0 mode=set\]/)
  })
})

describe("limits are typed errors naming the way around them", () => {
  it("einsum: inputs with '...' need '...' in an explicit output", () => {
    expect(() => jnp.einsum("...ij->ij", jnp.ones([2, 3, 4]))).toThrow(/add '\.\.\.' to the output/)
  })
  it("linalg.norm: spectral and nuclear matrix norms need an SVD", () => {
    expect(() => jnp.linalg.norm(jnp.ones([2, 2]), { ord: 2, axis: [0, 1] })).toThrow(/singular value decomposition/)
  })
  it("randint: spans of 2^22 or more", () => {
    expect(() => jax.random.randint(jax.random.key(0), [2], 0, 2 ** 23)).toThrow(ArrayDataError)
    expect(() => jax.random.randint(jax.random.key(0), [2], 0, 2 ** 23)).toThrow(/spans below 2\^22/)
  })
  it("dynamicSlice: start indices must be integer scalars", () => {
    expect(() => jax.lax.dynamicSlice(jnp.ones([5]), [jnp.array(1.5)], [2])).toThrow(/must be integers/)
  })
})

describe("names", () => {
  it("jnp.var is jnp.variance, and std is its square root", () => {
    const x = randn(2, [4, 3])
    expect(jnp.var).toBe(jnp.variance)
    expectClose(jnp.std(x, { axis: 0, ddof: 1 }), jnp.sqrt(jnp.var(x, { axis: 0, ddof: 1 })))
  })
  it("jax.nn.swish is jax.nn.silu; the initializer aliases are JAX's", () => {
    expect(jax.nn.swish).toBe(jax.nn.silu)
    expect(jax.nn.initializers.xavierUniform).toBe(jax.nn.initializers.glorotUniform)
    expect(jax.nn.initializers.kaimingNormal).toBe(jax.nn.initializers.heNormal)
  })
})
