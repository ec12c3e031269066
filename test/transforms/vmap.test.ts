import { describe, expect, it } from "vitest"
import fc from "fast-check"
import { jax, jnp, type Tensor, TransformArgumentError } from "../../src/index.js"
import { expectClose, randn } from "../support/values.js"

const sliceAt = (a: Tensor, i: number, axis: number): Tensor => jnp.squeeze(jnp.take(a, jnp.array([i], { dtype: "int32" }), axis), axis)

const stackMap = (f: (...xs: Tensor[]) => Tensor, args: Tensor[], axes: Array<number | null>, n: number): Tensor =>
  jnp.stack(Array.from({ length: n }, (_, i) => f(...args.map((a, k) => (axes[k] === null ? a : sliceAt(a, i, axes[k]!))))))

describe("vmap", () => {
  it("vmap(f)(xs) equals stacking f over the slices, for random inAxes", () => {
    const f = (x: Tensor, w: Tensor) => jnp.tanh(jnp.add(jnp.matmul(x, w), 1))
    fc.assert(
      fc.property(fc.constantFrom<[number | null, number | null]>([0, null], [1, null], [0, 0], [1, 2], [null, 2]), fc.integer({ min: 1, max: 4 }), ([ax, aw], n) => {
        const xShape = [3]
        const wShape = [3, 2]
        const bx = ax === null ? xShape : [...xShape.slice(0, ax), n, ...xShape.slice(ax)]
        const bw = aw === null ? wShape : [...wShape.slice(0, aw), n, ...wShape.slice(aw)]
        const x = randn(n, bx)
        const w = randn(n + 7, bw)
        const got = jax.vmap(f, { inAxes: [ax, aw], axisSize: n })(x, w)
        expectClose(got, stackMap(f, [x, w], [ax, aw], n), { atol: 1e-5 })
      }),
      { numRuns: 12 }
    )
  })

  it("a batched matmul is one dot_general, not a loop", () => {
    const f = (x: Tensor) => jnp.matmul(x, jnp.ones([3, 2]))
    const jaxpr = String(jax.makeJaxpr(jax.vmap(f))(jnp.ones([5, 4, 3])))
    expect(jaxpr.match(/dot_general/g)?.length).toBe(1)
  })

  it("nested vmap equals a double loop", () => {
    const f = (x: Tensor, y: Tensor) => jnp.multiply(jnp.sum(x), y)
    const xs = randn(1, [2, 3])
    const ys = randn(2, [4])
    const out = jax.vmap((x: Tensor) => jax.vmap((y: Tensor) => f(x, y))(ys))(xs)
    expect(out.shape).toEqual([2, 4])
    const sums = jnp.sum(xs, { axis: 1 })
    expectClose(out, jnp.multiply(jnp.expandDims(sums, 1), jnp.expandDims(ys, 0)))
  })

  it("outAxes moves the mapped axis in the output", () => {
    const out = jax.vmap((x: Tensor) => jnp.multiply(x, 2), { outAxes: 1 })(jnp.ones([4, 3]))
    expect(out.shape).toEqual([3, 4])
  })

  it("mismatched mapped sizes are a TransformArgumentError", () => {
    const f = (x: Tensor, y: Tensor) => jnp.add(x, y)
    expect(() => jax.vmap(f)(jnp.ones([3]), jnp.ones([4]))).toThrow(TransformArgumentError)
    expect(() => jax.vmap(f)(jnp.ones([3]), jnp.ones([4]))).toThrow(/different sizes/)
    expect(() => jax.vmap(f, { inAxes: [0] })(jnp.ones([3]), jnp.ones([3]))).toThrow(/one entry per positional argument/)
  })
})

describe("vmap outAxes null", () => {
  it("an output that does not vary over the mapped axis can be returned unmapped", () => {
    const w = jnp.ones([3])
    const [y, same] = jax.vmap((x: Tensor) => [jnp.multiply(x, 2), w] as const, { outAxes: [0, null] })(jnp.ones([4, 3])) as [Tensor, Tensor]
    expect(y.shape).toEqual([4, 3])
    expect(same.shape).toEqual([3])
  })
  it("a varying output with outAxes null is an error", () => {
    expect(() => jax.vmap((x: Tensor) => jnp.multiply(x, 2), { outAxes: null })(jnp.ones([4, 3]))).toThrow(/outAxes null/)
  })
})
