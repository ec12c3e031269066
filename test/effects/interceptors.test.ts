/**
 * Interceptors as middleware over the Params/State services and module methods: Haiku's
 * ordering (the outermost registered runs first), when each runs (creators only on creation,
 * getters on every read, setters on every write), and the uses the issue names — casting on
 * read, sharing by name remapping, freezing with stopGradient — plus their errors.
 */
import { describe, expect, it } from "vitest"
import { Effect } from "effect"
import { hk, jax, jnp, HaikuContextError, ParameterShapeError, type Tensor } from "../../src/index.js"
import { randn, f64 } from "../support/values.js"
import { assertAllclose } from "../support/assertAllclose.js"
import { run, thrown } from "../support/effects.js"

const isT = (v: Tensor | hk.DoNotStore): v is Tensor => v !== hk.DO_NOT_STORE
const param = (name = "w", init: hk.Initializer = jnp.ones) => hk.getParameter(name, [2], init)

describe("ordering: the first registered (outermost) interceptor runs first", () => {
  const plusOne: hk.Getter = (next, v) => next(isT(v) ? jnp.add(v, 1) : v)
  const double: hk.Getter = (next, v) => next(isT(v) ? jnp.multiply(v, 2) : v)
  it("getters: customGetter(+1, customGetter(×2, get)) reads (w + 1)·2; the other nesting w·2 + 1", () => {
    const a = run(hk.transform(() => hk.customGetter(plusOne, hk.customGetter(double, param()))).apply({ "~": { w: jnp.full([2], 3) } }, null))
    const b = run(hk.transform(() => hk.customGetter(double, hk.customGetter(plusOne, param()))).apply({ "~": { w: jnp.full([2], 3) } }, null))
    expect(a.toArray()).toEqual([8, 8])
    expect(b.toArray()).toEqual([7, 7])
  })

  it("creators: each gets the next creator; the outer one's changes reach the inner one and init", () => {
    const seen: string[] = []
    const outer: hk.Creator = (next, shape, dtype, init, ctx) => {
      seen.push(`outer ${ctx.fullName}`)
      return next(shape, dtype, (s, d) => jnp.multiply(init(s, d) as Tensor, 10))
    }
    const inner: hk.Creator = (next, shape, dtype, init) => {
      seen.push("inner")
      return Effect.map(next(shape, dtype, init), (v) => (isT(v) ? jnp.add(v, 1) : v))
    }
    const params = run(hk.transform(() => hk.customCreator(outer, hk.customCreator(inner, param()))).init(null))
    expect(seen).toEqual(["outer ~/w", "inner"])
    expect(params["~"]!.w!.toArray()).toEqual([11, 11])
  })

  it("method interceptors: +1 registered outside **2 gives x**2 + 1 on an identity module (Haiku's module_test)", () => {
    const op = (f: (t: Tensor) => Tensor): hk.MethodInterceptor => (next, args) => Effect.map(next(...args), f)
    const identity = hk.module("identity_module", (self) => (x: Tensor) => self.call(Effect.succeed(x)))
    const f = (x: Tensor) => Effect.flatMap(identity, (m) => hk.interceptMethods(op((y) => jnp.add(y, 1)), hk.interceptMethods(op((y) => jnp.square(y)), m(x))))
    const g = (x: Tensor) => Effect.flatMap(identity, (m) => hk.interceptMethods(op((y) => jnp.square(y)), hk.interceptMethods(op((y) => jnp.add(y, 1)), m(x))))
    expect(run(hk.transform(f).apply({}, null, jnp.array(7))).toArray()).toBe(50)
    expect(run(hk.transform(g).apply({}, null, jnp.array(7))).toArray()).toBe(64)
  })
})

describe("when interceptors run", () => {
  it("creators run only when a value is created (init), getters on every read (init and apply)", () => {
    const log: string[] = []
    const creator: hk.Creator = (next, s, d, i) => (log.push("create"), next(s, d, i))
    const getter: hk.Getter = (next, v) => (log.push("get"), next(v))
    const f = () => hk.customCreator(creator, hk.customGetter(getter, Effect.zip(param(), param())))
    const t = hk.transform(f)
    const p = run(t.init(null))
    expect(log).toEqual(["create", "get", "get"])
    log.length = 0
    run(t.apply(p, null))
    expect(log).toEqual(["get", "get"])
  })

  it("setters see every setState and may drop it with DO_NOT_STORE; state getters run only with state: true", () => {
    const clip: hk.Setter = (next, v) => next(isT(v) ? jnp.clip(v, -1, 1) : v)
    const dropNegative: hk.Setter = (next, v, ctx) => (ctx.name === "skip" ? hk.DO_NOT_STORE : next(v))
    const f = () =>
      hk.customSetter(
        clip,
        hk.customSetter(
          dropNegative,
          Effect.gen(function* () {
            yield* hk.setState("x", jnp.array([5, -0.5]))
            yield* hk.getState("skip", [1], jnp.zeros)
            yield* hk.setState("skip", jnp.array([9]))
            return yield* hk.customGetter((next, v) => next(isT(v) ? jnp.negative(v) : v), hk.getState("x"), { state: true, params: false })
          })
        )
      )
    const [out, state] = run(hk.transformWithState(f).apply({}, {}, null))
    expect(out.toArray()).toEqual([-1, 0.5])
    expect(state["~"]!.x!.toArray()).toEqual([1, -0.5])
    expect(state["~"]!.skip!.toArray()).toEqual([0])
  })

  it("interceptors reach bodies run by hk.vmap and hk.scan, and an inner init lifted with hk.lift (with liftedPrefixName)", () => {
    const names: Array<[string, string | null]> = []
    const rec: hk.Creator = (next, s, d, i, ctx) => (names.push([ctx.fullName, ctx.liftedPrefixName]), next(s, d, i))
    const inner = hk.transform((x: Tensor) => Effect.flatMap(hk.Linear(2, { name: "lin" }), (l) => l(x)))
    const f = (x: Tensor) =>
      hk.customCreator(
        rec,
        Effect.gen(function* () {
          const lin = yield* hk.Linear(3)
          yield* hk.vmap(lin, { splitRng: false })(x)
          yield* hk.scan((c: Tensor, xi: Tensor) => Effect.map(hk.getParameter("s", [3], jnp.ones), (s) => [c, jnp.multiply(xi, s)] as const), jnp.zeros([]), jnp.ones([4, 3]))
          return yield* hk.lift(inner.init, { name: "outer" })(yield* hk.nextRngKey(), x)
        })
      )
    const p = run(hk.transform(f).init(jax.random.key(0), jnp.ones([4, 2])))
    expect(Object.keys(p)).toEqual(["linear", "outer/lin", "~"])
    expect(names).toEqual([
      ["linear/w", null],
      ["linear/b", null],
      ["~/s", null],
      ["lin/w", "outer/"],
      ["lin/b", "outer/"]
    ])
  })

  it("outside a transform the combinators are a HaikuContextError", () => {
    expect(thrown(() => run(hk.customGetter((n, v) => n(v), Effect.void) as Effect.Effect<void>))).toBeInstanceOf(HaikuContextError)
  })
})

describe("what interceptors are for", () => {
  /** Round to bfloat16's 8 significant bits (round-half-up on the mantissa), as a cast to bf16 and back would. */
  const bf16 = (x: number) => {
    if (x === 0) return 0
    const e = Math.floor(Math.log2(Math.abs(x)))
    const q = 2 ** (e - 7)
    return Math.round(x / q) * q
  }
  /** The same cast as a getter: the value rounded, the gradient passed straight through (a cast's gradient is the identity). */
  const castToBf16: hk.Getter = (next, w) => {
    if (!isT(w)) return next(w)
    const q = jnp.power(2, jnp.subtract(jnp.floor(jnp.divide(jnp.log(jnp.abs(w)), Math.LN2)), 7))
    const rounded = jnp.multiply(jnp.floor(jnp.add(jnp.divide(w, q), 0.5)), q)
    return next(jnp.add(w, jax.lax.stopGradient(jnp.subtract(rounded, w))))
  }

  it("mixed precision: a getter casts every weight on read; params stay full precision and gradients pass through", () => {
    const f = (x: Tensor) => hk.customGetter(castToBf16, Effect.flatMap(hk.Linear(3, { bInit: hk.initializers.RandomNormal(1) }), (l) => l(x)))
    const t = hk.transform(f)
    const x = randn(1, [2, 4])
    const p = run(t.init(jax.random.key(0), x))
    const w = f64(p.linear!.w!)
    expect(Array.from(w).some((v) => bf16(v) !== v)).toBe(true) // stored at full precision
    const y = run(t.apply(p, null, x))
    const xs = f64(x)
    const b = f64(p.linear!.b!)
    const ref = Array.from({ length: 6 }, (_, k) => {
      const [r, o] = [Math.floor(k / 3), k % 3]
      let s = bf16(b[o]!)
      for (let i = 0; i < 4; i++) s += xs[r * 4 + i]! * bf16(w[i * 3 + o]!)
      return s
    })
    assertAllclose(f64(y), ref, { atol: 1e-5 })
    const g = run(jax.grad((q: hk.ParamTree) => Effect.map(t.apply(q, null, x), jnp.sum))(p))
    // d sum(x·w + b)/dw[i, o] = Σ_r x[r, i], straight through the cast
    assertAllclose(f64(g.linear!.w!), Array.from({ length: 12 }, (_, k) => xs[Math.floor(k / 3)]! + xs[4 + Math.floor(k / 3)]!), { atol: 1e-5 })
  })

  it("sharing by name remapping: decoder/* is never stored and reads encoder/*; its gradient is the sum of both uses", () => {
    const share: hk.Creator = (next, s, d, i, ctx) => (ctx.moduleName === "decoder" ? hk.DO_NOT_STORE : next(s, d, i))
    const remap: hk.Getter<hk.Params> = (next, v, ctx) => (ctx.moduleName === "decoder" ? Effect.map(hk.getParams(), (p) => p.encoder![ctx.name]!) : next(v))
    const f = (x: Tensor) =>
      hk.customCreator(
        share,
        hk.customGetter(
          remap,
          Effect.gen(function* () {
            const enc = yield* hk.Linear(3, { name: "encoder" })
            const dec = yield* hk.Linear(3, { name: "decoder" })
            return yield* dec(yield* enc(x))
          })
        )
      )
    const t = hk.transform(f)
    const x = randn(2, [2, 3])
    const p = run(t.init(jax.random.key(1), x))
    expect(Object.keys(p)).toEqual(["encoder"])
    const plain = hk.transform((v: Tensor) => Effect.gen(function* () {
      const enc = yield* hk.Linear(3, { name: "encoder" })
      const dec = yield* hk.Linear(3, { name: "decoder" })
      return yield* dec(yield* enc(v))
    }))
    const both = { encoder: p.encoder!, decoder: p.encoder! }
    assertAllclose(f64(run(t.apply(p, null, x))), f64(run(plain.apply(both, null, x))), { atol: 1e-6 })
    const loss = (tt: typeof t) => (q: hk.ParamTree) => Effect.map(tt.apply(q, null, x), (y) => jnp.sum(jnp.square(y)))
    const g = run(jax.grad(loss(t))(p))
    const g2 = run(jax.grad(loss(plain))(both))
    assertAllclose(f64(g.encoder!.w!), f64(jnp.add(g2.encoder!.w!, g2.decoder!.w!)), { atol: 1e-5 })
  })

  it("freezing: a getter that stops the gradient of one module's params gives them zero gradient, the rest unchanged", () => {
    const freeze: hk.Getter = (next, v, ctx) => next(isT(v) && ctx.moduleName === "mlp/~/linear_0" ? jax.lax.stopGradient(v) : v)
    const net = (x: Tensor) => Effect.flatMap(hk.nets.MLP([4, 2]), (m) => m(x))
    const frozen = hk.transform((x: Tensor) => hk.customGetter(freeze, net(x)))
    const plain = hk.transform(net)
    const x = randn(3, [2, 3])
    const p = run(plain.init(jax.random.key(2), x))
    const loss = (t: { readonly apply: typeof plain.apply }) => (q: hk.ParamTree) => Effect.map(t.apply(q, null, x), (y) => jnp.sum(jnp.square(y)))
    const gf = run(jax.grad(loss(frozen))(p))
    const gp = run(jax.grad(loss(plain))(p))
    expect(Array.from(f64(gf["mlp/~/linear_0"]!.w!)).every((v) => v === 0)).toBe(true)
    expect(Array.from(f64(gp["mlp/~/linear_0"]!.w!)).some((v) => v !== 0)).toBe(true)
    assertAllclose(f64(gf["mlp/~/linear_1"]!.w!), f64(gp["mlp/~/linear_1"]!.w!), { atol: 1e-6 })
  })
})

describe("interceptor errors", () => {
  it("a getter that changes a parameter's shape is a ParameterShapeError naming the getter", () => {
    const flattenAll: hk.Getter = (next, v) => next(isT(v) ? jnp.reshape(v, [-1]) : v)
    const f = (x: Tensor) => hk.customGetter(flattenAll, Effect.flatMap(hk.Linear(2), (l) => l(x)))
    const e = thrown(() => run(hk.transform(f).init(0, jnp.ones([1, 3]))))
    expect(e).toBeInstanceOf(ParameterShapeError)
    expect(e.message).toContain("custom getter 'flattenAll' returned shape [6] for 'linear/w'")
  })

  it("a creator returning the wrong shape is named too, and so is one declining to store with no getter to supply the value", () => {
    const bad: hk.Creator = (next, _s, d, i) => next([5], d, i)
    expect(thrown(() => run(hk.transform(() => hk.customCreator(bad, param())).init(null))).message).toContain("custom creator 'bad' returned shape [5] for '~/w'")
    const skip: hk.Creator = () => hk.DO_NOT_STORE
    expect(thrown(() => run(hk.transform(() => hk.customCreator(skip, param())).init(null))).message).toContain("no later getter supplied a value")
  })
})

describe("interceptMethods", () => {
  it("sees the module, the method name and the arguments; may change them or short-circuit with origMethod", () => {
    const calls: string[] = []
    const spy: hk.MethodInterceptor = (next, args, ctx) => {
      calls.push(`${ctx.module.moduleName}.${ctx.methodName}(${(args[0] as Tensor).shape})`)
      return next(...args)
    }
    const scaleArgs: hk.MethodInterceptor = (next, args, ctx) => (ctx.module.kind === "Linear" ? next(jnp.multiply(args[0] as Tensor, 0), ...args.slice(1)) : next(...args))
    const shortCircuit: hk.MethodInterceptor = (_next, args, ctx) => ctx.origMethod(...args)
    const f = (ids: Tensor) =>
      Effect.gen(function* () {
        const embed = yield* hk.Embed({ vocabSize: 5, embedDim: 3 })
        const lin = yield* hk.Linear(3, { bInit: jnp.ones })
        const e = yield* embed(ids)
        const scores = yield* embed.attend(e)
        const zeroed = yield* hk.interceptMethods(scaleArgs, lin(e))
        const skipped = yield* hk.interceptMethods(shortCircuit, hk.interceptMethods(scaleArgs, lin(e)))
        return [scores, zeroed, skipped, yield* lin(e)] as const
      })
    const t = hk.transform((ids: Tensor) => hk.interceptMethods(spy, f(ids)))
    const ids = jnp.array(Int32Array.from([1, 4]))
    const p = run(t.init(jax.random.key(0), ids))
    calls.length = 0
    const [scores, zeroed, skipped, normal] = run(t.apply(p, null, ids))
    expect(calls).toEqual(["embed.__call__(2)", "embed.attend(2,3)", "linear.__call__(2,3)", "linear.__call__(2,3)", "linear.__call__(2,3)"])
    expect(scores.shape).toEqual([2, 5])
    expect(zeroed.toArray()).toEqual([[1, 1, 1], [1, 1, 1]])
    assertAllclose(f64(skipped), f64(normal), { atol: 0 })
  })
})
