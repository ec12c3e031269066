import { describe, expect, it } from "vitest"
import { jax, jnp, type Tensor } from "../../../src/index.js"
import { adam, adamw, applyUpdates, sgd, type GradientTransformation } from "../../../src/nn/optim/index.js"
import { randn } from "../../support/values.js"
import { assertAllclose } from "../../support/assertAllclose.js"
import { adamRef, leaves64, sgdRef } from "./reference.js"

type Tree = Record<string, Record<string, Tensor>>

const params0: Tree = {
  "mlp/~/linear_0": { w: randn(1, [3, 4]), b: randn(2, [4], 0.1) },
  "~": { scale: randn(3, [], 2) }
}
/** Gradients that change from step to step (and include zeros and a large value). */
const gradsAt = (step: number): Tree => ({
  "mlp/~/linear_0": { w: randn(10 + step, [3, 4], 1.5), b: jnp.array([0, -2, 1e-3, 5 * (step + 1)]) },
  "~": { scale: randn(20 + step, [], 0.3) }
})

/** Run `steps` updates of `opt` and of its float64 reference; compare after each step. */
const checkAgainstReference = (
  opt: GradientTransformation<any>,
  ref: (p: Float64Array[], g: Float64Array[]) => Float64Array[],
  steps = 4,
  tol = { rtol: 2e-5, atol: 2e-6 }
) => {
  let params: Tree = params0
  let state = opt.init(params)
  let expected = leaves64(params)
  for (let step = 0; step < steps; step++) {
    const grads = gradsAt(step)
    const [updates, next] = opt.update(grads, state, params)
    params = applyUpdates(params, updates)
    state = next
    expected = ref(expected, leaves64(grads))
    leaves64(params).forEach((actual, i) => assertAllclose(actual, expected[i]!, tol))
  }
  return { params, state }
}

describe("sgd", () => {
  it("plain sgd is p ← p − lr·g", () => checkAgainstReference(sgd(0.1), sgdRef(0.1)))
  it("momentum sgd follows optax.trace: t ← g + μ·t, p ← p − lr·t", () => checkAgainstReference(sgd(0.05, { momentum: 0.9 }), sgdRef(0.05, 0.9)))
  it("nesterov sgd uses g + μ·t′ as the update", () =>
    checkAgainstReference(sgd(0.05, { momentum: 0.9, nesterov: true }), sgdRef(0.05, 0.9, true)))
  it("the first sgd step equals −lr·g exactly", () => {
    const opt = sgd(0.5)
    const [u] = opt.update(gradsAt(0), opt.init(params0))
    expect(Array.from((u as Tree)["~"]!.scale!.toTypedArray())).toEqual([Math.fround(-0.5 * Number(gradsAt(0)["~"]!.scale!.toTypedArray()[0]))])
  })
})

describe("adam", () => {
  it("matches optax.adam's bias-corrected moment equations over several steps", () => checkAgainstReference(adam(1e-2), adamRef(1e-2)))
  it("honours b1, b2, eps (outside the sqrt) and epsRoot (inside)", () =>
    checkAgainstReference(adam(3e-2, { b1: 0.5, b2: 0.8, eps: 1e-2, epsRoot: 1e-3 }), adamRef(3e-2, { b1: 0.5, b2: 0.8, eps: 1e-2, epsRoot: 1e-3 })))
  it("the first adam step is −lr·g/(|g| + eps) (hand-computed)", () => {
    const opt = adam(0.1, { eps: 0.5 })
    const g = { "~": { x: jnp.array([2, -1, 0]) } }
    const [u] = opt.update(g, opt.init({ "~": { x: jnp.zeros([3]) } }))
    // mû = g, nû = g², so u = −0.1·g/(|g| + 0.5). As in optax under float32, 1 − 0.999^1 is
    // computed in float32 (≈ 0.00099998713), a relative error of 1.3e-5 in nû.
    assertAllclose(u["~"].x.toTypedArray(), [-0.1 * (2 / 2.5), 0.1 * (1 / 1.5), 0], { rtol: 2e-5, atol: 1e-7 })
  })
  it("counts steps in an int32 scalar and keeps moments in the params' structure", () => {
    const { state } = checkAgainstReference(adam(1e-3), adamRef(1e-3), 3)
    const [adamState, lrState] = state
    expect(adamState.count.dtype).toBe("int32")
    expect(adamState.count.shape).toEqual([])
    expect(adamState.count.toArray()).toBe(3)
    expect(jax.tree.structure(adamState.mu)).toEqual(jax.tree.structure(params0))
    expect(jax.tree.structure(adamState.nu)).toEqual(jax.tree.structure(params0))
    expect(lrState).toEqual({})
  })
})

describe("adamw", () => {
  it("matches optax.adamw: decoupled decay added after the Adam rescaling, then −lr", () =>
    checkAgainstReference(adamw(1e-2, { weightDecay: 0.1 }), adamRef(1e-2, { weightDecay: 0.1 })))
  it("defaults to optax's weight decay 1e-4", () => checkAgainstReference(adamw(1e-2), adamRef(1e-2, { weightDecay: 1e-4 })))
  it("a mask excludes leaves from the decay", () => {
    const onlyW = () => ({ "mlp/~/linear_0": { w: true, b: false }, "~": { scale: false } })
    const opt = adamw(1e-2, { weightDecay: 0.5, mask: onlyW })
    const plain = adam(1e-2)
    const g = gradsAt(0)
    const [u] = opt.update(g, opt.init(params0), params0) as unknown as [Tree]
    const [v] = plain.update(g, plain.init(params0)) as unknown as [Tree]
    assertAllclose(u["mlp/~/linear_0"]!.b!.toTypedArray(), v["mlp/~/linear_0"]!.b!.toTypedArray(), { atol: 0 })
    const w = leaves64(params0["mlp/~/linear_0"]!.w)[0]!
    const expected = Float64Array.from(v["mlp/~/linear_0"]!.w!.toTypedArray(), (x, j) => x - 1e-2 * 0.5 * w[j]!)
    assertAllclose(u["mlp/~/linear_0"]!.w!.toTypedArray(), expected, { rtol: 1e-6, atol: 1e-7 })
  })
  it("fails with OptimizerError, naming the fix, when update gets no params", () => {
    const opt = adamw(1e-3)
    expect(() => opt.update(gradsAt(0), opt.init(params0))).toThrow(/without params.*opt\.update\(grads, state, params\)/)
  })
})
