/**
 * Ensembles in one call (hk.ensemble) and hk.vmap mapping params and state: member i of the
 * stacked result equals the network initialised and applied alone with key i; the per-collection
 * axes are typed; mismatched sizes are typed errors.
 */
import { describe, expect, expectTypeOf, it } from "vitest"
import { Effect } from "effect"
import { hk, jax, jnp, EnsembleSizeError, ShapeError, type Tensor } from "../../src/index.js"
import { randn, f64 } from "../support/values.js"
import { assertAllclose } from "../support/assertAllclose.js"
import { run, thrown } from "../support/effects.js"

const net = hk.transform((x: Tensor) => Effect.flatMap(hk.nets.MLP([5, 3]), (m) => m(x)))
const row = (t: Tensor, i: number) => jnp.take(t, jnp.array(Int32Array.from([i])), 0)
const slice = (tree: hk.ParamTree, i: number): hk.ParamTree => hk.data.map((_m, _n, v) => jnp.squeeze(row(v, i), 0), tree)

describe("hk.ensemble", () => {
  const x = randn(1, [6, 4])
  const keys = jax.random.split(jax.random.key(7), 3)
  const ens = hk.ensemble(net, 3)

  it("init stacks one member per key: member i equals net.init(key i)", () => {
    const params = run(ens.init(keys, x))
    expect(params["mlp/~/linear_0"]!.w!.shape).toEqual([3, 4, 5])
    for (let i = 0; i < 3; i++) {
      const alone = run(net.init(jnp.reshape(row(keys, i), [2]) as never, x))
      for (const [m, n, v] of hk.data.traverse(alone)) assertAllclose(f64(slice(params, i)[m]![n]!), f64(v), { atol: 0 })
    }
    // the members differ
    expect(Array.from(f64(slice(params, 0)["mlp/~/linear_0"]!.w!))).not.toEqual(Array.from(f64(slice(params, 1)["mlp/~/linear_0"]!.w!)))
  })

  it("apply runs every member in one call: output i equals net.apply(member i); inAxes maps inputs per member", () => {
    const params = run(ens.init(keys, x))
    const y = run(ens.apply(params, null, x))
    expect(y.shape).toEqual([3, 6, 3])
    for (let i = 0; i < 3; i++) assertAllclose(f64(row(y, i)), f64(run(net.apply(slice(params, i), null, x))), { atol: 1e-6 })
    const perMember = hk.ensemble(net, 3, { inAxes: [0] })
    const xs = randn(2, [3, 6, 4])
    const ys = run(perMember.apply(params, null, xs))
    for (let i = 0; i < 3; i++) assertAllclose(f64(row(ys, i)), f64(run(net.apply(slice(params, i), null, jnp.squeeze(row(xs, i), 0)))), { atol: 1e-6 })
  })

  it("the stacked tree's type says it is stacked: a plain ParamTree is not accepted by ens.apply", () => {
    const params = run(ens.init(keys, x))
    expectTypeOf(params).toEqualTypeOf<hk.Stacked<hk.ParamTree, 3>>()
    const plain = run(net.init(0, x))
    const typeOnly = () => {
      // @ts-expect-error a single network's params are not Stacked<ParamTree, 3>
      ens.apply(plain, null, x)
      // @ts-expect-error an ensemble of 4's params are not an ensemble of 3's
      ens.apply(null as unknown as hk.Stacked<hk.ParamTree, 4>, null, x)
    }
    expect(typeof typeOnly).toBe("function")
  })

  it("a key count or params tree that does not match the ensemble's size is a typed EnsembleSizeError", () => {
    const e = run(Effect.flip(ens.init(jax.random.split(jax.random.key(0), 2), x)))
    expect(e).toBeInstanceOf(EnsembleSizeError)
    expect(e._tag).toBe("EnsembleSizeError")
    expect(e.message).toContain("3 members but keys has 2; pass jax.random.split(key, 3)")
    const four = run(hk.ensemble(net, 4).init(jax.random.split(jax.random.key(0), 4), x))
    const e2 = run(Effect.flip(ens.apply(four as unknown as hk.Stacked<hk.ParamTree, 3>, null, x)))
    expect(e2).toBeInstanceOf(EnsembleSizeError)
    expect(run(Effect.catchTag(ens.init([jax.random.key(1)], x), "EnsembleSizeError", (err) => Effect.succeed(err.actual)))).toBe(1)
  })
})

describe("hk.vmap with per-collection axes", () => {
  const lin = (x: Tensor) => Effect.flatMap(hk.Linear(2, { bInit: hk.initializers.RandomNormal(1) }), (l) => l(x))

  it("axes { params: 0, rng: 'split' } in init creates one independently initialised Linear per row; apply maps row i to member i", () => {
    const f = (x: Tensor) => hk.vmap(lin, { axes: { params: 0, rng: "split" } })(x)
    const t = hk.transform(f)
    const x = randn(3, [4, 3])
    const p = run(t.init(jax.random.key(0), x))
    expect(p.linear!.w!.shape).toEqual([4, 3, 2])
    expect(p.linear!.b!.shape).toEqual([4, 2])
    const w = f64(p.linear!.w!)
    expect(Array.from(w.slice(0, 6))).not.toEqual(Array.from(w.slice(6, 12)))
    const y = run(t.apply(p, null, x))
    const xs = f64(x)
    const b = f64(p.linear!.b!)
    const ref = Array.from({ length: 8 }, (_, k) => {
      const [i, o] = [Math.floor(k / 2), k % 2]
      let s = b[i * 2 + o]!
      for (let d = 0; d < 3; d++) s += xs[i * 3 + d]! * w[(i * 3 + d) * 2 + o]!
      return s
    })
    assertAllclose(f64(y), ref, { atol: 1e-5 })
    // gradients reach every member's own slice
    const g = run(jax.grad((q: hk.ParamTree) => Effect.map(t.apply(q, null, x), (o) => jnp.sum(o)))(p))
    assertAllclose(f64(g.linear!.w!), Array.from({ length: 24 }, (_, k) => xs[Math.floor(k / 2)]!), { atol: 1e-5 })
  })

  it("params shared (the default) and mapped state: a per-element counter comes out stacked", () => {
    const count = (x: Tensor) =>
      Effect.gen(function* () {
        const n = yield* hk.getState("n", [], jnp.zeros)
        yield* hk.setState("n", jnp.add(n, jnp.sum(x)))
        return n
      })
    const f = (xs: Tensor) => hk.vmap(count, { axes: { state: 0, rng: "broadcast" } })(xs)
    const t = hk.transformWithState(f)
    const xs = jnp.array([[1, 2], [3, 4], [5, 6]])
    const [p, s0] = run(t.init(null, xs))
    expect(p).toEqual({})
    expect(s0["~"]!.n!.toArray()).toEqual([0, 0, 0])
    const [, s1] = run(t.apply(p, s0, null, xs))
    expect(s1["~"]!.n!.toArray()).toEqual([3, 7, 11])
    const [before, s2] = run(t.apply(p, s1, null, xs))
    expect(before.toArray()).toEqual([3, 7, 11])
    expect(s2["~"]!.n!.toArray()).toEqual([6, 14, 22])
  })

  it("mapping params that were created unstacked outside the vmap is a ShapeError naming the parameter and the fix", () => {
    const f = (x: Tensor) =>
      Effect.gen(function* () {
        const l = yield* hk.Linear(2)
        yield* l(x)
        return yield* hk.vmap(l, { axes: { params: 0, rng: "broadcast" } })(x)
      })
    const e = thrown(() => run(hk.transform(f).init(jax.random.key(0), jnp.ones([4, 3]))))
    expect(e).toBeInstanceOf(ShapeError)
    expect(e.message).toContain("axes.params is 0, so 'linear/w' is mapped over its leading axis, but it is f32[3,2] and the mapped size is 4")
  })

  it("the axes spec is typed: a wrong axis, a misspelt rng mode, a missing rng, or both splitRng and axes do not compile", () => {
    const typeOnly = () => {
      // @ts-expect-error params can be mapped over axis 0 only
      hk.vmap(lin, { axes: { params: 1, rng: "split" } })
      // @ts-expect-error "spilt" is not an rng mode
      hk.vmap(lin, { axes: { params: 0, rng: "spilt" } })
      // @ts-expect-error rng is required, like splitRng
      hk.vmap(lin, { axes: { params: 0 } })
      // @ts-expect-error splitRng and axes are exclusive
      hk.vmap(lin, { splitRng: true, axes: { rng: "split" } })
      // @ts-expect-error a collection Haiku does not have
      hk.vmap(lin, { axes: { rng: "split", weights: 0 } })
    }
    expect(typeof typeOnly).toBe("function")
  })
})
