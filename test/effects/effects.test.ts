/**
 * Haiku's effects and handlers: parameters, state, rng (PRNGSequence semantics), naming, and
 * the error cases with their messages.
 */
import { describe, expect, it } from "vitest"
import { Effect } from "effect"
import { hk, jax, jnp, type Tensor } from "../../src/index.js"
import { thrown, run } from "../support/effects.js"

const keysEqual = (a: Tensor, b: Tensor) => expect(Array.from(a.toTypedArray())).toEqual(Array.from(b.toTypedArray()))

describe("getParameter", () => {
  const f = () => Effect.zipWith(hk.getParameter("w", [2], jnp.ones), hk.getParameter("w", [2], jnp.zeros), (a, b) => [a, b] as const)

  it("creates top-level params under '~' in init and returns the identical tensor for the same name", () => {
    const { init, apply } = hk.transform(f)
    const params = run(init(null))
    expect(Object.keys(params)).toEqual(["~"])
    expect(params["~"]!.w!.toArray()).toEqual([1, 1])
    const [a, b] = run(apply(params, null))
    expect(a).toBe(b)
    expect(a).toBe(params["~"]!.w)
  })

  it("in apply, a missing parameter is MissingParameterError with Haiku's text (even when the init would need an rng)", () => {
    const { apply } = hk.transform(() => hk.getParameter("w", [2], hk.initializers.RandomNormal()))
    const e = thrown(() => run(apply({}, null)))
    expect(e._tag).toBe("MissingParameterError")
    expect(e.message).toContain("Unable to retrieve parameter 'w' for module '~' All parameters must be created as part of `init`.")
    expect([e.name, e.module]).toEqual(["w", "~"])
  })

  it("a shape mismatch is ParameterShapeError naming both shapes", () => {
    const { apply } = hk.transform(() => hk.getParameter("w", [2], jnp.ones))
    const e = thrown(() => run(apply({ "~": { w: jnp.ones([1]) } }, null)))
    expect(e._tag).toBe("ParameterShapeError")
    expect(e.message).toContain("'~/w' with retrieved shape [1] does not match shape=[2]")
  })

  it("no initializer is needed once the parameter exists; 'Initializer must be specified.' otherwise", () => {
    const t = hk.transform(() => hk.getParameter("w", [2]))
    expect(run(t.apply({ "~": { w: jnp.ones([2]) } }, null)).shape).toEqual([2])
    const e = thrown(() => run(t.init(null)))
    expect(e._tag).toBe("MissingInitializerError")
    expect(e.message).toContain("Initializer must be specified.")
  })

  it("outside a transform it dies with HaikuContextError (Haiku's `must be used as part of an hk.transform`)", () => {
    const e = thrown(() => Effect.runSync(hk.getParameter("w", [2], jnp.ones) as Effect.Effect<Tensor>))
    expect(e._tag).toBe("HaikuContextError")
    expect(e.message).toContain("`hk.getParameter` must be used as part of an `hk.transform`")
  })

  it("a key like __proto__ is plain data in the param tree (no prototype is touched)", () => {
    const f = (x: Tensor) => Effect.flatMap(hk.Linear(2, { name: "__proto__" }), (l) => l(x))
    const { init, apply } = hk.transform(f)
    const params = run(init(0, jnp.ones([1, 3])))
    expect(Object.keys(params)).toEqual(["__proto__"])
    expect(Object.getPrototypeOf(params)).toBe(Object.prototype)
    expect(run(apply(params, null, jnp.ones([1, 3]))).shape).toEqual([1, 2])
    expect(({} as any).w).toBeUndefined()
  })

  it("runningInit is true in init and false in apply", () => {
    const { init, apply } = hk.transformWithState(() => Effect.flatMap(hk.runningInit(), (r) => hk.setState("r", jnp.array(r ? 1 : 0))))
    const [p, s0] = run(init(null))
    expect(s0["~"]!.r!.item()).toBe(1)
    expect(run(apply(p, s0, null))[1]["~"]!.r!.item()).toBe(0)
  })
})

describe("state", () => {
  const counter = () =>
    Effect.gen(function* () {
      const n = yield* hk.getState("n", [], jnp.zeros, { dtype: "int32" })
      yield* hk.setState("n", jnp.add(n, jnp.array(1, { dtype: "int32" })))
      return n
    })

  it("init returns the initial state (setState keeps initial); apply returns the current", () => {
    const { init, apply } = hk.transformWithState(counter)
    const [params, s0] = run(init(null))
    expect(params).toEqual({})
    expect(s0["~"]!.n!.item()).toBe(0)
    const [out, s1] = run(apply(params, s0, null))
    expect(out.item()).toBe(0)
    expect(s1["~"]!.n!.item()).toBe(1)
  })

  it("n applies of a counter give n", () => {
    const { init, apply } = hk.transformWithState(counter)
    let [params, state] = run(init(null))
    for (let i = 0; i < 5; i++) state = run(apply(params, state, null))[1]
    expect(state["~"]!.n!.item()).toBe(5)
  })

  it("getState creates missing state in apply, unlike params", () => {
    const { apply } = hk.transformWithState(counter)
    expect(run(apply({}, {}, null))[1]["~"]!.n!.item()).toBe(1)
  })

  it("missing init / shape give Haiku's texts", () => {
    const noInit = hk.transformWithState(() => hk.getState("s"))
    expect(thrown(() => run(noInit.init(null))).message).toContain("No value for 's' in '~', perhaps set an init function?")
    const noShape = hk.transformWithState(() => hk.getState("s", undefined, jnp.zeros))
    expect(thrown(() => run(noShape.init(null))).message).toContain("Must provide shape and dtype to initialize 's' in '~'")
  })

  it("state under hk.transform (a cast past the compile error) dies with NonEmptyStateError naming transformWithState", () => {
    const { init } = hk.transform(counter as any)
    const e = thrown(() => run(init(null) as Effect.Effect<unknown>))
    expect(e._tag).toBe("NonEmptyStateError")
    expect(e.message).toContain("hk.transformWithState")
  })
})

describe("rng: Haiku's PRNGSequence semantics", () => {
  it("the first key from key k is split(k, 2)[1]; the second comes from splitting split(k,2)[0]", () => {
    const k = jax.random.key(42)
    const [a, b] = run(hk.transform(() => Effect.zip(hk.nextRngKey(), hk.nextRngKey())).apply(null, k))
    const s1 = jax.random.split(k, 2)
    keysEqual(a, jnp.slice(s1, 1))
    keysEqual(b, jnp.slice(jax.random.split(jnp.slice(s1, 0) as jax.random.Key, 2), 1))
  })

  it("a number seed is jax.random.key(seed)", () => {
    const t = hk.transform(() => hk.nextRngKey())
    keysEqual(run(t.apply(null, 3)), run(t.apply(null, jax.random.key(3))))
  })

  it("maybeNextRngKey is null without a key and equals nextRngKey with one", () => {
    expect(run(hk.transform(() => hk.maybeNextRngKey()).apply(null, null))).toBeNull()
    keysEqual(run(hk.transform(() => hk.maybeNextRngKey()).apply(null, 1))!, run(hk.transform(() => hk.nextRngKey()).apply(null, 1)))
  })

  it("nextRngKey without a key is MissingRngError with Haiku's text", () => {
    const e = thrown(() => run(hk.transform(() => hk.nextRngKey()).apply(null, null)))
    expect(e._tag).toBe("MissingRngError")
    expect(e.message).toContain("You must pass a non-null PRNGKey to init and/or apply if you make use of random numbers")
  })

  it("nextRngKeys(n) has shape [n, 2]; reserveRngKeys(n) then n draws equals nextRngKeys(n)", () => {
    const keys = run(hk.transform(() => hk.nextRngKeys(3)).apply(null, 0))
    expect(keys.shape).toEqual([3, 2])
    const drawn = run(hk.transform(() => Effect.andThen(hk.reserveRngKeys(3), Effect.all([hk.nextRngKey(), hk.nextRngKey(), hk.nextRngKey()]))).apply(null, 0))
    keysEqual(jnp.stack(drawn), keys)
  })

  it("withRng draws from its own key for its extent", () => {
    const f = () => Effect.zip(hk.withRng(jax.random.key(9), hk.nextRngKey()), hk.nextRngKey())
    const [inside, after] = run(hk.transform(f).apply(null, 0))
    keysEqual(inside, jnp.slice(jax.random.split(jax.random.key(9), 2), 1))
    keysEqual(after, jnp.slice(jax.random.split(jax.random.key(0), 2), 1))
  })

  it("a bad key is InvalidKeyError", () => {
    expect(thrown(() => run(hk.transform(() => hk.nextRngKey()).init("k" as any))) ._tag).toBe("InvalidKeyError")
    expect(thrown(() => run(hk.transform(() => hk.nextRngKey()).init(jnp.ones([3]) as any)))._tag).toBe("InvalidKeyError")
  })
})

describe("handlers", () => {
  it("withoutApplyRng drops the key argument", () => {
    const t = hk.withoutApplyRng(hk.transform((x: Tensor) => Effect.map(hk.getParameter("w", [], jnp.ones), (w) => jnp.add(x, w))))
    const p = run(t.init(null, jnp.ones([2])))
    expect(run(t.apply(p, jnp.ones([2]))).toArray()).toEqual([2, 2])
  })

  it("multiTransform: init runs the template, each apply shares the params", () => {
    const t = hk.multiTransform(() =>
      Effect.map(hk.Linear(2, { name: "enc" }), (enc) => {
        const encode = (x: Tensor) => enc(x)
        const twice = (x: Tensor) => Effect.map(enc(x), (y) => jnp.multiply(y, 2))
        return [encode, { encode, twice }] as const
      })
    )
    const x = jnp.ones([1, 3])
    const p = run(t.init(0, x))
    expect(Object.keys(p)).toEqual(["enc"])
    const a = run(t.apply.encode(p, null, x)).toArray() as number[][]
    const b = run(t.apply.twice(p, null, x)).toArray() as number[][]
    expect(b[0]!.map((v) => v / 2)).toEqual(a[0])
  })

  it("apply with a non-object params is InvalidParamsError", () => {
    expect(thrown(() => run(hk.transform(() => hk.getParameter("w", [], jnp.ones)).apply(jnp.ones([2]) as any, null)))._tag).toBe("InvalidParamsError")
  })

  it("apply with a null, number or array leaf, or a null module, is a typed InvalidParamsError naming the path (was a TypeError)", () => {
    const t = hk.transform((x: Tensor) => Effect.flatMap(hk.Linear(2), (l) => l(x)))
    const x = jnp.ones([1, 3])
    const p = run(t.init(0, x)) as Record<string, Record<string, Tensor>>
    const cases: Array<[unknown, string]> = [
      [{ linear: { w: null, b: p["linear"]!["b"] } }, 'params["linear"]["w"] is null, not a Tensor'],
      [{ linear: { w: 3, b: p["linear"]!["b"] } }, 'params["linear"]["w"] is a number, not a Tensor'],
      [{ linear: { w: [[1, 2], [3, 4], [5, 6]], b: p["linear"]!["b"] } }, 'params["linear"]["w"] is an array, not a Tensor'],
      [{ linear: null }, 'params["linear"] is null, not an object']
    ]
    for (const [params, message] of cases) {
      // a typed failure in apply's E, so catchTag sees it
      const caught = run(t.apply(params as never, null, x).pipe(Effect.map(() => "ran"), Effect.catchTag("InvalidParamsError", (e) => Effect.succeed(e.message))))
      expect(caught).toContain(message)
      expect(caught).toContain("Pass the tree init returned")
    }
  })
})
