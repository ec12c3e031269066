/**
 * hk.BatchNorm (and its ExponentialMovingAverage state) and hk.LayerNorm, checked against
 * float64 formulas.
 */
import { describe, expect, it } from "vitest"
import { Effect } from "effect"
import { hk, jnp, type Tensor } from "../../../src/index.js"
import { randn, f64 } from "../../support/values.js"
import { assertAllclose } from "../../support/assertAllclose.js"
import { thrown, run } from "../../support/effects.js"


/** Per-channel (last axis) mean and biased variance of a [..., C] array, in float64. */
const channelStats = (x: Float64Array, c: number) => {
  const n = x.length / c
  const mean = new Array<number>(c).fill(0)
  const msq = new Array<number>(c).fill(0)
  x.forEach((v, i) => {
    mean[i % c]! += v / n
    msq[i % c]! += (v * v) / n
  })
  return { mean, variance: msq.map((m, k) => m - mean[k]! ** 2) }
}
const normalize = (x: Float64Array, c: number, mean: number[], variance: number[], eps = 1e-5) => Float64Array.from(x, (v, i) => (v - mean[i % c]!) / Math.sqrt(variance[i % c]! + eps))

const DECAY = 0.9
const bnNet = (x: Tensor, isTraining: boolean, testLocalStats = false) =>
  Effect.flatMap(hk.BatchNorm({ createScale: true, createOffset: true, decayRate: DECAY }), (bn) => bn(x, isTraining, { testLocalStats }))
const bn = hk.transformWithState(bnNet)
const MEAN = "batch_norm/~/mean_ema"
const VAR = "batch_norm/~/var_ema"

describe("hk.BatchNorm", () => {
  const x0 = jnp.add(randn(1, [6, 3, 3, 4], 2), 1.5)
  const [params, state0] = run(bn.init(0, x0, true))

  it("in training it normalises with the batch's statistics (per channel, over N, H, W)", () => {
    const [out] = run(bn.apply(params, state0, null, x0, true))
    const { mean, variance } = channelStats(f64(x0), 4)
    assertAllclose(f64(out), normalize(f64(x0), 4, mean, variance), { atol: 2e-5, rtol: 1e-4 })
  })

  it("init's state: counter 0 and hidden zeros (initial values), average the first batch's statistic (Haiku's set_state rule)", () => {
    expect(state0[MEAN]!.counter!.dtype).toBe("int32")
    expect(state0[MEAN]!.counter!.toArray()).toBe(0)
    expect(Array.from(f64(state0[MEAN]!.hidden!))).toEqual([0, 0, 0, 0])
    assertAllclose(f64(state0[MEAN]!.average!), channelStats(f64(x0), 4).mean, { atol: 1e-5 })
  })

  it("state updates only in training: apply(isTraining=false) returns the state it was given", () => {
    const [, s1] = run(bn.apply(params, state0, null, x0, true))
    expect(s1[MEAN]!.counter!.toArray()).toBe(1)
    expect(s1[VAR]!.counter!.toArray()).toBe(1)
    const [, s2] = run(bn.apply(params, s1, null, randn(2, [6, 3, 3, 4]), false))
    for (const m of [MEAN, VAR]) for (const k of ["counter", "hidden", "average"]) expect(f64(s2[m]![k]!)).toEqual(f64(s1[m]![k]!))
    const [, s3] = run(bn.apply(params, s1, null, randn(2, [6, 3, 3, 4]), false, true))
    expect(s3[MEAN]!.counter!.toArray()).toBe(1)
  })

  it("the moving averages are Haiku's zero-debiased EMA; in test the output uses them", () => {
    const batches = [3, 4, 5].map((seed, i) => jnp.add(randn(seed, [6, 3, 3, 4], 1 + i), i))
    let state = state0
    const hidden = { mean: [0, 0, 0, 0], variance: [0, 0, 0, 0] }
    batches.forEach((b, t) => {
      state = run(bn.apply(params, state, null, b, true))[1]
      const stats = channelStats(f64(b), 4)
      for (const k of ["mean", "variance"] as const) hidden[k] = hidden[k].map((h, c) => h * DECAY + stats[k][c]! * (1 - DECAY))
      expect(state[MEAN]!.counter!.toArray()).toBe(t + 1)
    })
    const debias = 1 - DECAY ** batches.length
    const avgMean = hidden.mean.map((h) => h / debias)
    const avgVar = hidden.variance.map((h) => h / debias)
    assertAllclose(f64(state[MEAN]!.hidden!), hidden.mean, { atol: 1e-5, rtol: 1e-5 })
    assertAllclose(f64(state[MEAN]!.average!), avgMean, { atol: 1e-5, rtol: 1e-5 })
    assertAllclose(f64(state[VAR]!.average!), avgVar, { atol: 1e-4, rtol: 1e-4 })
    const xt = randn(8, [2, 3, 3, 4])
    const [out] = run(bn.apply(params, state, null, xt, false))
    assertAllclose(f64(out), normalize(f64(xt), 4, avgMean, avgVar), { atol: 1e-4, rtol: 1e-4 })
    // testLocalStats: batch statistics in test, no update
    const [local] = run(bn.apply(params, state, null, xt, false, true))
    const { mean, variance } = channelStats(f64(xt), 4)
    assertAllclose(f64(local), normalize(f64(xt), 4, mean, variance), { atol: 1e-4, rtol: 1e-4 })
  })

  it("scale and offset apply after normalising: out = (x - mean)·scale/sqrt(var + eps) + offset", () => {
    const p = { batch_norm: { scale: jnp.reshape(jnp.array([1, 2, 3, 4]), [1, 1, 1, 4]), offset: jnp.reshape(jnp.array([0, -1, 1, 0.5]), [1, 1, 1, 4]) } }
    const [out] = run(bn.apply(p, state0, null, x0, true))
    const { mean, variance } = channelStats(f64(x0), 4)
    const expected = Float64Array.from(normalize(f64(x0), 4, mean, variance), (v, i) => v * [1, 2, 3, 4][i % 4]! + [0, -1, 1, 0.5][i % 4]!)
    assertAllclose(f64(out), expected, { atol: 1e-4, rtol: 1e-4 })
  })

  it("axis and channels_first change the reduced axes and the param shape", () => {
    const f = (x: Tensor) => Effect.flatMap(hk.BatchNorm({ createScale: true, createOffset: false, decayRate: 0.9, dataFormat: "channels_first" }), (b) => b(x, true))
    expect(run(hk.transformWithState(f).init(0, jnp.ones([2, 3, 4, 4])))[0].batch_norm!.scale!.shape).toEqual([1, 3, 1, 1])
    const g = (x: Tensor) => Effect.flatMap(hk.BatchNorm({ createScale: false, createOffset: true, decayRate: 0.9, axis: [0] }), (b) => b(x, true))
    expect(Object.keys(run(hk.transformWithState(g).init(0, jnp.ones([5, 3, 2])))[0].batch_norm!)).toEqual(["offset"])
    expect(run(hk.transformWithState(g).init(0, jnp.ones([5, 3, 2])))[0].batch_norm!.offset!.shape).toEqual([1, 3, 2])
  })

  it("crossReplicaAxis is a ModuleConfigError naming the option and the fix", () => {
    const f = (x: Tensor) => Effect.flatMap(hk.BatchNorm({ createScale: true, createOffset: true, decayRate: 0.9, crossReplicaAxis: "i" }), (b) => b(x, true))
    const e = thrown(() => run(hk.transformWithState(f).init(0, x0)))
    expect(e._tag).toBe("ModuleConfigError")
    expect(e.option).toBe("crossReplicaAxis")
    expect(e.message).toContain("not supported")
  })

  it("in test before any training step there is no moving average (Haiku: 'No value for average')", () => {
    const e = thrown(() => run(bn.init(0, x0, false)))
    expect(e._tag).toBe("MissingStateError")
    expect(e.message).toContain("No value for 'average' in 'batch_norm/~/mean_ema'")
  })

  it("hk.transform of a function using BatchNorm is a type error (it needs hk.State)", () => {
    // @ts-expect-error BatchNorm needs hk.State: use hk.transformWithState
    hk.transform(bnNet)
  })
})

describe("hk.ExponentialMovingAverage", () => {
  it("after one update the zero-debiased average equals the value; without debiasing it is (1 - decay)·value", () => {
    const v = jnp.array([2, -4])
    const f = (x: Tensor, debias: boolean) => Effect.flatMap(hk.ExponentialMovingAverage(0.99, { zeroDebias: debias }), (ema) => ema(x))
    const t = hk.transformWithState(f)
    const [p, s] = run(t.init(null, v, true))
    assertAllclose(f64(run(t.apply(p, s, null, v, true))[0]), [2, -4], { atol: 1e-5 })
    assertAllclose(f64(run(t.apply(p, s, null, v, false))[0]), [0.02, -0.04], { atol: 1e-6 })
  })

  it("warmupLength with zeroDebias is rejected with Haiku's reason", () => {
    const f = () => Effect.flatMap(hk.ExponentialMovingAverage(0.9, { warmupLength: 2 }), (ema) => ema(jnp.ones([1])))
    expect(thrown(() => run(hk.transformWithState(f).init(null))).message).toContain("Zero debiasing does not make sense")
  })
})

describe("hk.LayerNorm", () => {
  it("normalises each example over the given axes: mean 0, variance 1 (float64 formula)", () => {
    const x = jnp.add(randn(11, [4, 7], 3), 2)
    const f = (v: Tensor) => Effect.flatMap(hk.LayerNorm({ axis: -1, createScale: true, createOffset: true }), (ln) => ln(v))
    const t = hk.transform(f)
    const params = run(t.init(0, x))
    expect(Object.keys(params)).toEqual(["layer_norm"])
    const out = f64(run(t.apply(params, null, x)))
    const xs = f64(x)
    const expected = new Float64Array(28)
    for (let r = 0; r < 4; r++) {
      const row = xs.slice(r * 7, r * 7 + 7)
      const m = row.reduce((a, b) => a + b, 0) / 7
      const v = row.reduce((a, b) => a + (b - m) ** 2, 0) / 7
      row.forEach((val, c) => (expected[r * 7 + c] = (val - m) / Math.sqrt(v + 1e-5)))
    }
    assertAllclose(out, expected, { atol: 1e-5, rtol: 1e-5 })
  })

  it("over several axes, with scale/offset of shape x.shape[-1:] and useFastVariance", () => {
    const x = randn(12, [2, 3, 4])
    const f = (v: Tensor) => Effect.flatMap(hk.LayerNorm({ axis: [1, 2], createScale: true, createOffset: true, useFastVariance: true, scaleInit: hk.initializers.Constant(2), offsetInit: hk.initializers.Constant(1) }), (ln) => ln(v))
    const t = hk.transform(f)
    const params = run(t.init(0, x))
    expect(params.layer_norm!.scale!.shape).toEqual([4])
    const out = f64(run(t.apply(params, null, x)))
    for (let e = 0; e < 2; e++) {
      const part = out.slice(e * 12, e * 12 + 12).map((v) => (v - 1) / 2)
      const m = part.reduce((a, b) => a + b, 0) / 12
      expect(Math.abs(m)).toBeLessThan(1e-5)
      expect(Math.abs(part.reduce((a, b) => a + (b - m) ** 2, 0) / 12 - 1)).toBeLessThan(1e-3)
    }
  })

  it("scaleInit without createScale is a ModuleConfigError (Haiku's ValueError)", () => {
    const f = (v: Tensor) => Effect.flatMap(hk.LayerNorm({ axis: -1, createScale: false, createOffset: true, scaleInit: jnp.ones }), (ln) => ln(v))
    expect(thrown(() => run(hk.transform(f).init(0, jnp.ones([2, 2])))).message).toContain("Cannot set `scaleInit` if `createScale: false`")
  })
})
