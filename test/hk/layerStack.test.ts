/** hk.layerStack: unshared per-layer params, stacked with a leading numLayers axis, applied by one scan. */
import { describe, expect, it } from "vitest"
import fc from "fast-check"
import { Effect } from "effect"
import { hk, jax, jnp, type Tensor } from "../../src/index.js"
import { assertAllclose } from "../support/assertAllclose.js"
import { close } from "../support/effects.js"

const run = <A>(e: Effect.Effect<A, any, any>): A => Effect.runSync(e as Effect.Effect<A, any, never>)
const shapes = (t: hk.ParamTree) => Object.fromEntries(Object.entries(t).map(([m, b]) => [m, Object.fromEntries(Object.entries(b).map(([n, v]) => [n, v.shape]))]))
const layerOf = (t: hk.ParamTree, prefix: string, i: number): hk.ParamTree =>
  Object.fromEntries(
    Object.entries(t)
      .filter(([m]) => m.startsWith(`${prefix}/`))
      .map(([m, b]) => [m.slice(prefix.length + 1), Object.fromEntries(Object.entries(b).map(([n, v]) => [n, jnp.slice(v, i)]))])
  )

const block = (x: Tensor) => Effect.flatMap(hk.Linear(4), (lin) => Effect.map(lin(x), jnp.tanh))

describe("hk.layerStack", () => {
  it("params have the stacked shapes under __layer_stack_no_per_layer/, and differ per layer", () => {
    const t = hk.transform((x: Tensor) => hk.layerStack(3)(block)(x))
    const p = run(t.init(0, jnp.ones([2, 4])))
    expect(shapes(p)).toEqual({ "__layer_stack_no_per_layer/linear": { b: [3, 4], w: [3, 4, 4] } })
    const w = p["__layer_stack_no_per_layer/linear"]!.w!
    expect(jnp.slice(w, 0).toArray()).not.toEqual(jnp.slice(w, 1).toArray())
  })

  it("apply equals applying the layers in sequence with the sliced params", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 1000 }), (n, seed) => {
        const t = hk.transform((x: Tensor) => hk.layerStack(n)(block)(x))
        const x = jax.random.normal(jax.random.key(seed), [2, 4])
        const p = run(t.init(seed, x))
        const one = hk.transform(block)
        let y = x
        for (let i = 0; i < n; i++) y = run(one.apply(layerOf(p, "__layer_stack_no_per_layer", i), null, y))
        close(run(t.apply(p, null, x)), y)
      }),
      { numRuns: 5 }
    )
  })

  it("several arguments are carried as a tuple; one argument stays a single value", () => {
    const f = (a: Tensor, b: Tensor) => Effect.map(hk.getParameter("s", [], jnp.ones), (s) => [jnp.multiply(a, s), jnp.add(b, a)] as const)
    const t = hk.transform((a: Tensor, b: Tensor) => hk.layerStack(3)(f)(a, b))
    const p = run(t.init(null, jnp.array(2), jnp.array(0)))
    expect(shapes(p)).toEqual({ "__layer_stack_no_per_layer/~": { s: [3] } })
    const [a, b] = run(t.apply({ "__layer_stack_no_per_layer/~": { s: jnp.array([1, 2, 3]) } }, null, jnp.array(1), jnp.array(0)))
    expect([a.item(), b.item()]).toEqual([6, 1 + 1 + 2])
  })

  it("withPerLayerInputs: layer i gets row i of ys, and the zs are stacked", () => {
    const f = (x: Tensor, y: Tensor) => Effect.map(hk.getParameter("w", [], jnp.ones), (w) => [jnp.add(x, jnp.multiply(w, y)), jnp.multiply(x, 10)] as const)
    const t = hk.transform((x: Tensor, ys: Tensor) => hk.layerStack(4, { withPerLayerInputs: true })(f)(x, ys))
    const p = run(t.init(null, jnp.array(0), jnp.array([1, 2, 3, 4])))
    expect(Object.keys(p)).toEqual(["__layer_stack_with_per_layer/~"])
    const [x, zs] = run(t.apply(p, null, jnp.array(0), jnp.array([1, 2, 3, 4])))
    expect(x.item()).toBe(10)
    expect(zs.toArray()).toEqual([0, 10, 30, 60])
  })

  it("names are uniquified like modules (`_1`), or given by { name }", () => {
    const t = hk.transform((x: Tensor) =>
      Effect.gen(function* () {
        const y = yield* hk.layerStack(2)(block)(x)
        const z = yield* hk.layerStack(2)(block)(y)
        return yield* hk.layerStack(2, { name: "trunk" })(block)(z)
      })
    )
    expect(Object.keys(run(t.init(0, jnp.ones([1, 4]))))).toEqual(["__layer_stack_no_per_layer/linear", "__layer_stack_no_per_layer_1/linear", "trunk/linear"])
  })

  it("state is stacked per layer and updated in apply (under hk.transformWithState)", () => {
    const counted = (x: Tensor) =>
      Effect.gen(function* () {
        const n = yield* hk.getState("n", [], jnp.zeros)
        yield* hk.setState("n", jnp.add(n, 1))
        return jnp.add(x, n)
      })
    const t = hk.transformWithState((x: Tensor) => hk.layerStack(3)(counted)(x))
    const [p, s] = run(t.init(null, jnp.array(0)))
    expect(p).toEqual({})
    expect(s["__layer_stack_no_per_layer/~"]!.n!.toArray()).toEqual([0, 0, 0])
    const [y, s1] = run(t.apply(p, s, null, jnp.array(0)))
    expect(y.item()).toBe(0)
    expect(s1["__layer_stack_no_per_layer/~"]!.n!.toArray()).toEqual([1, 1, 1])
    const [y2] = run(t.apply(p, s1, null, jnp.array(0)))
    expect(y2.item()).toBe(3)
  })

  it("under hk.transform a stateful layer is a NonEmptyStateError naming transformWithState", () => {
    const stateful = ((x: Tensor) => Effect.map(hk.getState("n", [], jnp.zeros), (n) => jnp.add(x, n))) as unknown as (x: Tensor) => Effect.Effect<Tensor, never, hk.Params>
    const t = hk.transform((x: Tensor) => hk.layerStack(2)(stateful)(x))
    let e: any
    try {
      run(t.init(null, jnp.array(0)))
    } catch (err) {
      e = err
    }
    expect(e._tag).toBe("NonEmptyStateError")
    expect(e.message).toContain("hk.transformWithState")
  })

  it("each layer gets its own key in apply", () => {
    const t = hk.transform((x: Tensor) => hk.layerStack(3, { withPerLayerInputs: true })((c: Tensor, _y: Tensor) => Effect.map(hk.nextRngKey(), (k) => [c, k] as const))(x, jnp.zeros([3])))
    const [, keys] = run(t.apply(run(t.init(0, jnp.zeros([]))), 1, jnp.zeros([])))
    expect(new Set((keys.toArray() as number[][]).map((k) => k.join())).size).toBe(3)
  })
})
