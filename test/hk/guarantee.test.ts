/**
 * The run-time half of the headline guarantee (issue 10): what TypeScript cannot see is an
 * UnexpectedTracerError or a typed error naming the fix, never a silent wrong result. And the
 * split of Haiku's errors: those caused by init/apply's arguments are typed failures (`catchTag`
 * works), those only a code change can fix stay defects.
 */
import { describe, expect, it } from "vitest"
import { Cause, Context, Effect, Exit, Layer } from "effect"
import { hk, jax, jnp, type Tensor } from "../../src/index.js"
import { run, thrown } from "../support/effects.js"

const key = jax.random.key(0)
const x = jnp.ones([2, 3])
const linear = (z: Tensor) => Effect.flatMap(hk.Linear(2), (l) => l(z))

/** The error an Effect dies with (fails the test if it succeeds or fails with a typed error). */
const defectOf = (e: Effect.Effect<unknown, unknown, never>): any => {
  const exit = Effect.runSyncExit(e)
  if (Exit.isSuccess(exit)) throw new Error("expected a defect, the effect succeeded")
  if (Cause.hasFails(exit.cause)) throw new Error(`expected a defect, got a typed failure: ${String(Cause.squash(exit.cause))}`)
  return Cause.squash(exit.cause)
}

describe("a captured context cannot carry Haiku effects into a raw transform", () => {
  it("Effect.provideContext of a captured context inside jax.evalShape is UnexpectedTracerError naming hk.evalShape (was: params full of JaxprTracers)", () => {
    const f = (z0: Tensor) =>
      Effect.gen(function* () {
        const net = yield* hk.nets.MLP([4])
        const ctx = yield* Effect.context<hk.Params | hk.Rng | hk.Naming>()
        return yield* jax.evalShape((z: Tensor) => Effect.provideContext(net(z), ctx), z0)
      })
    const e = defectOf(hk.transform(f).init(key, x))
    expect(e._tag).toBe("UnexpectedTracerError")
    expect(e.message).toContain("hk.getParameter was called inside the raw jax.evalShape: use hk.evalShape(f, ...args) instead")
  })

  it("a module turned into a service with Layer.effect, called inside jax.vmap, is UnexpectedTracerError naming hk.vmap", () => {
    class Net extends Context.Service<Net, (z: Tensor) => Effect.Effect<Tensor>>()("test/Net") {}
    const NetLive = Layer.effect(
      Net,
      Effect.gen(function* () {
        const ctx = yield* Effect.context<hk.Params | hk.Rng | hk.Naming>()
        const mlp = yield* hk.nets.MLP([4])
        return (z: Tensor) => Effect.provideContext(mlp(z), ctx)
      })
    )
    const g = (z: Tensor) =>
      Effect.gen(function* () {
        const net = yield* Net
        return yield* jax.vmap((r: Tensor) => net(r))(z)
      }).pipe(Effect.provide(NetLive))
    const e = defectOf(hk.transform(g).init(key, x))
    expect(e._tag).toBe("UnexpectedTracerError")
    expect(e.message).toContain("inside the raw jax.vmap: use hk.vmap(f, { splitRng }) instead")
  })

  it("hk.setState through a captured context under jax.vmap is UnexpectedTracerError (was: a BatchTracer in the returned state)", () => {
    const h = (z: Tensor) =>
      Effect.gen(function* () {
        const ctx = yield* Effect.context<hk.State>()
        yield* jax.vmap((r: Tensor) => Effect.as(Effect.provideContext(hk.setState("s", r), ctx), r))(z)
        return z
      })
    const e = defectOf(hk.transformWithState(h).apply({}, {}, null, x))
    expect(e._tag).toBe("UnexpectedTracerError")
    expect(e.message).toContain("hk.setState was called inside the raw jax.vmap")
  })

  it("a context captured inside jax.vmap(t.apply) and used after it returned is UnexpectedTracerError (the frame's trace is gone)", () => {
    let captured: Context.Context<hk.Params> | null = null
    const f = (z: Tensor) =>
      Effect.gen(function* () {
        captured = yield* Effect.context<hk.Params>()
        return yield* linear(z)
      })
    const t = hk.transform(f)
    const params = run(t.init(key, x))
    run(jax.vmap(t.apply, { inAxes: [null, null, 0] })(params, null, jnp.ones([4, 2, 3])))
    const e = thrown(() => Effect.runSync(Effect.provideContext(hk.getParameter("w", [3, 2]), captured!)))
    expect(e._tag).toBe("UnexpectedTracerError")
    expect(e.message).toContain("raw transform traced and that has returned")
  })

  it("raw transforms inside a transform still work on pure functions and on a lifted apply (no false alarm)", () => {
    const f = (z: Tensor) =>
      Effect.gen(function* () {
        const inner = hk.transform(linear)
        const p = yield* hk.lift(inner.init, { name: "inner" })(yield* hk.nextRngKey(), z)
        const y = yield* jax.vmap(inner.apply, { inAxes: [null, null, 0] })(p, null, jnp.stack([z, z]))
        return jax.vmap((r: Tensor) => jnp.sin(r))(y)
      })
    const t = hk.transform(f)
    const params = run(t.init(key, x))
    expect(Object.keys(params)).toEqual(["inner/linear"])
    expect(run(t.apply(params, key, x)).shape).toEqual([2, 2, 2])
  })
})

describe("init/apply reject tracers that leaked into what they return, naming the path", () => {
  it("an initializer returning a leaked tracer: init fails naming params[\"~\"][\"w\"]", () => {
    let leaked: Tensor | null = null
    jax.vmap((r: Tensor) => {
      leaked = r
      return r
    })(jnp.ones([3, 2]))
    const e = defectOf(hk.transform(() => hk.getParameter("w", [2], () => leaked!)).init(null))
    expect(e._tag).toBe("UnexpectedTracerError")
    expect(e.message).toContain('hk.transform(f).init returned a value traced by jax.vmap at params["~"]["w"]')
  })

  it("an output holding a leaked tracer: apply fails naming output[1]", () => {
    let leaked: Tensor | null = null
    jax.jit((r: Tensor) => {
      leaked = r
      return r
    })(jnp.ones([2]))
    const e = defectOf(hk.transform((z: Tensor) => Effect.succeed([z, leaked!] as const)).apply({}, null, x))
    expect(e._tag).toBe("UnexpectedTracerError")
    expect(e.message).toContain("at output[1]")
  })

  it("reading a leaked tracer's data is UnexpectedTracerError, not a ConcretizationError claiming a transform is running", () => {
    let leaked: Tensor | null = null
    jax.vmap((r: Tensor) => {
      leaked = r
      return r
    })(jnp.ones([3, 2]))
    const e = thrown(() => leaked!.toArray())
    expect(e._tag).toBe("UnexpectedTracerError")
    expect(e.message).toContain("a value traced by jax.vmap was used after jax.vmap returned (toArray() was called on it)")
    const live = thrown(() => jax.jit((r: Tensor) => jnp.add(r, r.item()))(jnp.ones([1])))
    expect(live._tag).toBe("ConcretizationError")
    expect(live.message).toContain("inside a transform")
  })
})

describe("a nested init without hk.lift is detected across fibers", () => {
  const inner = hk.transform(linear)

  it("Effect.runSync(inner.init(…)) in the outer body is NestedTransformError (was: outer params {}, inner ones dropped)", () => {
    const outer = (z: Tensor) => Effect.sync(() => Object.keys(Effect.runSync(inner.init(key, z))))
    const e = thrown(() => Effect.runSync(hk.transform(outer).init(key, x)))
    expect(e._tag).toBe("NestedTransformError")
    expect(e.message).toContain("Use hk.lift(inner.init, { name })")
  })

  it("hk.unregistered is the explicit escape hatch, also in a fiber of its own", () => {
    let innerKeys: string[] = []
    const outer = (z: Tensor) =>
      Effect.sync(() => {
        innerKeys = Object.keys(Effect.runSync(hk.unregistered(inner.init)(key, z)))
        return z
      })
    expect(run(hk.transform(outer).init(key, x))).toEqual({})
    expect(innerKeys).toEqual(["linear"])
  })

  it("an init Effect built inside a transform but run after it finished is an ordinary init", () => {
    let built: Effect.Effect<hk.ParamTree, hk.InitError> | null = null
    run(hk.transform((z: Tensor) => Effect.sync(() => void (built = inner.init(key, z)))).init(key, x))
    expect(Object.keys(run(built!))).toEqual(["linear"])
  })
})

describe("raw transforms at run time, for plain-JS callers", () => {
  const usesW = (r: Tensor) => Effect.map(hk.getParameter("w", [3], jnp.ones), (w) => jnp.multiply(w, r))

  it("jax.lax.map of a Haiku-effectful function names hk.map", () => {
    const e = defectOf(hk.transform((z: Tensor) => (jax.lax.map as any)(usesW, z) as Effect.Effect<Tensor>).init(key, x))
    expect(e._tag).toBe("UnexpectedTracerError")
    expect(e.message).toContain("hk.getParameter was called inside the raw jax.lax.map: use hk.map(f, xs) instead")
  })

  it("jax.makeJaxpr of a Haiku-effectful function names the transform-then-trace pattern", () => {
    const e = defectOf(hk.transform((z: Tensor) => Effect.sync(() => (jax.makeJaxpr as any)(usesW)(z))).init(key, x))
    expect(e._tag).toBe("UnexpectedTracerError")
    expect(e.message).toContain("use hk.transform(f) and jax.makeJaxpr its init/apply instead")
  })

  it("an Effect inside the output, or a Promise, is a TransformArgumentError saying what to return", () => {
    const nested = thrown(() => (jax.vmap as any)((r: Tensor) => [Effect.succeed(r), r])(x))
    expect(nested._tag).toBe("TransformArgumentError")
    expect(nested.message).toContain("jax.vmap: the function returned an Effect inside its output (a leaf of an object or array), which jax.vmap never runs. Return the Effect itself")
    const promise = thrown(() => (jax.vmap as any)(async (r: Tensor) => r)(x))
    expect(promise._tag).toBe("TransformArgumentError")
    expect(promise.message).toContain("returned a Promise (is it async?)")
  })

  it("jax.lax.whileLoop / foriLoop take pure Effect bodies and return an Effect with the same value as plain bodies", () => {
    const plainW = jax.lax.whileLoop((v) => jnp.less(jnp.sum(v), 10), (v) => jnp.add(v, 1), jnp.zeros([2]))
    const effW = jax.lax.whileLoop((v: Tensor) => Effect.succeed(jnp.less(jnp.sum(v), 10)), (v: Tensor) => Effect.succeed(jnp.add(v, 1)), jnp.zeros([2]))
    expect(run(effW).toArray()).toEqual(plainW.toArray())
    expect(plainW.toArray()).toEqual([5, 5])
    const plainF = jax.lax.foriLoop(0, 3, (i, v: Tensor) => jnp.add(v, jnp.astype(i, "float32")), jnp.zeros([2]))
    const effF = jax.lax.foriLoop(0, 3, (i: Tensor, v: Tensor) => Effect.succeed(jnp.add(v, jnp.astype(i, "float32"))), jnp.zeros([2]))
    expect(run(effF).toArray()).toEqual(plainF.toArray())
    expect(plainF.toArray()).toEqual([3, 3])
    const tracedBounds = jax.lax.foriLoop(jnp.array(0, { dtype: "int32" }), jnp.array(4, { dtype: "int32" }), (_i: Tensor, v: Tensor) => Effect.succeed(jnp.add(v, 1)), jnp.zeros([1]))
    expect(run(tracedBounds).toArray()).toEqual([4])
  })

  it("a typed failure of a loop body is the loop's typed failure", () => {
    class Stop extends Error {
      readonly _tag = "Stop"
    }
    const loop = jax.lax.whileLoop((v: Tensor) => jnp.less(jnp.sum(v), 10), (_v: Tensor) => Effect.fail(new Stop()) as Effect.Effect<Tensor, Stop>, jnp.zeros([2]))
    expect(run(Effect.catchTag(loop, "Stop", () => Effect.succeed("stopped")))).toBe("stopped")
  })
})

describe("typed failures: errors caused by init/apply's arguments are in E", () => {
  const t = hk.transform(linear)
  const params = run(t.init(key, x))

  const caught = <A>(e: Effect.Effect<A, { readonly _tag: string }>) => run(Effect.catch(Effect.map(e, () => "ok"), (err) => Effect.succeed(err._tag)))

  it("apply with params from another model: catchTag('MissingParameterError') fires, with module and name", () => {
    const out = run(t.apply({}, null, x).pipe(Effect.catchTag("MissingParameterError", (e) => Effect.succeed(`${e.module}/${e.name}`))))
    expect(out).toBe("linear/w")
  })

  it("apply with mis-shaped params is ParameterShapeError; a null key where randomness is needed is MissingRngError; a bad key InvalidKeyError; a non-tree InvalidParamsError", () => {
    expect(caught(t.apply({ linear: { w: jnp.ones([4, 2]), b: jnp.ones([2]) } }, null, x))).toBe("ParameterShapeError")
    expect(caught(hk.transform(() => hk.nextRngKey()).apply({}, null))).toBe("MissingRngError")
    expect(caught(t.apply(params, "key" as any, x))).toBe("InvalidKeyError")
    expect(caught(t.apply([] as any, null, x))).toBe("InvalidParamsError")
    expect(caught(t.apply(params, null, x))).toBe("ok")
  })

  it("init with a null key where an initializer needs one is MissingRngError; transformWithState's apply with a state missing a value is MissingStateError", () => {
    expect(caught(t.init(null, x))).toBe("MissingRngError")
    const counter = hk.transformWithState(() => Effect.flatMap(hk.getState("n"), (n) => hk.setState("n", jnp.add(n, 1))))
    expect(caught(counter.apply({}, {}, null))).toBe("MissingStateError")
    expect(caught(counter.apply({}, { "~": { n: jnp.zeros([]) } }, null))).toBe("ok")
  })

  it("the typed failure crosses jax.vmap(t.apply), jax.jit(t.apply) and hk.* wrappers", () => {
    expect(caught(jax.vmap(t.apply, { inAxes: [null, null, 0] })({}, null, jnp.ones([4, 2, 3])))).toBe("MissingParameterError")
    expect(caught(jax.jit(t.apply)({}, null, x))).toBe("MissingParameterError")
    const wrapped = hk.transform((z: Tensor) => hk.vmap(linear, { splitRng: false })(z))
    expect(caught(wrapped.apply({}, null, jnp.ones([4, 2, 3])))).toBe("MissingParameterError")
  })

  it("code bugs stay defects: NestedTransformError, UnexpectedTracerError, NonEmptyStateError", () => {
    const nested = hk.transform((z: Tensor) => Effect.sync(() => Effect.runSync(t.init(key, z))))
    expect(defectOf(nested.init(key, x))._tag).toBe("NestedTransformError")
    const leak = hk.transform((z: Tensor) => (jax.vmap as any)(linear)(z) as Effect.Effect<Tensor>)
    expect(defectOf(leak.init(key, x))._tag).toBe("UnexpectedTracerError")
    const stateful = hk.transform((() => hk.setState("s", jnp.zeros([]))) as unknown as () => Effect.Effect<void>)
    expect(defectOf(stateful.init(null))._tag).toBe("NonEmptyStateError")
  })
})

describe("the handlers' type guards have run-time counterparts", () => {
  it("hk.multiTransformWithState: init returns [params, initial state]; each apply returns [out, current state]", () => {
    const t = hk.multiTransformWithState(() =>
      Effect.map(hk.Linear(2, { name: "enc" }), (enc) => {
        const step = (z: Tensor) => Effect.flatMap(hk.getState("n", [], jnp.zeros), (n) => Effect.as(hk.setState("n", jnp.add(n, 1)), z))
        const encode = (z: Tensor) => Effect.andThen(step(z), enc(z))
        return [encode, { encode, count: step }] as const
      })
    )
    const [p, s0] = run(t.init(key, x))
    expect(Object.keys(p)).toEqual(["enc"])
    expect(s0["~"]!.n!.item()).toBe(0)
    const [y, s1] = run(t.apply.encode(p, s0, null, x))
    expect(y.shape).toEqual([2, 2])
    expect(s1["~"]!.n!.item()).toBe(1)
    const [, s2] = run(t.apply.count(p, s1, null, x))
    expect(s2["~"]!.n!.item()).toBe(2)
  })

  it("hk.multiTransform of a stateful function (past the compile error) names hk.multiTransformWithState, which exists", () => {
    const stateful = (() => Effect.succeed([() => hk.setState("s", jnp.zeros([])), {}] as const)) as unknown as () => Effect.Effect<readonly [() => Effect.Effect<void>, {}]>
    const e = defectOf(hk.multiTransform(stateful).init(null))
    expect(e._tag).toBe("NonEmptyStateError")
    expect(e.message).toContain("hk.multiTransformWithState")
    expect(typeof hk.multiTransformWithState).toBe("function")
  })

  it("a Sequential built from a dynamic hk.Layer[] list transforms and applies", () => {
    const f = (z: Tensor) =>
      Effect.gen(function* () {
        const layers: hk.Layer[] = []
        for (const n of [4, 2]) layers.push(yield* hk.Linear(n))
        layers.push(jax.nn.relu)
        return yield* (yield* hk.Sequential(layers))(z)
      })
    const t = hk.transform(f)
    const p = run(t.init(key, x))
    expect(Object.keys(p)).toEqual(["linear", "linear_1"])
    expect(run(t.apply(p, null, x)).shape).toEqual([2, 2])
  })
})
