/** Wrapped control flow: hk.scan, hk.map, hk.foriLoop, hk.whileLoop, hk.cond, hk.switch, hk.remat. */
import { describe, expect, it } from "vitest"
import fc from "fast-check"
import { Effect } from "effect"
import { hk, jax, jnp, type Tensor } from "../../src/index.js"
import { assertAllclose } from "../support/assertAllclose.js"
import { thrown, close } from "../support/effects.js"

const run = <A>(e: Effect.Effect<A, any, any>): A => Effect.runSync(e as Effect.Effect<A, any, never>)
const flat = (t: hk.ParamTree) => Object.entries(t).flatMap(([m, b]) => Object.entries(b).map(([n, v]) => [`${m}/${n}`, Array.from(v.toTypedArray())] as const))
const rows = (xs: Tensor) => Array.from({ length: xs.shape[0]! }, (_, i) => jnp.slice(xs, i))

/** An RNN cell: `h' = tanh(lin(h) + x)`, y = sum(h'), with a step counter in state and a key drawn per step. */
type Layer = (x: Tensor) => Effect.Effect<Tensor, never, hk.Params | hk.Rng>
const cell = (lin: Layer) => (h: Tensor, x: Tensor) =>
  Effect.gen(function* () {
    const h2 = jnp.tanh(jnp.add(yield* lin(h), x))
    const n = yield* hk.getState("steps", [], jnp.zeros)
    yield* hk.setState("steps", jnp.add(n, 1))
    const k = yield* hk.maybeNextRngKey()
    return [h2, [jnp.sum(h2), k === null ? jnp.zeros([2], "uint32") : k]] as const
  })

const scanned = (xs: Tensor) =>
  Effect.gen(function* () {
    const lin = yield* hk.Linear(3)
    const [h, [ys, keys]] = yield* hk.scan(cell(lin), jnp.zeros([3]), xs)
    return [h, ys, keys] as const
  })
const unrolled = (xs: Tensor) =>
  Effect.gen(function* () {
    const lin = yield* hk.Linear(3)
    let h = jnp.zeros([3])
    const ys: Tensor[] = []
    const keys: Tensor[] = []
    for (const x of rows(xs)) {
      const [h2, [y, k]] = yield* cell(lin)(h, x)
      h = h2
      ys.push(y)
      keys.push(k)
    }
    return [h, jnp.stack(ys), jnp.stack(keys)] as const
  })

describe("hk.scan", () => {
  it("hk.scan equals the unrolled loop inside a transform (values, params, state and keys)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 1000 }), (length, seed) => {
        const xs = jax.random.normal(jax.random.key(seed), [length, 3])
        const a = hk.transformWithState(scanned)
        const b = hk.transformWithState(unrolled)
        const [pa, sa] = run(a.init(seed, xs))
        const [pb, sb] = run(b.init(seed, xs))
        expect(flat(pa)).toEqual(flat(pb))
        expect(flat(sa)).toEqual(flat(sb))
        const [[ha, ya, ka], sa1] = run(a.apply(pa, sa, seed + 1, xs))
        const [[hb, yb, kb], sb1] = run(b.apply(pa, sa, seed + 1, xs))
        close(ha, hb)
        close(ya, yb)
        expect(ka.toArray()).toEqual(kb.toArray())
        expect(sa1["~"]!.steps!.item()).toBe(length)
        expect(flat(sa1)).toEqual(flat(sb1))
      }),
      { numRuns: 5 }
    )
  })

  it("grad through hk.scan equals grad through the unrolled loop (w.r.t. the params)", () => {
    const loss = (body: typeof scanned) => (xs: Tensor) => Effect.map(body(xs), ([h, ys]) => jnp.add(jnp.sum(jnp.square(h)), jnp.sum(ys)))
    const xs = jax.random.normal(jax.random.key(3), [4, 3])
    const a = hk.transformWithState(loss(scanned))
    const b = hk.transformWithState(loss(unrolled))
    const [params, state] = run(a.init(0, xs))
    const ga = run(jax.grad((p: hk.ParamTree) => Effect.map(a.apply(p, state, null, xs), ([l]) => l))(params)) as hk.ParamTree
    const gb = run(jax.grad((p: hk.ParamTree) => Effect.map(b.apply(p, state, null, xs), ([l]) => l))(params)) as hk.ParamTree
    close(ga.linear!.w!, gb.linear!.w!, 1e-4)
    close(ga.linear!.b!, gb.linear!.b!, 1e-4)
    expect(Math.abs(ga.linear!.w!.toTypedArray()[0]!)).toBeGreaterThan(0)
  })

  it("reverse runs from the last element and keeps ys in xs order, in init and in apply", () => {
    const f = (xs: Tensor) => hk.scan((c: Tensor, x: Tensor) => Effect.map(hk.getParameter("w", [], jnp.ones), (w) => [jnp.add(c, jnp.multiply(w, x)), c] as const), jnp.zeros([]), xs, { reverse: true })
    const seen: unknown[] = []
    const t = hk.transform((xs: Tensor) => Effect.tap(f(xs), ([c, ys]) => Effect.sync(() => seen.push([c.item(), ys.toArray()]))))
    const xs = jnp.array([1, 2, 3])
    run(t.apply(run(t.init(null, xs)), null, xs))
    expect(seen).toEqual([
      [6, [5, 3, 0]],
      [6, [5, 3, 0]]
    ])
  })

  it("length 0 runs f once on zeros during init (params created, ys empty); apply leaves the carry", () => {
    const f = (xs: Tensor) => hk.scan((c: Tensor, x: Tensor) => Effect.flatMap(hk.Linear(2), (l) => Effect.map(l(x), (y) => [c, y] as const)), jnp.ones([]), xs)
    const t = hk.transform(f)
    const xs = jnp.zeros([0, 4])
    const p = run(t.init(0, xs))
    expect(p.linear!.w!.shape).toEqual([4, 2])
    const [c, ys] = run(t.apply(p, null, xs))
    expect(c.item()).toBe(1)
    expect(ys.shape).toEqual([0, 2])
  })

  it("a body creating parameters after the first step is a NewParametersError naming them", () => {
    const f = (xs: Tensor) =>
      Effect.gen(function* () {
        let i = 0
        return yield* hk.scan(
          (c: Tensor, x: Tensor) =>
            Effect.map(hk.getParameter(`w${i++}`, [], jnp.ones), (w) => [jnp.add(c, jnp.multiply(w, x)), null] as const),
          jnp.zeros([]),
          xs
        )
      })
    const e = thrown(() => run(hk.transform(f).init(null, jnp.array([1, 2, 3]))))
    expect(e._tag).toBe("NewParametersError")
    expect(e.params).toEqual(["~/w1"])
    expect(e.message).toContain("New parameters were created: ['~/w1']")
  })

  it("a typed failure of the body is the failure of hk.scan (init and apply)", () => {
    class Boom {
      readonly _tag = "Boom"
    }
    const f = (xs: Tensor) => hk.scan((c: Tensor, x: Tensor) => Effect.flatMap(hk.getParameter("w", [], jnp.ones), (w) => (x.shape.length === 0 ? Effect.fail(new Boom()) : Effect.succeed([jnp.add(c, w), x] as const))), jnp.zeros([]), xs)
    const t = hk.transform(f)
    const xs = jnp.array([1, 2])
    expect(Effect.runSync(Effect.flip(t.init(null, xs)))).toBeInstanceOf(Boom)
    expect(Effect.runSync(Effect.flip(t.apply({ "~": { w: jnp.array(1) } }, null, xs)))).toBeInstanceOf(Boom)
  })

  it("a module constructed inside the body resolves to the same name on every step, and names after the scan match in init and apply", () => {
    const f = (xs: Tensor) =>
      Effect.gen(function* () {
        const [h] = yield* hk.scan((h: Tensor, x: Tensor) => Effect.flatMap(hk.Linear(2), (l) => Effect.map(l(jnp.add(h, x)), (y) => [y, null] as const)), jnp.zeros([2]), xs)
        return yield* Effect.flatMap(hk.Linear(2), (l) => l(h))
      })
    const t = hk.transform(f)
    const xs = jnp.ones([3, 2])
    const p = run(t.init(0, xs))
    expect(Object.keys(p)).toEqual(["linear", "linear_1"])
    expect(run(t.apply(p, null, xs)).shape).toEqual([2])
  })
})

describe("hk.scan composes", () => {
  const body = (l: Layer) => (h: Tensor, x: Tensor) => Effect.map(l(jnp.add(h, x)), (y) => [jnp.tanh(y), jnp.sum(y)] as const)
  const rnn = (xs: Tensor) => Effect.flatMap(hk.Linear(2), (l) => hk.scan(body(l), jnp.zeros([2]), xs))
  const xs = jax.random.normal(jax.random.key(9), [3, 2])

  it("hk.vmap(hk.scan) equals stacking hk.scan over the batch; hk.grad(hk.scan) runs", () => {
    const f = (xss: Tensor) =>
      Effect.gen(function* () {
        const l = yield* hk.Linear(2)
        const scanOf = (x: Tensor) => Effect.map(hk.scan(body(l), jnp.zeros([2]), x), ([h]) => h)
        const hs = yield* hk.vmap(scanOf, { splitRng: false })(xss)
        const looped = yield* Effect.forEach(rows(xss), scanOf)
        const g = yield* hk.grad((x: Tensor) => Effect.map(scanOf(x), jnp.sum))(jnp.slice(xss, 0))
        return [hs, jnp.stack(looped), g] as const
      })
    const t = hk.transform(f)
    const xss = jnp.stack([xs, jnp.multiply(xs, 2)])
    const p = run(t.init(0, xss))
    expect(Object.keys(p)).toEqual(["linear"])
    const [hs, looped, g] = run(t.apply(p, null, xss))
    close(hs, looped)
    expect(g.shape).toEqual([3, 2])
  })

  it("hk.vmap(hk.cond) with a batched predicate equals looping hk.cond", () => {
    const f = (xss: Tensor) =>
      Effect.gen(function* () {
        const l = yield* hk.Linear(2)
        yield* l(jnp.slice(xss, 0))
        const pick = (x: Tensor) => hk.cond(jnp.greater(jnp.sum(x), 0), l, (x: Tensor) => Effect.map(l(x), jnp.negative), x)
        return [yield* hk.vmap(pick, { splitRng: false })(xss), jnp.stack(yield* Effect.forEach(rows(xss), pick))] as const
      })
    const t = hk.transform(f)
    const xss = jnp.array([[1, 2], [-3, -1], [0.5, -2]])
    const [a, b] = run(t.apply(run(t.init(0, xss)), null, xss))
    close(a, b)
  })

  it("jax.jit and jax.vmap of an apply that uses hk.scan equal the plain apply", () => {
    const t = hk.transform(rnn)
    const p = run(t.init(0, xs))
    const [h] = run(t.apply(p, null, xs))
    close(run(jax.jit((xs: Tensor) => t.apply(p, null, xs))(xs))[0], h)
    close(jnp.slice(run(jax.vmap((xs: Tensor) => t.apply(p, null, xs))(jnp.stack([xs, xs])))[0], 1), h)
  })

  it("types: a stateful scan body makes the function need hk.State (hk.transform rejects it)", () => {
    const stateful = (xs: Tensor) => hk.scan((c: Tensor, x: Tensor) => Effect.as(hk.setState("s", x), [c, x] as const), jnp.zeros([]), xs)
    // @ts-expect-error hk.transform: f uses hk.State … use hk.transformWithState(f)
    hk.transform(stateful)
    expect(hk.transformWithState(stateful).kind).toBe("TransformedWithState")
  })
})

describe("hk.map / hk.foriLoop / hk.whileLoop", () => {
  it("hk.map(f)(xs) equals stacking f over the rows, with shared params", () => {
    const f = (xs: Tensor) =>
      Effect.gen(function* () {
        const lin = yield* hk.Linear(2)
        return [yield* hk.map((x: Tensor) => lin(x), xs), jnp.stack(yield* Effect.forEach(rows(xs), (x) => lin(x)))] as const
      })
    const t = hk.transform(f)
    const xs = jax.random.normal(jax.random.key(2), [3, 4])
    const [a, b] = run(t.apply(run(t.init(0, xs)), null, xs))
    close(a, b)
  })

  it("hk.foriLoop equals the unrolled loop (first iteration unrolled in init; params created once)", () => {
    const body = (lin: Layer) => (i: Tensor, x: Tensor) => Effect.map(lin(x), (y) => jnp.add(jnp.tanh(y), jnp.astype(i, "float32")))
    const f = (x: Tensor) =>
      Effect.gen(function* () {
        const lin = yield* hk.Linear(3)
        const looped = yield* hk.foriLoop(1, 4, body(lin), x)
        let y = x
        for (let i = 1; i < 4; i++) y = yield* body(lin)(jnp.array(i, { dtype: "int32" }), y)
        return [looped, y] as const
      })
    const t = hk.transform(f)
    const x = jnp.array([0.1, 0.2, 0.3])
    const p = run(t.init(0, x))
    expect(Object.keys(p)).toEqual(["linear"])
    const [a, b] = run(t.apply(p, null, x))
    close(a, b)
  })

  it("hk.whileLoop in init is rejected with Haiku's message; in apply it loops", () => {
    const f = (x: Tensor) =>
      Effect.gen(function* () {
        const w = yield* hk.getParameter("w", [], jnp.ones)
        return yield* hk.whileLoop((v: Tensor) => jnp.less(v, 10), (v: Tensor) => jnp.add(v, w), x)
      })
    const e = thrown(() => run(hk.transform(f).init(null, jnp.array(0))))
    expect(e._tag).toBe("WrappedTransformError")
    expect(e.message).toContain("hk.whileLoop does not support initialization (since we cannot statically determine if your loop will run at least once)")
    const g = (x: Tensor) =>
      Effect.gen(function* () {
        const w = yield* hk.getParameter("w", [], jnp.ones)
        if (yield* hk.runningInit()) return jnp.add(x, w)
        return yield* hk.whileLoop((v: Tensor) => jnp.less(v, 10), (v: Tensor) => jnp.add(v, w), x)
      })
    const t = hk.transform(g)
    expect(run(t.apply({ "~": { w: jnp.array(3) } }, null, jnp.array(0))).item()).toBe(12)
  })

  it("hk.whileLoop threads state through the body; a cond that sets state is Haiku's error", () => {
    const body = (v: Tensor) => Effect.flatMap(hk.getState("n", [], jnp.zeros), (n) => Effect.as(hk.setState("n", jnp.add(n, 1)), jnp.multiply(v, 2)))
    const t = hk.transformWithState((x: Tensor) => hk.whileLoop((v: Tensor) => jnp.less(v, 20), body, x))
    const [out, s] = run(t.apply({}, { "~": { n: jnp.array(0) } }, null, jnp.array(1)))
    expect(out.item()).toBe(32)
    expect(s["~"]!.n!.item()).toBe(5)
    const bad = hk.transformWithState((x: Tensor) => hk.whileLoop((v: Tensor) => Effect.as(hk.setState("n", v), jnp.less(v, 20)), (v: Tensor) => jnp.add(v, 1), x))
    const e = thrown(() => run(bad.apply({}, { "~": { n: jnp.array(0) } }, null, jnp.array(1))))
    expect(e.message).toContain("`hk.whileLoop` does not support `hk.setState`, `hk.nextRngKey` (et al) in `cond`")
  })
})

describe("hk.cond / hk.switch", () => {
  const counter = (by: number) => (x: Tensor) =>
    Effect.gen(function* () {
      const n = yield* hk.getState("n", [], jnp.zeros)
      yield* hk.setState("n", jnp.add(n, by))
      return jnp.multiply(x, by)
    })

  it("hk.cond picks the branch and threads state (the taken branch's update wins)", () => {
    const t = hk.transformWithState((p: Tensor, x: Tensor) => Effect.andThen(hk.getState("n", [], jnp.zeros), hk.cond(p, counter(10), counter(1), x)))
    const [params, s0] = run(t.init(null, jnp.array(true), jnp.array(2)))
    const [y1, s1] = run(t.apply(params, s0, null, jnp.array(true), jnp.array(2)))
    expect([y1.item(), s1["~"]!.n!.item()]).toEqual([20, 10])
    const [y2, s2] = run(t.apply(params, s1, null, jnp.array(false), jnp.array(2)))
    expect([y2.item(), s2["~"]!.n!.item()]).toEqual([2, 11])
  })

  it("hk.cond: branches creating the same params is fine; params in only one branch is a BranchStructureError suggesting hk.runningInit()", () => {
    const lin = (x: Tensor) => Effect.flatMap(hk.Linear(2), (l) => l(x))
    const same = hk.transform((x: Tensor) => hk.cond(true, lin, lin, x))
    expect(run(same.init(0, jnp.ones([3]))).linear!.w!.shape).toEqual([3, 2])
    const one = hk.transform((x: Tensor) => hk.cond(jnp.array(true), lin, (x: Tensor) => Effect.succeed(jnp.zeros([2])), x))
    const e = thrown(() => run(one.init(0, jnp.ones([3]))))
    expect(e._tag).toBe("BranchStructureError")
    expect(e.created).toEqual({ falseFn: [], trueFn: ["linear/b", "linear/w"] })
    expect(e.message).toContain("hk.runningInit()")
  })

  it("hk.switch runs branches[index] and threads rng", () => {
    const branches = [counter(1), counter(2), counter(3)]
    const t = hk.transformWithState((i: Tensor, x: Tensor) => Effect.andThen(hk.getState("n", [], jnp.zeros), hk.switch(i, branches, x)))
    const [p, s] = run(t.init(null, jnp.array(0, { dtype: "int32" }), jnp.array(1)))
    for (const i of [0, 1, 2]) {
      const [y, s1] = run(t.apply(p, s, null, jnp.array(i, { dtype: "int32" }), jnp.array(1)))
      expect([y.item(), s1["~"]!.n!.item()]).toEqual([i + 1, i + 1])
    }
    const draw = hk.transform((i: Tensor) => Effect.zip(hk.switch(i, [() => hk.nextRngKey(), () => Effect.succeed(jnp.zeros([2], "uint32"))]), hk.nextRngKey()))
    const direct = run(hk.transform(() => Effect.zip(hk.nextRngKey(), hk.nextRngKey())).apply(null, 7))
    const [k0, after] = run(draw.apply(null, 7, jnp.array(0, { dtype: "int32" })))
    expect([k0.toArray(), after.toArray()]).toEqual([direct[0].toArray(), direct[1].toArray()])
  })
})

describe("hk.remat", () => {
  it("hk.remat(f) gives the same value and gradient as f; names are shared with the outer frame", () => {
    const mlp = (x: Tensor) => Effect.flatMap(hk.nets.MLP([4, 2]), (m) => m(x))
    const loss = (g: (x: Tensor) => Effect.Effect<Tensor, never, hk.Params | hk.Rng | hk.Naming>) => (x: Tensor) =>
      Effect.gen(function* () {
        const y = yield* g(x)
        const z = yield* Effect.flatMap(hk.Linear(1), (l) => l(y))
        return jnp.sum(jnp.square(z))
      })
    const a = hk.transform(loss(hk.remat(mlp)))
    const b = hk.transform(loss(mlp))
    const x = jax.random.normal(jax.random.key(5), [2, 3])
    const p = run(a.init(1, x))
    expect(flat(p)).toEqual(flat(run(b.init(1, x))))
    expect(run(a.apply(p, null, x)).item()).toBeCloseTo(run(b.apply(p, null, x)).item(), 5)
    const ga = run(jax.grad((q: hk.ParamTree) => a.apply(q, null, x))(p)) as hk.ParamTree
    const gb = run(jax.grad((q: hk.ParamTree) => b.apply(q, null, x))(p)) as hk.ParamTree
    for (const [m, bundle] of Object.entries(gb)) for (const [n, v] of Object.entries(bundle)) close(ga[m]![n]!, v, 1e-4)
  })
})

describe("outside a transform", () => {
  const id = (x: Tensor) => Effect.succeed(x)
  const cases: Array<[string, string, () => Effect.Effect<unknown, any, any>]> = [
    ["hk.scan", "jax.lax.scan", () => hk.scan((c: Tensor, x: Tensor) => Effect.succeed([c, x] as const), jnp.zeros([]), jnp.ones([2]))],
    ["hk.map", "jax.lax.map", () => hk.map(id, jnp.ones([2]))],
    ["hk.foriLoop", "jax.lax.foriLoop", () => hk.foriLoop(0, 2, (_i: Tensor, x: Tensor) => Effect.succeed(x), jnp.ones([]))],
    ["hk.whileLoop", "jax.lax.whileLoop", () => hk.whileLoop((x: Tensor) => jnp.less(x, 1), id, jnp.ones([]))],
    ["hk.cond", "jax.lax.cond", () => hk.cond(true, id, id, jnp.ones([]))],
    ["hk.switch", "jax.lax.switch", () => hk.switch(0, [id], jnp.ones([]))],
    ["hk.remat", "jax.checkpoint", () => hk.remat(id)(jnp.ones([]))],
    ["hk.layerStack", "jax.lax.scan", () => hk.layerStack(2)(id)(jnp.ones([]))]
  ]
  it.each(cases)("%s outside a transform fails with Haiku's message", (api, jaxName, make) => {
    const e = thrown(() => run(make()))
    expect(e._tag).toBe("HaikuContextError")
    expect(e.message).toContain(`${api}() should not be used outside of hk.transform(). Use ${jaxName}() instead`)
  })
})
