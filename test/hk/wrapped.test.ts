/** Wrapped transforms: hk.vmap, hk.evalShape, hk.grad, hk.valueAndGrad, hk.jvp. */
import { describe, expect, it } from "vitest"
import fc from "fast-check"
import { Effect } from "effect"
import { hk, jax, jnp, type Tensor } from "../../src/index.js"
import { assertAllclose } from "../support/assertAllclose.js"
import { kernelLaunches } from "../../src/kernels/index.js"
import { thrown, run, close } from "../support/effects.js"

const mlp = (x: Tensor) => Effect.flatMap(hk.nets.MLP([4, 3]), (m) => m(x))

describe("hk.vmap", () => {
  it("hk.vmap(f) equals looping f inside the transform (same params)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 1000 }), (batch, seed) => {
        const f = (xs: Tensor) =>
          Effect.gen(function* () {
            const net = yield* hk.nets.MLP([4, 3])
            const mapped = yield* hk.vmap(net, { splitRng: false })(xs)
            const rows: Tensor[] = []
            for (let i = 0; i < batch; i++) rows.push(yield* net(jnp.slice(xs, i)))
            return [mapped, jnp.stack(rows)] as const
          })
        const xs = jax.random.normal(jax.random.key(seed), [batch, 5])
        const { init, apply } = hk.transform(f)
        const [mapped, looped] = run(apply(run(init(seed, xs)), null, xs))
        close(mapped, looped)
      }),
      { numRuns: 6 }
    )
  })

  it("params are shared (never mapped): init under hk.vmap creates unbatched params", () => {
    const params = run(hk.transform((xs: Tensor) => hk.vmap(mlp, { splitRng: false })(xs)).init(0, jnp.ones([7, 5])))
    expect(params["mlp/~/linear_0"]!.w!.shape).toEqual([5, 4])
  })

  it("splitRng: false gives equal keys across the batch; true gives distinct keys", () => {
    const draw = (splitRng: boolean) => hk.transform((xs: Tensor) => hk.vmap((_: Tensor) => hk.nextRngKey(), { splitRng })(xs))
    const same = run(draw(false).apply(null, 0, jnp.ones([4]))).toArray() as number[][]
    expect(new Set(same.map((k) => k.join())).size).toBe(1)
    const distinct = run(draw(true).apply(null, 0, jnp.ones([4]))).toArray() as number[][]
    expect(new Set(distinct.map((k) => k.join())).size).toBe(4)
  })

  it("splitRng: false advances the outer rng as if the body ran once", () => {
    const f = (xs: Tensor) => Effect.zipWith(hk.vmap((_: Tensor) => hk.nextRngKey(), { splitRng: false })(xs), hk.nextRngKey(), (a, b) => [a, b] as const)
    const g = () => Effect.zip(hk.nextRngKey(), hk.nextRngKey())
    const [[a, b], [c, d]] = [run(hk.transform(f).apply(null, 5, jnp.ones([2]))), run(hk.transform(g).apply(null, 5))]
    expect((a.toArray() as number[][])[0]).toEqual(c.toArray())
    expect(b.toArray()).toEqual(d.toArray())
  })

  it("splitRng: true creating params in init is Haiku's error, with the corrected (#498) advice", () => {
    const e = thrown(() => run(hk.transform((xs: Tensor) => hk.vmap(mlp, { splitRng: true })(xs)).init(0, jnp.ones([3, 5]))))
    expect(e._tag).toBe("WrappedTransformError")
    expect(e.message).toContain("splitRng: !(yield* hk.runningInit())")
  })

  it("missing splitRng (a cast past the compile error) and use outside a transform are errors", () => {
    const noSplitRng = hk.vmap as unknown as (f: typeof mlp) => typeof mlp
    expect(thrown(() => run(hk.transform((xs: Tensor) => noSplitRng(mlp)(xs)).init(0, jnp.ones([3, 5])))).message).toContain("splitRng")
    const e = thrown(() => run(hk.vmap((x: Tensor) => Effect.succeed(x), { splitRng: false })(jnp.ones([2]))))
    expect(e._tag).toBe("HaikuContextError")
    expect(e.message).toContain("hk.vmap() should not be used outside of hk.transform(). Use jax.vmap() instead")
  })
})

describe("hk.evalShape", () => {
  it("hk.evalShape changes no state and no rng, creates no params", () => {
    const f = () =>
      Effect.gen(function* () {
        const before = yield* hk.getState("s", [], jnp.zeros)
        const shape = yield* hk.evalShape(() =>
          Effect.gen(function* () {
            yield* hk.setState("s", jnp.ones([]))
            yield* hk.getState("t", [2], jnp.zeros)
            return yield* hk.nextRngKey()
          })
        )
        const key = yield* hk.nextRngKey()
        return [before, shape, key] as const
      })
    const { init, apply } = hk.transformWithState(f)
    const [params, state] = run(init(0))
    expect(params).toEqual({})
    expect(Object.keys(state["~"]!)).toEqual(["s"])
    const [[, shape, key], s1] = run(apply(params, state, 0))
    expect(shape).toEqual({ shape: [2], dtype: "uint32" })
    expect(s1["~"]!.s!.item()).toBe(0)
    expect(key.toArray()).toEqual(run(hk.transform(() => hk.nextRngKey()).apply(null, 0)).toArray())
  })

  it("hk.evalShape creates no params in init, and runs no kernel for the body", () => {
    let launches = -1
    const { init } = hk.transform(() =>
      Effect.gen(function* () {
        const before = kernelLaunches()
        yield* hk.evalShape(() => hk.getParameter("p", [3], hk.initializers.RandomNormal()))
        launches = kernelLaunches() - before
        return null
      })
    )
    expect(run(init(0))).toEqual({})
    expect(launches).toBe(0)
  })
})

describe("hk.grad / hk.valueAndGrad / hk.jvp", () => {
  const loss = (x: Tensor) => Effect.map(mlp(x), (y) => jnp.sum(jnp.square(y)))

  it("hk.grad(f) inside the transform equals jax.grad of the pure apply", () => {
    const x = jax.random.normal(jax.random.key(1), [2, 5])
    const { init, apply } = hk.transform((x: Tensor) => Effect.zip(hk.grad(loss)(x), loss(x)))
    const params = run(init(0, x))
    const [g] = run(apply(params, null, x))
    const applyLoss = hk.transform(loss)
    const expected = run(jax.grad((x: Tensor) => applyLoss.apply(params, null, x))(x))
    close(g, expected, 1e-4)
  })

  it("hk.grad creates the params during init (written back)", () => {
    const params = run(hk.transform((x: Tensor) => hk.grad(loss)(x)).init(0, jnp.ones([1, 5])))
    expect(Object.keys(params)).toEqual(["mlp/~/linear_0", "mlp/~/linear_1"])
  })

  it("hk.valueAndGrad returns [value, grad] and writes state changes back", () => {
    const f = (x: Tensor) =>
      Effect.gen(function* () {
        const n = yield* hk.getState("n", [], jnp.zeros)
        yield* hk.setState("n", jnp.add(n, 1))
        return jnp.sum(jnp.multiply(x, x))
      })
    const { init, apply } = hk.transformWithState((x: Tensor) => hk.valueAndGrad(f)(x))
    const x = jnp.array([1, 2, 3])
    const [p, s] = run(init(null, x))
    const [[v, g], s1] = run(apply(p, s, null, x))
    expect(v.item()).toBeCloseTo(14)
    expect(g.toArray()).toEqual([2, 4, 6])
    expect(s1["~"]!.n!.item()).toBe(1)
  })

  it("hk.jvp gives the directional derivative", () => {
    const f = (x: Tensor) => Effect.map(hk.getParameter("w", [3], jnp.ones), (w) => jnp.multiply(jnp.multiply(w, x), x))
    const { init, apply } = hk.transform((x: Tensor) => hk.jvp(f, [x], [jnp.ones([3])]))
    const x = jnp.array([1, 2, 3])
    const [y, dy] = run(apply(run(init(null, x)), null, x))
    expect(y.toArray()).toEqual([1, 4, 9])
    expect(dy.toArray()).toEqual([2, 4, 6])
  })
})
