/**
 * The seed page ("Limitations of Nesting JAX Functions and Haiku Modules"), example by example,
 * with the page's results; and its five-row summary table as a suite.
 */
import { describe, expect, it } from "vitest"
import { Effect } from "effect"
import { hk, jax, jnp, type Tensor } from "../../src/index.js"
import { seedTable } from "../../examples/seed-table.js"
import { thrown } from "../support/effects.js"

const shapesOf = (t: hk.ParamTree) => Object.fromEntries(Object.entries(t).map(([m, b]) => [m, Object.fromEntries(Object.entries(b).map(([n, v]) => [n, [...v.shape]]))]))

describe("seed example 1: jax.evalShape on a side-effecting function", () => {
  it("fails with UnexpectedTracerError pointing at hk.getParameter and naming hk.evalShape (runtime, for plain-JS callers)", () => {
    const net = (x: Tensor) => Effect.map(hk.getParameter("w", [2, 2], jnp.ones), (w) => jnp.matmul(w, x))
    const evalShapeNet = (x: Tensor) =>
      Effect.gen(function* () {
        yield* (jax.evalShape as any)(net, x) as Effect.Effect<unknown>
        return yield* net(x)
      })
    const { init } = hk.transform(evalShapeNet)
    const e = thrown(() => Effect.runSync(init(jax.random.key(666), jnp.ones([2, 2]))))
    expect(e._tag).toBe("UnexpectedTracerError")
    expect(e.message).toContain("hk.getParameter was called inside the raw jax.evalShape")
    expect(e.message).toContain("hk.evalShape")
  })
})

describe("seed example 2: thread the parameter explicitly", () => {
  it("returns ShapeDtypeStruct [3,3] float32 and [[2,2,2],[2,2,2],[2,2,2]]", () => {
    const net = (w: Tensor, x: Tensor) => jnp.matmul(w, x)
    const evalShapeNet = (x: Tensor) =>
      Effect.gen(function* () {
        const w = yield* hk.getParameter("w", [3, 2], jnp.ones)
        const outputShape = jax.evalShape(net, w, x)
        return [outputShape, net(w, x)] as const
      })
    const key = jax.random.key(777)
    const x = jnp.ones([2, 3])
    const { init, apply } = hk.transform(evalShapeNet)
    const params = Effect.runSync(init(key, x))
    expect(shapesOf(params)).toEqual({ "~": { w: [3, 2] } })
    const [shape, out] = Effect.runSync(apply(params, key, x))
    expect(shape).toEqual({ shape: [3, 3], dtype: "float32" })
    expect(out.toArray()).toEqual([
      [2, 2, 2],
      [2, 2, 2],
      [2, 2, 2]
    ])
  })
})

describe("seed example 3: jax.evalShape over a module we don't own (hk.nets.MLP)", () => {
  it("fails with UnexpectedTracerError (runtime)", () => {
    const evalShapeNet = (x: Tensor) =>
      Effect.gen(function* () {
        const net = yield* hk.nets.MLP([300, 100])
        yield* (jax.evalShape as any)(net, x) as Effect.Effect<unknown>
        return yield* net(x)
      })
    const e = thrown(() => Effect.runSync(hk.transform(evalShapeNet).init(jax.random.key(666), jnp.ones([2, 2]))))
    expect(e._tag).toBe("UnexpectedTracerError")
    expect(e.transform).toBe("jax.evalShape")
  })
})

describe("seed example 4: hk.lift", () => {
  it("registers the inner params under inner/ next to the outer MLP's, with the page's shapes", () => {
    const evalShapeNet = (x: Tensor) =>
      Effect.gen(function* () {
        const net = yield* hk.nets.MLP([300, 100])
        const { init, apply } = hk.transform(net)
        const params = yield* hk.lift(init, { name: "inner" })(yield* hk.nextRngKey(), x)
        const outputShape = yield* jax.evalShape(apply, params, yield* hk.nextRngKey(), x)
        const out = yield* net(x)
        return [out, outputShape] as const
      })
    const { init, apply } = hk.transform(evalShapeNet)
    const params = Effect.runSync(init(jax.random.key(777), jnp.ones([100, 100])))
    expect(shapesOf(params)).toEqual({
      "inner/mlp/~/linear_0": { b: [300], w: [100, 300] },
      "inner/mlp/~/linear_1": { b: [100], w: [300, 100] },
      "mlp/~/linear_0": { b: [300], w: [100, 300] },
      "mlp/~/linear_1": { b: [100], w: [300, 100] }
    })
    const [out, shape] = Effect.runSync(apply(params, jax.random.key(777), jnp.ones([100, 100])))
    expect(out.shape).toEqual([100, 100])
    expect(shape).toEqual({ shape: [100, 100], dtype: "float32" })
  })
})

describe("seed example 5: hk.evalShape threads the Haiku state for you", () => {
  it("works, creates no params of its own, and adds no name level", () => {
    const evalShapeNet = (x: Tensor) =>
      Effect.gen(function* () {
        const net = yield* hk.nets.MLP([300, 100])
        const outputShape = yield* hk.evalShape(net, x)
        const out = yield* net(x)
        return [out, outputShape] as const
      })
    const { init, apply } = hk.transform(evalShapeNet)
    const params = Effect.runSync(init(jax.random.key(777), jnp.ones([100, 100])))
    expect(Object.keys(params)).toEqual(["mlp/~/linear_0", "mlp/~/linear_1"])
    const [out, shape] = Effect.runSync(apply(params, jax.random.key(777), jnp.ones([100, 100])))
    expect(out.shape).toEqual([100, 100])
    expect(shape).toEqual({ shape: [100, 100], dtype: "float32" })
  })
})

describe("the seed's summary table, computed live", () => {
  it("has the page's five verdicts (row 3 is an error in tanka where Haiku is silent)", async () => {
    const rows = await seedTable()
    expect(rows.map((r) => r.ok)).toEqual([true, false, false, true, true])
    expect(rows[1]!.detail).toMatch(/^UnexpectedTracerError: .*raw jax\.vmap.*hk\.vmap/)
    expect(rows[2]!.detail).toMatch(/^NestedTransformError: .*hk\.lift/)
    expect(rows[3]!.detail).toContain("inner/mlp/~/linear_0")
    expect(rows[4]!.detail).toContain("output [3,4]")
  })
})
