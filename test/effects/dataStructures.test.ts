/**
 * hk.data: Haiku's data structures with its argument order `(moduleName, name, value)`, and
 * fine-tuning through `partition` + optax: only the trainable layer changes.
 */
import { describe, expect, it } from "vitest"
import { Effect } from "effect"
import { hk, jax, jnp, optax, InvalidParamsError, type Tensor } from "../../src/index.js"
import { randn, f64 } from "../support/values.js"
import { run, thrown } from "../support/effects.js"

const tree = { "b/x": { w: 1, b: 2 }, a: { w: 3 }, "~": { s: 4 } } as const

describe("hk.data", () => {
  it("traverse walks modules and names in sorted order", () => {
    expect([...hk.data.traverse(tree)]).toEqual([
      ["a", "w", 3],
      ["b/x", "b", 2],
      ["b/x", "w", 1],
      ["~", "s", 4]
    ])
  })

  it("partition / partitionN / filter / map / merge take (moduleName, name, value) and return new frozen trees", () => {
    const [ws, rest] = hk.data.partition((_m, n) => n === "w", tree)
    expect(ws).toEqual({ a: { w: 3 }, "b/x": { w: 1 } })
    expect(rest).toEqual({ "b/x": { b: 2 }, "~": { s: 4 } })
    expect(Object.isFrozen(ws) && Object.isFrozen(ws.a)).toBe(true)
    const three = hk.data.partitionN((m) => (m === "a" ? 0 : m === "~" ? 2 : 1), tree, 3)
    expect(three.map((t) => Object.keys(t))).toEqual([["a"], ["b/x"], ["~"]])
    expect(hk.data.filter((_m, _n, v) => v > 2, tree)).toEqual({ a: { w: 3 }, "~": { s: 4 } })
    const doubled = hk.data.map((m, n, v) => `${m}.${n}=${v * 2}`, tree)
    expect(doubled["b/x"].b).toBe("b/x.b=4") // keys keep their types
    expect(hk.data.merge(ws, rest)).toEqual({ a: { w: 3 }, "b/x": { b: 2, w: 1 }, "~": { s: 4 } })
    expect(hk.data.merge({ a: { w: 1 } }, { a: { w: 2 } })).toEqual({ a: { w: 2 } })
    expect(hk.data.isSubset({ subset: ws, superset: tree })).toBe(true)
    expect(hk.data.isSubset({ subset: { c: { w: 1 } }, superset: tree })).toBe(false)
  })

  it("toMutable copies into writable objects; toImmutable freezes and sorts; size and bytes count elements", () => {
    const p = { lin: { w: jnp.ones([3, 2]), b: jnp.zeros([2]) }, emb: { t: jnp.zeros([4], "bool") } }
    const m = hk.data.toMutable(hk.data.toImmutable(p))
    m.lin!.w = jnp.zeros([3, 2])
    expect(m.lin!.w.toArray()).toEqual([[0, 0], [0, 0], [0, 0]])
    expect(Object.keys(hk.data.toImmutable(m))).toEqual(["emb", "lin"])
    expect(hk.data.treeSize(p)).toBe(12)
    expect(hk.data.treeBytes(p)).toBe(8 * 4 + 4)
  })

  it("bad input: a bucket out of range, a one-level tree, and mismatched duplicates under checkDuplicates", () => {
    expect(thrown(() => hk.data.partitionN(() => 2, tree, 2)).message).toContain("must be in range [0, 2)")
    expect(thrown(() => hk.data.filter(() => true, { w: jnp.ones([2]) } as unknown as hk.ParamTree))).toBeInstanceOf(InvalidParamsError)
    const e = thrown(() => hk.data.merge({ l: { w: jnp.ones([2]) } }, { l: { w: jnp.ones([3]) } }, { checkDuplicates: true }))
    expect(e.message).toContain("Duplicate array found with different shape/dtype for l.w: f32[2] vs f32[3]")
    expect(hk.data.merge({ l: { w: jnp.ones([2]) } }, { l: { w: jnp.zeros([2]) } }, { checkDuplicates: true }).l!.w!.toArray()).toEqual([0, 0])
  })
})

describe("fine-tuning with hk.data.partition + optax: freeze all but the last layer", () => {
  it("only mlp/~/linear_2 changes, the loss falls, and the frozen layers would have had gradients", () => {
    const net = hk.withoutApplyRng(hk.transform((x: Tensor) => Effect.flatMap(hk.nets.MLP([16, 16, 3]), (m) => m(x))))
    const x = randn(1, [32, 5])
    const y = jax.nn.oneHot(jnp.astype(jnp.argmax(randn(2, [32, 3]), { axis: 1 }), "int32"), 3)
    const params: hk.ParamTree = run(net.init(jax.random.key(0), x))
    const [trainable, frozen] = hk.data.partition((m) => m === "mlp/~/linear_2", params)
    expect(Object.keys(trainable)).toEqual(["mlp/~/linear_2"])
    const loss = (t: hk.ParamTree, f: hk.ParamTree) =>
      Effect.map(net.apply(hk.data.merge(t, f), x), (logits) => jnp.negative(jnp.mean(jnp.sum(jnp.multiply(y, jax.nn.logSoftmax(logits)), { axis: 1 }))))
    const opt = optax.adam(0.05)
    const step = jax.jit((t: hk.ParamTree, s: ReturnType<typeof opt.init>, f: hk.ParamTree) =>
      Effect.map(jax.valueAndGrad(loss)(t, f), ([l, g]) => {
        const [updates, next] = opt.update(g, s, t)
        return [optax.applyUpdates(t, updates), next, l] as const
      })
    )
    let t = trainable
    let s = opt.init(t)
    const losses: number[] = []
    for (let i = 0; i < 30; i++) {
      const [t2, s2, l] = run(step(t, s, frozen))
      t = t2 as hk.ParamTree
      s = s2
      losses.push(f64(l as Tensor)[0]!)
    }
    expect(losses[29]!).toBeLessThan(losses[0]! * 0.8)
    const final = hk.data.merge(t, frozen)
    for (const [m, n, v] of hk.data.traverse(final)) {
      const same = Array.from(f64(v)).every((a, i) => a === f64(params[m]![n]!)[i])
      expect(same, `${m}/${n}`).toBe(m !== "mlp/~/linear_2")
    }
    const fullGrad = run(jax.grad((p: hk.ParamTree) => loss(p, {}))(params))
    expect(Array.from(f64(fullGrad["mlp/~/linear_0"]!.w!)).some((v) => Math.abs(v) > 1e-6)).toBe(true)
  })
})
