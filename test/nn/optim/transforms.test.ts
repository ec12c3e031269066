import { describe, expect, it } from "vitest"
import { jax, jnp, type Tensor } from "../../../src/index.js"
import {
  adam,
  adamw,
  addDecayedWeights,
  applyUpdates,
  chain,
  clipByGlobalNorm,
  globalNorm,
  identity,
  OptimizerError,
  scale,
  scaleByAdam,
  scaleByLearningRate,
  scaleBySchedule,
  sgd,
  trace,
  type GradientTransformation
} from "../../../src/nn/optim/index.js"
import { randn } from "../../support/values.js"
import { assertAllclose } from "../../support/assertAllclose.js"
import { leaves64 } from "./reference.js"

type Tree = Record<string, Record<string, Tensor>>
const params0: Tree = { "linear": { w: randn(1, [2, 3]), b: randn(2, [3]) }, "~": { s: randn(3, []) } }
const grads = (k: number): Tree => ({ "linear": { w: randn(10 + k, [2, 3], 2), b: randn(20 + k, [3], 2) }, "~": { s: randn(30 + k, [], 2) } })
const norm64 = (tree: unknown) => Math.sqrt(leaves64(tree).reduce((s, x) => s + x.reduce((a, v) => a + v * v, 0), 0))
const bitsOf = (tree: unknown) => (jax.tree.leaves(tree) as Tensor[]).map((t) => Array.from(t.toTypedArray()))

describe("stateless transforms", () => {
  it("identity returns its updates unchanged", () => {
    const g = grads(0)
    const [u, s] = identity().update(g, identity().init(params0))
    expect(u).toBe(g)
    expect(s).toEqual({})
  })
  it("scale(c) multiplies every leaf by c", () => {
    const [u] = scale(-0.25).update(grads(0), {})
    leaves64(u).forEach((x, i) => assertAllclose(x, leaves64(grads(0))[i]!.map((v) => -0.25 * v), { rtol: 1e-7 }))
  })
  it("scaleByLearningRate(lr) is scale(−lr); flipSign: false is scale(lr)", () => {
    expect(bitsOf(scaleByLearningRate(0.1).update(grads(1), {})[0])).toEqual(bitsOf(scale(-0.1).update(grads(1), {})[0]))
    expect(bitsOf(scaleByLearningRate(0.1, { flipSign: false }).update(grads(1), {})[0])).toEqual(bitsOf(scale(0.1).update(grads(1), {})[0]))
  })
  it("globalNorm is sqrt of the sum of squares over all leaves", () => {
    assertAllclose([globalNorm(grads(0)).toArray() as number], [norm64(grads(0))], { rtol: 1e-6 })
    expect(globalNorm({ a: jnp.array([3]), b: [jnp.array([[4]])] }).toArray()).toBe(5)
  })
  it("addDecayedWeights adds weightDecay·p and needs params", () => {
    const [u] = addDecayedWeights(0.5).update(grads(0), {}, params0)
    leaves64(u).forEach((x, i) => assertAllclose(x, leaves64(grads(0))[i]!.map((v, j) => v + 0.5 * leaves64(params0)[i]![j]!), { rtol: 1e-6, atol: 1e-7 }))
    expect(() => addDecayedWeights(0.5).update(grads(0), {})).toThrow(OptimizerError)
  })
  it("addDecayedWeights rejects a mask whose structure differs from the params", () => {
    expect(() => addDecayedWeights(0.5, { linear: { w: true } }).update(grads(0), {}, params0)).toThrow(/mask must be a tree of booleans/)
  })
})

describe("clipByGlobalNorm", () => {
  it("leaves updates whose global norm is below maxNorm unchanged", () => {
    const g = grads(0)
    const [u] = clipByGlobalNorm(norm64(g) + 1).update(g, {})
    expect(bitsOf(u)).toEqual(bitsOf(g))
  })
  it("rescales updates above maxNorm to norm maxNorm, keeping the direction", () => {
    const g = grads(0)
    const n = norm64(g)
    const [u] = clipByGlobalNorm(1).update(g, {})
    assertAllclose([norm64(u)], [1], { rtol: 1e-6 })
    leaves64(u).forEach((x, i) => assertAllclose(x, leaves64(g)[i]!.map((v) => v / n), { rtol: 1e-5, atol: 1e-7 }))
  })
  it("a zero gradient stays zero (no NaN from 0/0)", () => {
    const z = jax.tree.map((t: Tensor) => jnp.zerosLike(t), params0)
    const [u] = clipByGlobalNorm(1).update(z, {})
    leaves64(u).forEach((x) => expect(Array.from(x).every((v) => v === 0)).toBe(true))
  })
})

describe("chain", () => {
  it("chain(scaleByAdam(), scale(−lr)) equals adam(lr), bit for bit", () => {
    const a = chain(scaleByAdam(), scale(-1e-2))
    const b = adam(1e-2)
    let [sa, sb, pa, pb] = [a.init(params0), b.init(params0), params0, params0]
    for (let k = 0; k < 3; k++) {
      const [ua, na] = a.update(grads(k), sa, pa)
      const [ub, nb] = b.update(grads(k), sb, pb)
      ;[sa, sb, pa, pb] = [na, nb, applyUpdates(pa, ua), applyUpdates(pb, ub)]
      expect(bitsOf(pa)).toEqual(bitsOf(pb))
    }
  })
  it("chain(trace, scale) equals sgd with momentum, and order matters: clip then scale ≠ scale then clip", () => {
    const [u1] = chain(trace({ decay: 0.9 }), scale(-0.1)).update(grads(0), chain(trace({ decay: 0.9 }), scale(-0.1)).init(params0))
    const [u2] = sgd(0.1, { momentum: 0.9 }).update(grads(0), sgd(0.1, { momentum: 0.9 }).init(params0))
    expect(bitsOf(u1)).toEqual(bitsOf(u2))
    const [c1] = chain(clipByGlobalNorm(1), scale(10)).update(grads(0), [{}, {}])
    const [c2] = chain(scale(10), clipByGlobalNorm(1)).update(grads(0), [{}, {}])
    assertAllclose([norm64(c1)], [10], { rtol: 1e-5 })
    assertAllclose([norm64(c2)], [1], { rtol: 1e-5 })
  })
  it("the state is the array of inner states", () => {
    const opt = chain(clipByGlobalNorm(1), scaleByAdam(), addDecayedWeights(1e-4), scale(-1e-3))
    const s = opt.init(params0)
    expect(s.length).toBe(4)
    expect(s[0]).toEqual({})
    expect(Object.keys(s[1]).sort()).toEqual(["count", "mu", "nu"])
    expect(s[2]).toEqual({})
    expect(s[3]).toEqual({})
  })
  it("a state from another chain fails with OptimizerError", () => {
    expect(() => chain(scale(1), scale(2)).update(grads(0), [{}] as never)).toThrow(/state has 1 entries but the chain has 2/)
  })
})

describe("state pytrees", () => {
  const cases: Array<[string, GradientTransformation<any>, string]> = [
    ["sgd", sgd(0.1), "[{}, {}]"],
    ["sgd momentum", sgd(0.1, { momentum: 0.9 }), "[{trace: {linear: {b: *, w: *}, ~: {s: *}}}, {}]"],
    ["adam", adam(0.1), "[{count: *, mu: {linear: {b: *, w: *}, ~: {s: *}}, nu: {linear: {b: *, w: *}, ~: {s: *}}}, {}]"],
    ["adamw", adamw(0.1), "[{count: *, mu: {linear: {b: *, w: *}, ~: {s: *}}, nu: {linear: {b: *, w: *}, ~: {s: *}}}, {}, {}]"],
    ["adam with a schedule", adam((c) => jnp.divide(0.1, jnp.add(c, 1))), "[{count: *, mu: {linear: {b: *, w: *}, ~: {s: *}}, nu: {linear: {b: *, w: *}, ~: {s: *}}}, {count: *}]"]
  ]
  const show = (t: unknown): string => {
    const d = jax.tree.structure(t) as any
    const go = (x: any): string =>
      x.kind === "leaf" ? "*" : x.kind === "array" ? `[${x.children.map(go).join(", ")}]` : x.kind === "object" ? `{${x.keys.map((k: string, i: number) => `${k}: ${go(x.children[i])}`).join(", ")}}` : "None"
    return go(d)
  }
  it.each(cases)("%s: init and update give the same structure, every leaf a tensor", (_, opt, expected) => {
    const s0 = opt.init(params0)
    const [, s1] = opt.update(grads(0), s0, params0)
    expect(show(s0)).toBe(expected)
    expect(show(s1)).toBe(expected)
    for (const leaf of jax.tree.leaves(s1)) expect(leaf).toHaveProperty("dtype")
  })
  it("the scheduled learning rate reads the step count: lr_t = 0.1/(t+1)", () => {
    const opt = scaleBySchedule((c) => jnp.divide(0.1, jnp.add(c, 1)))
    let s = opt.init(params0)
    for (let t = 0; t < 3; t++) {
      const [u, next] = opt.update({ x: jnp.array([1]) }, s)
      assertAllclose(u.x.toTypedArray(), [0.1 / (t + 1)], { rtol: 1e-6 })
      s = next
    }
    expect(s.count.dtype).toBe("int32")
    expect(s.count.toArray()).toBe(3)
  })
})

describe("under jax.jit", () => {
  const optimizers: Array<[string, GradientTransformation<any>]> = [
    ["sgd", sgd(0.1)],
    ["sgd nesterov", sgd(0.1, { momentum: 0.9, nesterov: true })],
    ["adam", adam(1e-2)],
    ["adamw", adamw(1e-2, { weightDecay: 0.1 })],
    ["clip + adam with a schedule", chain(clipByGlobalNorm(0.5), adam((c) => jnp.multiply(1e-2, jnp.power(0.5, c))))]
  ]
  it.each(optimizers)("%s: jit(step) gives eager's params and state, tracing once", (_, opt) => {
    const step = (p: Tree, s: unknown, g: Tree) => {
      const [u, next] = opt.update(g, s, p)
      return [applyUpdates(p, u), next] as const
    }
    const jitted = jax.jit(step)
    let [pe, se] = [params0, opt.init(params0)] as [Tree, unknown]
    let [pj, sj] = [params0, opt.init(params0)] as [Tree, unknown]
    for (let k = 0; k < 3; k++) {
      ;[pe, se] = step(pe, se, grads(k)) as [Tree, unknown]
      ;[pj, sj] = jitted(pj, sj, grads(k)) as [Tree, unknown]
      leaves64(pj).forEach((x, i) => assertAllclose(x, leaves64(pe)[i]!, { rtol: 1e-6, atol: 1e-7 }))
      leaves64(sj).forEach((x, i) => assertAllclose(x, leaves64(se)[i]!, { rtol: 1e-6, atol: 1e-7 }))
    }
    expect(jitted.traceCount).toBe(1)
  })
  it("jit(valueAndGrad) + adam lowers a quadratic loss", () => {
    const target = randn(5, [2, 3])
    const loss = (p: Tree) => jnp.mean(jnp.square(jnp.subtract(p.linear!.w!, target)))
    const opt = adam(0.1)
    const train = jax.jit((p: Tree, s: ReturnType<typeof opt.init>) => {
      const [l, g] = jax.valueAndGrad(loss)(p) as [Tensor, Tree]
      const [u, next] = opt.update(g, s, p)
      return [applyUpdates(p, u), next, l] as const
    })
    let [p, s] = [params0, opt.init(params0)] as [Tree, ReturnType<typeof opt.init>]
    const first = loss(p).toArray() as number
    for (let k = 0; k < 30; k++) [p, s] = train(p, s) as unknown as [Tree, ReturnType<typeof opt.init>]
    expect(loss(p).toArray() as number).toBeLessThan(first * 0.1)
  })
})

describe("trees that do not match are OptimizerErrors naming the key (was a TypeError from tree.map or a ShapeError naming no key)", () => {
  const wide = (): Tree => ({ ...grads(0), linear: { w: randn(5, [4, 3]), b: randn(6, [3]) } })
  const fewer = (): Tree => ({ linear: grads(0)["linear"]! })
  const expectError = (f: () => unknown, transform: string, message: RegExp) => {
    let error: unknown
    try {
      f()
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(OptimizerError)
    expect((error as OptimizerError).transform).toBe(transform)
    expect((error as OptimizerError).message).toMatch(message)
  }

  it("adam: missing and extra keys, and a leaf of another shape, name the path and say to init again", () => {
    const opt = adam(1e-3)
    const state = opt.init(params0)
    expectError(() => opt.update(fewer(), state, params0), "scaleByAdam", /state\.mu\["~"\] has no counterpart in updates.*call opt\.init\(params\) again/)
    expectError(() => opt.update({ ...grads(0), extra: { w: randn(1, [2]) } }, state, params0), "scaleByAdam", /updates\["extra"\] has no counterpart in state\.mu/)
    expectError(() => opt.update(wide(), state, params0), "scaleByAdam", /updates\["linear"\]\["w"\] is f32\[4,3\] but state\.mu\["linear"\]\["w"\] is f32\[2,3\]/)
  })

  it("sgd with momentum (trace), adamw's weight decay and applyUpdates do the same", () => {
    const mom = sgd(0.1, { momentum: 0.9 })
    expectError(() => mom.update(wide(), mom.init(params0)), "trace", /updates\["linear"\]\["w"\] is f32\[4,3\] but state\.trace\["linear"\]\["w"\] is f32\[2,3\]/)
    const aw = adamw(1e-3)
    expectError(() => aw.update(grads(0), aw.init(params0), wide()), "addDecayedWeights", /updates\["linear"\]\["w"\] is f32\[2,3\] but params\["linear"\]\["w"\] is f32\[4,3\]/)
    expectError(() => applyUpdates(params0, fewer()), "applyUpdates", /params\["~"\] has no counterpart in updates.*gradients of these same params/)
    expectError(() => applyUpdates(params0, wide()), "applyUpdates", /params\["linear"\]\["w"\] is f32\[2,3\] but updates\["linear"\]\["w"\] is f32\[4,3\]/)
  })

  it("matching trees still update, also under jit", () => {
    const opt = adam(1e-3)
    const step = jax.jit((p: Tree, g: Tree, s: ReturnType<typeof opt.init>) => {
      const [u, s2] = opt.update(g, s, p)
      return [applyUpdates(p, u), s2] as const
    })
    const [p1] = step(params0, grads(0), opt.init(params0))
    expect(bitsOf(p1)).not.toEqual(bitsOf(params0))
  })
})
