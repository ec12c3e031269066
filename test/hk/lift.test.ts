/** hk.lift, hk.transparentLift, hk.liftWithState, and the nested-transform check. */
import { describe, expect, it } from "vitest"
import fc from "fast-check"
import { Effect } from "effect"
import { hk, jax, jnp, type Tensor } from "../../src/index.js"
import { thrown, run } from "../support/effects.js"

const net = (sizes: number[]) => (x: Tensor) => Effect.flatMap(hk.nets.MLP(sizes), (m) => m(x))

describe("hk.lift", () => {
  it("lift registers exactly the inner params under name/ (for any layer sizes and name)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }), fc.constantFrom("inner", "a", "lifted_net"), (sizes, name) => {
        const inner = hk.transform(net(sizes))
        const x = jnp.ones([2, 3])
        const innerParams = run(inner.init(jax.random.key(1), x))
        const outer = hk.transform((y: Tensor) => hk.lift(inner.init, { name })(jax.random.key(1), y))
        const params = run(outer.init(0, x))
        expect(Object.keys(params).sort()).toEqual(Object.keys(innerParams).map((k) => `${name}/${k}`).sort())
        for (const [k, b] of Object.entries(innerParams)) for (const [n, v] of Object.entries(b)) expect(params[`${name}/${k}`]![n]!.toArray()).toEqual(v.toArray())
      }),
      { numRuns: 8 }
    )
  })

  it("in apply, lift does not run init and returns the registered params, prefix stripped", () => {
    const inner = hk.transform(net([3]))
    let initRuns = 0
    const countingInit = (k: hk.KeyLike, x: Tensor) => Effect.suspend(() => (initRuns++, inner.init(k, x)))
    const outer = hk.transform((x: Tensor) => Effect.flatMap(hk.lift(countingInit, { name: "inner" })(jax.random.key(3), x), (p) => inner.apply(p, null, x)))
    const x = jnp.ones([2, 4])
    const params = run(outer.init(0, x))
    expect(initRuns).toBe(1)
    const y = run(outer.apply(params, null, x))
    expect(initRuns).toBe(1)
    expect(y.toArray()).toEqual(run(inner.apply(run(inner.init(jax.random.key(3), x)), null, x)).toArray())
  })

  it("two lifts with the same name get uniquified prefixes (inner, inner_1)", () => {
    const inner = hk.transform(net([2]))
    const f = (x: Tensor) => Effect.zip(hk.lift(inner.init, { name: "inner" })(0, x), hk.lift(inner.init, { name: "inner" })(0, x))
    expect(Object.keys(run(hk.transform(f).init(0, jnp.ones([1, 2]))))).toEqual(["inner/mlp/~/linear_0", "inner_1/mlp/~/linear_0"])
  })

  it("a key collision is LiftKeyCollisionError; allowReuse merges", () => {
    const inner = hk.transform(net([2]))
    const f = (x: Tensor) => Effect.zip(hk.transparentLift(inner.init)(0, x), hk.transparentLift(inner.init)(0, x))
    const e = thrown(() => run(hk.transform(f).init(0, jnp.ones([1, 2]))))
    expect(e._tag).toBe("LiftKeyCollisionError")
    expect(e.message).toContain("Key 'mlp/~/linear_0' already exists in the destination params")
    const g = (x: Tensor) => Effect.zip(hk.transparentLift(inner.init, { allowReuse: true })(0, x), hk.transparentLift(inner.init, { allowReuse: true })(0, x))
    expect(Object.keys(run(hk.transform(g).init(0, jnp.ones([1, 2]))))).toEqual(["mlp/~/linear_0"])
  })

  it("transparentLift adds no name level", () => {
    const inner = hk.transform(net([2]))
    expect(Object.keys(run(hk.transform((x: Tensor) => hk.transparentLift(inner.init)(0, x)).init(0, jnp.ones([1, 2]))))).toEqual(["mlp/~/linear_0"])
  })

  it("a stateful init given to lift is NonEmptyStateError naming liftWithState", () => {
    const inner = hk.transformWithState(() => hk.setState("s", jnp.zeros([])))
    const init = inner.init as unknown as (key: null) => Effect.Effect<hk.ParamTree>
    const e = thrown(() => run(hk.transform(() => hk.lift(init)(null)).init(null)))
    expect(e._tag).toBe("NonEmptyStateError")
    expect(e.message).toContain("hk.liftWithState")
  })

  it("outside a transform lift dies with HaikuContextError", () => {
    expect(thrown(() => run(hk.lift(hk.transform(net([1])).init)(0, jnp.ones([1, 1])) as any))._tag).toBe("HaikuContextError")
  })
})

describe("NestedTransformError: an inner init inside an outer transform without lift", () => {
  const inner = hk.transform(net([2]))

  it("is raised directly, under raw jax.vmap, and in apply", () => {
    const direct = hk.transform((x: Tensor) => inner.init(0, x))
    expect(thrown(() => run(direct.init(0, jnp.ones([1, 2]))))._tag).toBe("NestedTransformError")
    expect(thrown(() => run(direct.apply({}, 0, jnp.ones([1, 2]))))._tag).toBe("NestedTransformError")
    const underVmap = hk.transform((x: Tensor) => jax.vmap(inner.init, { inAxes: [null, 0] })(jax.random.key(0), x))
    expect(thrown(() => run(underVmap.init(0, jnp.ones([3, 2]))))._tag).toBe("NestedTransformError")
  })

  it("hk.unregistered is the explicit escape hatch; a nested apply (pure) is allowed", () => {
    const f = (x: Tensor) => Effect.flatMap(hk.unregistered(inner.init)(0, x), (p) => inner.apply(p, null, x))
    const { init, apply } = hk.transform(f)
    const params = run(init(0, jnp.ones([1, 2])))
    expect(params).toEqual({})
    expect(run(apply(params, null, jnp.ones([1, 2]))).shape).toEqual([1, 2])
  })
})

describe("hk.liftWithState", () => {
  const counter = () =>
    Effect.gen(function* () {
      const n = yield* hk.getState("n", [], jnp.zeros)
      yield* hk.setState("n", jnp.add(n, 1))
      return n
    })
  const inner = hk.transformWithState(counter)
  const outer = hk.transformWithState(() => hk.liftWithState(inner.init, { name: "inner" })([null], (p, s) => inner.apply(p, s, null)))

  it("registers the inner state under name/ and writes the body's new state back (exactly once, structurally)", () => {
    const [params, s0] = run(outer.init(null))
    expect(params).toEqual({})
    expect(Object.keys(s0)).toEqual(["inner/~"])
    expect(s0["inner/~"]!.n!.item()).toBe(0)
    let state = s0
    for (let i = 0; i < 3; i++) state = run(outer.apply(params, state, null))[1]
    expect(state["inner/~"]!.n!.item()).toBe(3)
  })

  it("a body returning null state keeps the state (Haiku's ignore_update)", () => {
    const o = hk.transformWithState(() => hk.liftWithState(inner.init, { name: "inner" })([null], (p, s) => Effect.map(inner.apply(p, s, null), ([out]) => [out, null] as const)))
    const [p, s0] = run(o.init(null))
    expect(run(o.apply(p, s0, null))[1]["inner/~"]!.n!.item()).toBe(0)
  })

  it("writes state to the uniquified prefix (Haiku's lifted/lifted_1 bug is fixed)", () => {
    const twice = hk.transformWithState(() =>
      Effect.zip(hk.liftWithState(inner.init)([null], (p, s) => inner.apply(p, s, null)), hk.liftWithState(inner.init)([null], (p, s) => inner.apply(p, s, null)))
    )
    const [p, s0] = run(twice.init(null))
    const s1 = run(twice.apply(p, s0, null))[1]
    expect(Object.keys(s1)).toEqual(["lifted/~", "lifted_1/~"])
    expect([s1["lifted/~"]!.n!.item(), s1["lifted_1/~"]!.n!.item()]).toEqual([1, 1])
  })
})


