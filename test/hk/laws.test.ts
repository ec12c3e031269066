/** The handler laws, property-tested with fast-check. */
import { describe, expect, it } from "vitest"
import fc from "fast-check"
import { Effect } from "effect"
import { hk, jax, jnp, type Tensor } from "../../src/index.js"
import { run } from "../support/effects.js"

const flat = (t: hk.ParamTree) => Object.entries(t).flatMap(([m, b]) => Object.entries(b).map(([n, v]) => [`${m}/${n}`, Array.from(v.toTypedArray())] as const))
const net = (x: Tensor) => Effect.flatMap(hk.nets.MLP([3, 2]), (m) => m(x))
const x = jnp.array([[0.5, -1, 2]])

describe("transform laws", () => {
  it("init is a deterministic function of the key (and differs for another key)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 2 }), (seed) => {
        const { init } = hk.transform(net)
        expect(flat(run(init(seed, x)))).toEqual(flat(run(init(jax.random.key(seed), x))))
        expect(flat(run(init(seed, x)))).not.toEqual(flat(run(init(seed + 1, x))))
      }),
      { numRuns: 10 }
    )
  })

  it("apply is pure: same output on repeated calls, params untouched and frozen", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), (seed) => {
        const { init, apply } = hk.transform(net)
        const params = run(init(seed, x))
        const before = flat(params)
        const a = run(apply(params, null, x)).toArray()
        const b = run(apply(params, null, x)).toArray()
        expect(a).toEqual(b)
        expect(flat(params)).toEqual(before)
        expect(Object.isFrozen(params)).toBe(true)
      }),
      { numRuns: 10 }
    )
  })

  it("transform(f).apply(params) equals running f's math with those params", () => {
    fc.assert(
      fc.property(fc.array(fc.float({ min: -2, max: 2, noNaN: true }), { minLength: 3, maxLength: 3 }), (row) => {
        const xin = jnp.array([row])
        const { init, apply } = hk.transform(net)
        const p = run(init(0, xin))
        const l0 = p["mlp/~/linear_0"]!
        const l1 = p["mlp/~/linear_1"]!
        const expected = jnp.add(jnp.matmul(jax.nn.relu(jnp.add(jnp.matmul(xin, l0.w!), l0.b!)), l1.w!), l1.b!)
        const got = run(apply(p, null, xin))
        const [g, e] = [Array.from(got.toTypedArray()), Array.from(expected.toTypedArray())]
        g.forEach((v, i) => expect(v).toBeCloseTo(e[i]!, 5))
      }),
      { numRuns: 10 }
    )
  })

  it("Linear's default init is TruncatedNormal(1/sqrt(fanIn)) (|w| ≤ 2/sqrt(fanIn)) and zero bias", () => {
    const p = run(hk.transform(net).init(3, jnp.ones([1, 100])))
    const w = Array.from(p["mlp/~/linear_0"]!.w!.toTypedArray())
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(2 / Math.sqrt(100) + 1e-6)
    expect(Array.from(p["mlp/~/linear_0"]!.b!.toTypedArray()).every((v) => v === 0)).toBe(true)
  })
})
