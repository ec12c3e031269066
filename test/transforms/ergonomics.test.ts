/**
 * JAX habits that should just work (issue 12): destructuring a split key, iterating a tensor's
 * rows (eagerly and under a trace), and `ShapeDtypeStruct`s that print as JAX prints them.
 */
import { inspect } from "node:util"
import { describe, expect, it } from "vitest"
import { jax, jnp, ShapeError, type Tensor } from "../../src/index.js"

describe("tensors iterate over their first axis", () => {
  it("const [k1, k2] = jax.random.split(key) gives two distinct keys, each the row of split's result", () => {
    const key = jax.random.key(7)
    const both = jax.random.split(key)
    const [k1, k2] = jax.random.split(key)
    expect(k1!.shape).toEqual([2])
    expect(k2!.shape).toEqual([2])
    expect(k1!.toArray()).toEqual((both.toArray() as number[][])[0])
    expect(k2!.toArray()).toEqual((both.toArray() as number[][])[1])
    expect(k1!.toArray()).not.toEqual(k2!.toArray())
    expect([...jax.random.split(key, 5)].length).toBe(5)
  })

  it("rows of a matrix, spread and for-of, keep the dtype", () => {
    const m = jnp.array([[1, 2], [3, 4], [5, 6]], { dtype: "int32" })
    const rows = [...m]
    expect(rows.map((r) => r.toArray())).toEqual([[1, 2], [3, 4], [5, 6]])
    expect(rows.every((r) => r.dtype === "int32")).toBe(true)
    let sum = 0
    for (const r of jnp.array([[1, 2], [3, 4]])) sum += jnp.sum(r).item()
    expect(sum).toBe(10)
  })

  it("iterating a traced value works (the shape is static) and differentiates", () => {
    const f = (x: Tensor) => {
      const [a, b] = x
      return jnp.sum(jnp.multiply(a!, b!))
    }
    const x = jnp.array([[1, 2], [3, 4]])
    expect(jax.jit(f)(x).item()).toBe(11)
    expect(jax.grad(f)(x).toArray()).toEqual([[3, 4], [1, 2]])
    expect(jax.vmap((v: Tensor) => { const [p, q] = v; return jnp.subtract(p!, q!) })(jnp.array([[5, 1], [2, 7]])).toArray()).toEqual([4, -5])
  })

  it("a 0-d tensor is not iterable: a ShapeError that names item()", () => {
    expect(() => [...jnp.array(3)]).toThrow(ShapeError)
    expect(() => [...jnp.array(3)]).toThrow(/item\(\)/)
  })
})

describe("ShapeDtypeStruct prints readably", () => {
  it("evalShape results print as JAX prints them, in String and in Node's inspect", () => {
    const out = jax.evalShape((x: Tensor) => ({ y: jnp.sum(x, { axis: 1 }) }), jnp.zeros([2, 3]))
    expect(String(out.y)).toBe("ShapeDtypeStruct(shape=[2], dtype=float32)")
    expect(inspect(out)).toContain("ShapeDtypeStruct(shape=[2], dtype=float32)")
    expect(out.y.shape).toEqual([2])
    expect(out.y.dtype).toBe("float32")
  })

  it("jax.shapeDtypeStruct builds one that evalShape accepts as an abstract argument", () => {
    const s = jax.shapeDtypeStruct([4, 5], "int32")
    expect(String(s)).toBe("ShapeDtypeStruct(shape=[4, 5], dtype=int32)")
    expect(String(jax.evalShape((x: Tensor) => jnp.transpose(x), s))).toBe("ShapeDtypeStruct(shape=[5, 4], dtype=int32)")
  })
})
