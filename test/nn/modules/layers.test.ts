/**
 * hk.dropout / hk.Dropout, hk.Sequential, hk.Flatten, a small hk.nets.ResNet end to end, input
 * shape errors (module path and both shapes in the message), and grad through Conv2D + BatchNorm.
 */
import { describe, expect, it } from "vitest"
import { Effect } from "effect"
import { hk, jax, jnp, type Tensor } from "../../../src/index.js"
import { randn, f64 } from "../../support/values.js"
import { assertAllclose } from "../../support/assertAllclose.js"
import { thrown, run } from "../../support/effects.js"


describe("hk.dropout / hk.Dropout", () => {
  const x = jnp.ones([100, 100])
  const drop = hk.transform((v: Tensor, isTraining: boolean) => hk.dropout(0.3, v, isTraining))

  it("in training it keeps about 1 - rate of the elements, scaled by 1/(1 - rate), and zeros the rest", () => {
    const out = f64(run(drop.apply({}, jax.random.key(0), x, true)))
    const kept = out.filter((v) => v !== 0)
    expect(Math.abs(kept.length / out.length - 0.7)).toBeLessThan(0.03)
    for (const v of kept) expect(v).toBeCloseTo(1 / 0.7, 5)
  })

  it("the mask comes from the Rng: the same key gives the same mask, another key another; no key is MissingRngError", () => {
    const a = f64(run(drop.apply({}, jax.random.key(1), x, true)))
    expect(f64(run(drop.apply({}, jax.random.key(1), x, true)))).toEqual(a)
    expect(f64(run(drop.apply({}, jax.random.key(2), x, true)))).not.toEqual(a)
    expect(thrown(() => run(drop.apply({}, null, x, true)))._tag).toBe("MissingRngError")
  })

  it("when not training it is the identity (the same tensor) and needs no key", () => {
    expect(run(drop.apply({}, null, x, false))).toBe(x)
  })

  it("hk.Dropout(rate) is the module form; broadcastDims shares the mask along an axis; rate 1 is rejected", () => {
    const f = (v: Tensor) => Effect.flatMap(hk.Dropout(0.5, { broadcastDims: [0] }), (d) => d(v, true))
    const out = run(hk.transform(f).apply({}, jax.random.key(3), jnp.ones([4, 50]))).toArray() as number[][]
    for (const row of out) expect(row).toEqual(out[0])
    expect(thrown(() => run(hk.transform((v: Tensor) => hk.dropout(1, v, true)).apply({}, 0, x))).message).toContain("rate must be in [0, 1)")
  })
})

describe("hk.Sequential and hk.Flatten", () => {
  it("Sequential(layers)(x) equals calling the layers in turn, with extra arguments to the first layer only", () => {
    const f = (x: Tensor) =>
      Effect.gen(function* () {
        const l1 = yield* hk.Linear(5)
        const l2 = yield* hk.Linear(2)
        const first = (v: Tensor, scale: number) => jnp.multiply(v, scale)
        const seq = yield* hk.Sequential([first, l1, jax.nn.relu, l2])
        const viaSeq = yield* seq(x, 3)
        const manual = yield* l2(jax.nn.relu(yield* l1(jnp.multiply(x, 3))))
        return [viaSeq, manual] as const
      })
    const t = hk.transform(f)
    const x = randn(1, [3, 4])
    const params = run(t.init(0, x))
    expect(Object.keys(params).sort()).toEqual(["linear", "linear_1"])
    const [a, b] = run(t.apply(params, null, x))
    assertAllclose(f64(a), f64(b))
  })

  it("Flatten keeps preserveDims leading axes and flattens the rest", () => {
    const f = (x: Tensor) => Effect.flatMap(Effect.zip(hk.Flatten(), hk.Flatten({ preserveDims: 2 })), ([a, b]) => Effect.zip(a(x), b(x)))
    const [a, b] = run(hk.transform(f).apply({}, null, jnp.ones([2, 3, 4, 5])))
    expect([a.shape, b.shape]).toEqual([
      [2, 60],
      [2, 3, 20]
    ])
    expect(hk.flatten(jnp.ones([7])).shape).toEqual([7])
  })
})

describe("input shape errors name the module path and both shapes", () => {
  it("Conv2D on a rank-2 input", () => {
    const f = (x: Tensor) => Effect.flatMap(hk.Conv2D(2, { kernelShape: 3 }), (c) => c(x))
    const e = thrown(() => run(hk.transform(f).init(0, jnp.ones([4, 4]))))
    expect(e._tag).toBe("ShapeError")
    expect(e.message).toContain("'conv2_d'")
    expect(e.message).toContain("f32[4,4]")
    expect(e.message).toContain("[N, H, W, C]")
  })

  it("Conv2D applied to inputs with other channels than at init: ParameterShapeError with the input and both w shapes", () => {
    const f = (x: Tensor) => Effect.flatMap(hk.nameScope("encoder", hk.Conv2D(2, { kernelShape: 3 })), (c) => c(x))
    const t = hk.transform(f)
    const params = run(t.init(0, jnp.ones([1, 4, 4, 3])))
    const e = thrown(() => run(t.apply(params, null, jnp.ones([1, 4, 4, 5]))))
    expect(e._tag).toBe("ParameterShapeError")
    expect(e.message).toContain("'encoder/conv2_d'")
    expect(e.message).toContain("f32[1,4,4,5]")
    expect(e.message).toContain("[3,3,5,2]")
    expect(e.message).toContain("[3,3,3,2]")
    expect([e.expected, e.actual]).toEqual([
      [3, 3, 5, 2],
      [3, 3, 3, 2]
    ])
  })

  it("BatchNorm in test on inputs with other channels than its moving averages", () => {
    const f = (x: Tensor, isTraining: boolean) => Effect.flatMap(hk.BatchNorm({ createScale: true, createOffset: true, decayRate: 0.9 }), (b) => b(x, isTraining))
    const t = hk.transformWithState(f)
    const [p, s] = run(t.init(0, jnp.ones([2, 4]), true))
    const test = thrown(() => run(t.apply(p, s, null, jnp.ones([2, 5]), false)))
    expect(test.message).toContain("'batch_norm'")
    expect(test.message).toContain("f32[2,5]")
    expect(test.message).toContain("[1,5]")
    expect(test.message).toContain("[1,4]")
    const train = thrown(() => run(t.apply(p, s, null, jnp.ones([2, 5]), true)))
    expect(train.message).toContain("'batch_norm/~/mean_ema'")
    expect(train.message).toContain("[1,4]")
  })

  it("LayerNorm with another last axis than at init", () => {
    const f = (x: Tensor) => Effect.flatMap(hk.LayerNorm({ axis: -1, createScale: true, createOffset: true }), (l) => l(x))
    const t = hk.transform(f)
    const e = thrown(() => run(t.apply(run(t.init(0, jnp.ones([2, 3]))), null, jnp.ones([2, 6]))))
    expect(e._tag).toBe("ParameterShapeError")
    expect(e.message).toContain("hk.LayerNorm 'layer_norm'")
    expect(e.message).toContain("f32[2,6]")
  })
})

describe("grad through Conv2D + BatchNorm", () => {
  const net = (x: Tensor) =>
    Effect.gen(function* () {
      const conv = yield* hk.Conv2D(3, { kernelShape: 3, stride: 2 })
      const bn = yield* hk.BatchNorm({ createScale: true, createOffset: true, decayRate: 0.9 })
      return yield* bn(yield* conv(x), true)
    })
  const t = hk.transformWithState(net)
  const x = randn(2, [2, 5, 5, 2])
  const [params, state] = run(t.init(jax.random.key(0), x))
  const r = randn(3, [2, 3, 3, 3])
  const loss = (p: hk.ParamTree) => Effect.map(t.apply(p, state, null, x), ([out]) => jnp.sum(jnp.multiply(jnp.tanh(out), r)))

  it("jax.grad of the loss over the params matches central finite differences", () => {
    const g = run(jax.grad(loss)(params)) as hk.ParamTree
    expect(Object.keys(g).sort()).toEqual(["batch_norm", "conv2_d"])
    expect(g.conv2_d!.w!.shape).toEqual([3, 3, 2, 3])
    const eps = 1e-2
    const bump = (m: string, n: string, i: number, d: number): hk.ParamTree => {
      const v = f64(params[m]![n]!)
      v[i]! += d
      return { ...params, [m]: { ...params[m]!, [n]: jnp.array(Float32Array.from(v), { shape: params[m]![n]!.shape }) } }
    }
    for (const [m, n, i] of [["conv2_d", "w", 0], ["conv2_d", "w", 17], ["conv2_d", "w", 40], ["batch_norm", "scale", 1], ["batch_norm", "offset", 2]] as const) {
      const fd = ((run(loss(bump(m, n, i, eps))).toArray() as number) - (run(loss(bump(m, n, i, -eps))).toArray() as number)) / (2 * eps)
      expect(f64(g[m]![n]!)[i]!).toBeCloseTo(fd, 2)
    }
    // BatchNorm removes the conv bias's effect: its gradient is ~0
    for (const v of f64(g.conv2_d!.b!)) expect(Math.abs(v)).toBeLessThan(1e-4)
  })

  it("jax.jit(apply) equals the eager apply (output and new state)", () => {
    const step = (p: hk.ParamTree, s: hk.StateTree, v: Tensor) => t.apply(p, s, null, v)
    const [eagerOut, eagerState] = run(step(params, state, x))
    const [jitOut, jitState] = run(jax.jit(step)(params, state, x))
    assertAllclose(f64(jitOut), f64(eagerOut), { atol: 1e-6 })
    assertAllclose(f64(jitState["batch_norm/~/var_ema"]!.average!), f64(eagerState["batch_norm/~/var_ema"]!.average!), { atol: 1e-6 })
  })
})

describe("hk.nets.ResNet end to end (a small configuration)", () => {
  const small = { blocksPerGroup: [1, 1, 1, 1], bottleneck: true, channelsPerGroup: [8, 16, 16, 16], useProjection: [true, true, true, true] } as const
  it.each([false, true])("resnetV2 %s: init, a training step updates state, test apply gives [N, classes] logits", (resnetV2) => {
    const f = (x: Tensor, isTraining: boolean) => Effect.flatMap(hk.nets.ResNet(5, { ...small, resnetV2, initialConvConfig: { outputChannels: 8 } }), (net) => net(x, isTraining))
    const t = hk.transformWithState(f)
    const x = randn(4, [2, 16, 16, 3])
    const [params, state] = run(t.init(jax.random.key(0), x, true))
    expect(Object.keys(params)).toContain("res_net/~/block_group_0/~/block_0/~/conv_0")
    const [logits, s1] = run(t.apply(params, state, null, x, true))
    expect(logits.shape).toEqual([2, 5])
    // logits' w is zeros (Haiku's logits_config default), so the logits are the bias: zeros
    expect(Array.from(f64(logits))).toEqual(new Array(10).fill(0))
    expect(s1["res_net/~/block_group_0/~/block_0/~/batchnorm_0/~/mean_ema"]!.counter!.toArray()).toBe(1)
    expect(run(t.apply(params, s1, null, x, false))[0].shape).toEqual([2, 5])
  })
})
