/**
 * Recurrent cores against float64 step references; the unroll laws (dynamic = static, batch-major
 * = time-major transposed, reverse = reversed inputs and outputs), gradients through
 * `dynamicUnroll` under `jax.grad`, ResetCore, DeepRNN and IdentityCore.
 */
import { describe, expect, it } from "vitest"
import { Effect } from "effect"
import { hk, jax, jnp, ShapeError, ModuleConfigError, type Tensor } from "../../../src/index.js"
import { randn, f64 } from "../../support/values.js"
import { assertAllclose } from "../../support/assertAllclose.js"
import { run, thrown } from "../../support/effects.js"

const sig = (v: number) => 1 / (1 + Math.exp(-v))
/** rows × cols matrix product + bias, float64. */
const affine = (x: Float64Array, rows: number, din: number, w: Float64Array, dout: number, b?: Float64Array) =>
  Float64Array.from({ length: rows * dout }, (_, k) => {
    const [r, o] = [Math.floor(k / dout), k % dout]
    let s = b ? b[o]! : 0
    for (let i = 0; i < din; i++) s += x[r * din + i]! * w[i * dout + o]!
    return s
  })

type Hk = hk.Params | hk.Rng | hk.Naming
/** A transform that makes a core and runs one step on (x, state0). */
const oneStep = <S>(make: Effect.Effect<hk.RNNCore<S>, never, hk.Naming>) =>
  hk.transform((x: Tensor) =>
    Effect.gen(function* () {
      const core = yield* make
      const s0 = yield* core.initialState(x.shape[0]!)
      return yield* core(x, s0)
    }) as Effect.Effect<readonly [Tensor, S], never, Hk>
  )

describe("one step of each core equals its float64 definition (from a zero state)", () => {
  const B = 3
  const D = 4
  const Hs = 5
  const x = randn(1, [B, D])
  const xs = f64(x)

  it("VanillaRNN: h = relu(x·W_i + b_i + 0·W_h + b_h)", () => {
    const t = oneStep(hk.VanillaRNN(Hs))
    const p = run(t.init(jax.random.key(0), x))
    const [out, h] = run(t.apply(p, null, x))
    const pre = affine(xs, B, D, f64(p["vanilla_rnn/linear"]!.w!), Hs, f64(p["vanilla_rnn/linear"]!.b!)).map((v, i) => v + f64(p["vanilla_rnn/linear_1"]!.b!)[i % Hs]!)
    assertAllclose(f64(out), pre.map((v) => Math.max(v, 0)), { atol: 1e-5 })
    assertAllclose(f64(h), f64(out), { atol: 0 })
  })

  it("LSTM: gates i, g, f, o from one Linear over [x, h]; f gets +1; c = σ(f+1)·0 + σ(i)·tanh(g); h = σ(o)·tanh(c)", () => {
    const t = oneStep(hk.LSTM(Hs))
    const p = run(t.init(jax.random.key(1), x))
    expect(p["lstm/linear"]!.w!.shape).toEqual([D + Hs, 4 * Hs])
    const [h, state] = run(t.apply(p, null, x))
    const xh = Float64Array.from({ length: B * (D + Hs) }, (_, k) => (k % (D + Hs) < D ? xs[Math.floor(k / (D + Hs)) * D + (k % (D + Hs))]! : 0))
    const gates = affine(xh, B, D + Hs, f64(p["lstm/linear"]!.w!), 4 * Hs, f64(p["lstm/linear"]!.b!))
    const g = (r: number, k: number, j: number) => gates[r * 4 * Hs + k * Hs + j]!
    const c = Float64Array.from({ length: B * Hs }, (_, k) => sig(g(Math.floor(k / Hs), 0, k % Hs)) * Math.tanh(g(Math.floor(k / Hs), 1, k % Hs)))
    const hRef = c.map((cv, k) => sig(g(Math.floor(k / Hs), 3, k % Hs)) * Math.tanh(cv))
    assertAllclose(f64(state.cell), c, { atol: 1e-5 })
    assertAllclose(f64(h), hRef, { atol: 1e-5 })
    assertAllclose(f64(state.hidden), hRef, { atol: 1e-5 })
  })

  it("LSTM's forget gate: from a non-zero cell, c = σ(f + 1)·c0 + σ(i)·tanh(g)", () => {
    const t = hk.transform((v: Tensor, c0: Tensor) => Effect.flatMap(hk.LSTM(Hs), (l) => l(v, { hidden: jnp.zeros([B, Hs]), cell: c0 })))
    const c0 = randn(2, [B, Hs])
    const p = run(t.init(jax.random.key(1), x, c0))
    const [, state] = run(t.apply(p, null, x, c0))
    const xh = Float64Array.from({ length: B * (D + Hs) }, (_, k) => (k % (D + Hs) < D ? xs[Math.floor(k / (D + Hs)) * D + (k % (D + Hs))]! : 0))
    const gates = affine(xh, B, D + Hs, f64(p["lstm/linear"]!.w!), 4 * Hs, f64(p["lstm/linear"]!.b!))
    const g = (r: number, k: number, j: number) => gates[r * 4 * Hs + k * Hs + j]!
    const cs = f64(c0)
    const ref = cs.map((cv, k) => sig(g(Math.floor(k / Hs), 2, k % Hs) + 1) * cv + sig(g(Math.floor(k / Hs), 0, k % Hs)) * Math.tanh(g(Math.floor(k / Hs), 1, k % Hs)))
    assertAllclose(f64(state.cell), ref, { atol: 1e-5 })
  })

  it("GRU: z, r = σ(x·w_i[:, :2H] + h·w_h[:, :2H] + b[:2H]); a = tanh(x·w_i[:, 2H:] + (r·h)·w_h[:, 2H:] + b[2H:]); h' = (1−z)·h + z·a", () => {
    const t = hk.transform((v: Tensor, h0: Tensor) => Effect.flatMap(hk.GRU(Hs, { bInit: hk.initializers.RandomNormal(0.5) }), (g) => g(v, h0)))
    const h0 = randn(3, [B, Hs])
    const p = run(t.init(jax.random.key(2), x, h0))
    const [out] = run(t.apply(p, null, x, h0))
    const wi = f64(p.gru!.w_i!)
    const wh = f64(p.gru!.w_h!)
    const b = f64(p.gru!.b!)
    const hs = f64(h0)
    const gx = affine(xs, B, D, wi, 3 * Hs)
    const gh = affine(hs, B, Hs, wh, 3 * Hs)
    const ref = new Float64Array(B * Hs)
    for (let r = 0; r < B; r++) {
      const z = Array.from({ length: Hs }, (_, j) => sig(gx[r * 3 * Hs + j]! + gh[r * 3 * Hs + j]! + b[j]!))
      const rr = Array.from({ length: Hs }, (_, j) => sig(gx[r * 3 * Hs + Hs + j]! + gh[r * 3 * Hs + Hs + j]! + b[Hs + j]!))
      for (let j = 0; j < Hs; j++) {
        let ah = 0
        for (let i = 0; i < Hs; i++) ah += rr[i]! * hs[r * Hs + i]! * wh[i * 3 * Hs + 2 * Hs + j]!
        const a = Math.tanh(gx[r * 3 * Hs + 2 * Hs + j]! + ah + b[2 * Hs + j]!)
        ref[r * Hs + j] = (1 - z[j]!) * hs[r * Hs + j]! + z[j]! * a
      }
    }
    assertAllclose(f64(out), ref, { atol: 1e-5 })
  })

  it("bad inputs: a rank-3 input to an LSTM, a state of the wrong size, a non-integer hidden size", () => {
    const t = oneStep(hk.LSTM(Hs))
    const e = thrown(() => run(t.init(0, jnp.ones([2, 3, 4]))))
    expect(e).toBeInstanceOf(ShapeError)
    expect(e.message).toContain("rank-1 or rank-2")
    const wrong = hk.transform((v: Tensor) => Effect.flatMap(hk.GRU(Hs), (g) => g(v, jnp.zeros([B, Hs + 1]))))
    expect(thrown(() => run(wrong.init(0, x))).message).toContain("start from core.initialState(3)")
    expect(thrown(() => run(oneStep(hk.VanillaRNN(2.5)).init(0, x)))).toBeInstanceOf(ModuleConfigError)
  })
})

/** An unroll over xs [T, B, D] with the given core and options; returns [ys, final state]. */
const unrollNet = (kind: "static" | "dynamic", options: hk.DynamicUnrollOptions = {}) => (xs: Tensor) =>
  Effect.gen(function* () {
    const core = yield* hk.LSTM(6)
    const batch = xs.shape[options.timeMajor === false ? 0 : 1]!
    const s0 = yield* core.initialState(batch)
    return yield* (kind === "static" ? hk.staticUnroll(core, xs, s0, options) : hk.dynamicUnroll(core, xs, s0, options))
  })

describe("unrolls", () => {
  const xs = randn(4, [5, 3, 2]) // T, B, D

  it("dynamicUnroll equals staticUnroll (outputs, final state); both create lstm/linear only", () => {
    const st = hk.transform(unrollNet("static"))
    const dy = hk.transform(unrollNet("dynamic"))
    const p = run(dy.init(jax.random.key(3), xs))
    expect(Object.keys(p)).toEqual(["lstm/linear"])
    expect(Object.keys(run(st.init(jax.random.key(3), xs)))).toEqual(["lstm/linear"])
    const [ys1, s1] = run(st.apply(p, null, xs))
    const [ys2, s2] = run(dy.apply(p, null, xs))
    expect(ys2.shape).toEqual([5, 3, 6])
    assertAllclose(f64(ys2), f64(ys1), { atol: 1e-5 })
    assertAllclose(f64(s2.cell), f64(s1.cell), { atol: 1e-5 })
  })

  it("timeMajor: false takes and gives [B, T, ...]: the time-major result transposed", () => {
    const dy = hk.transform(unrollNet("dynamic"))
    const bm = hk.transform(unrollNet("dynamic", { timeMajor: false }))
    const p = run(dy.init(jax.random.key(3), xs))
    const [ys] = run(dy.apply(p, null, xs))
    const [ysB] = run(bm.apply(p, null, jnp.transpose(xs, [1, 0, 2])))
    expect(ysB.shape).toEqual([3, 5, 6])
    assertAllclose(f64(ysB), f64(jnp.transpose(ys, [1, 0, 2])), { atol: 1e-6 })
    const sbm = hk.transform(unrollNet("static", { timeMajor: false }))
    assertAllclose(f64(run(sbm.apply(p, null, jnp.transpose(xs, [1, 0, 2])))[0]), f64(ysB), { atol: 1e-5 })
  })

  it("reverse: the same as unrolling the reversed sequence, outputs reversed back", () => {
    const dy = hk.transform(unrollNet("dynamic"))
    const rev = hk.transform(unrollNet("dynamic", { reverse: true }))
    const p = run(dy.init(jax.random.key(3), xs))
    const flip = (t: Tensor) => jnp.take(t, jnp.array(Int32Array.from([4, 3, 2, 1, 0])), 0)
    const [ys] = run(dy.apply(p, null, flip(xs)))
    const [ysR] = run(rev.apply(p, null, xs))
    assertAllclose(f64(ysR), f64(flip(ys)), { atol: 1e-5 })
  })

  it("returnAllStates stacks every step's state along time; its last row is the final state", () => {
    const all = hk.transform(unrollNet("dynamic", { returnAllStates: true }))
    const p = run(all.init(jax.random.key(3), xs))
    const [, states] = run(all.apply(p, null, xs)) as unknown as [Tensor, hk.LSTMState]
    expect(states.hidden.shape).toEqual([5, 3, 6])
    const [, last] = run(hk.transform(unrollNet("dynamic")).apply(p, null, xs))
    assertAllclose(f64(states.cell).slice(4 * 18), f64(last.cell), { atol: 1e-6 })
  })

  it("jax.grad of a loss through dynamicUnroll equals the static unroll's gradient and central differences", () => {
    const dy = hk.transform(unrollNet("dynamic"))
    const st = hk.transform(unrollNet("static"))
    const p = run(dy.init(jax.random.key(5), xs))
    const loss = (t: typeof dy) => (w: Tensor) => Effect.map(t.apply({ "lstm/linear": { w, b: p["lstm/linear"]!.b! } }, null, xs), ([ys]) => jnp.sum(jnp.square(ys)))
    const w = p["lstm/linear"]!.w!
    const g1 = f64(run(jax.grad(loss(dy))(w)))
    const g2 = f64(run(jax.grad(loss(st))(w)))
    assertAllclose(g1, g2, { atol: 1e-5, rtol: 1e-4 })
    const ws = f64(w)
    for (const k of [0, 17, 40]) {
      const at = (d: number) => {
        const v = Float32Array.from(ws)
        v[k]! += d
        return f64(run(loss(dy)(jnp.array(v, { shape: w.shape }))))[0]!
      }
      const eps = 1e-2
      expect(Math.abs((at(eps) - at(-eps)) / (2 * eps) - g1[k]!)).toBeLessThan(2e-3 * Math.max(1, Math.abs(g1[k]!)))
    }
  })

  it("a sequence whose inputs disagree on the number of steps is a ShapeError", () => {
    const t = hk.transform((a: Tensor, b: Tensor) => Effect.flatMap(hk.IdentityCore(), (id) => hk.dynamicUnroll(id, [a, b], [])))
    expect(thrown(() => run(t.init(0, jnp.ones([3, 2]), jnp.ones([4, 2])))).message).toContain("the same number of steps")
  })
})

describe("composite cores", () => {
  it("ResetCore resets an example's state to the initial one where shouldReset is true", () => {
    const f = (xs: Tensor, resets: Tensor) =>
      Effect.gen(function* () {
        const core = yield* hk.ResetCore(yield* hk.GRU(4))
        return yield* hk.dynamicUnroll(core, [xs, resets] as const, yield* core.initialState(2))
      })
    const xs = randn(6, [3, 2, 2])
    const t = hk.transform(f)
    const never = jnp.zeros([3, 2], "bool")
    const p = run(t.init(jax.random.key(1), xs, never))
    // reset example 1 at step 2: its output at step 2 equals a fresh run on step 2 alone
    const resets = jnp.array([[0, 0], [0, 0], [0, 1]], { dtype: "bool" })
    const [ys] = run(t.apply(p, null, xs, resets))
    const [fresh] = run(t.apply(p, null, jnp.take(xs, jnp.array(Int32Array.from([2])), 0), jnp.zeros([1, 2], "bool")))
    const [plain] = run(t.apply(p, null, xs, never))
    const y = f64(ys)
    assertAllclose(y.slice(2 * 8 + 4, 2 * 8 + 8), f64(fresh).slice(4, 8), { atol: 1e-6 })
    assertAllclose(y.slice(2 * 8, 2 * 8 + 4), f64(plain).slice(2 * 8, 2 * 8 + 4), { atol: 1e-6 })
    expect(Math.max(...y.slice(2 * 8 + 4).map((v, i) => Math.abs(v - f64(plain)[2 * 8 + 4 + i]!)))).toBeGreaterThan(1e-4)
  })

  it("DeepRNN runs cores and functions in order; with skip connections layer 2 sees [x, h1] and the output concatenates both", () => {
    const x = randn(7, [2, 3])
    const deep = hk.transform((v: Tensor) =>
      Effect.gen(function* () {
        const a = yield* hk.VanillaRNN(4, { name: "a" })
        const b = yield* hk.VanillaRNN(2, { name: "b" })
        const d = yield* hk.DeepRNN([a, jnp.tanh, b])
        const [out, state] = yield* d(v, yield* d.initialState(2))
        const [ha] = yield* a(v, jnp.zeros([2, 4]))
        const [hb] = yield* b(jnp.tanh(ha), jnp.zeros([2, 2]))
        return [out, state.length, hb] as const
      })
    )
    const p = run(deep.init(jax.random.key(2), x))
    const [out, n, manual] = run(deep.apply(p, null, x))
    expect(n).toBe(2)
    assertAllclose(f64(out), f64(manual), { atol: 1e-6 })
    const skip = hk.transform((v: Tensor) =>
      Effect.gen(function* () {
        const d = yield* hk.deepRnnWithSkipConnections([yield* hk.VanillaRNN(4), yield* hk.VanillaRNN(2)])
        return (yield* d(v, yield* d.initialState(2)))[0]
      })
    )
    const ps = run(skip.init(jax.random.key(2), x))
    expect(ps["vanilla_rnn_1/linear"]!.w!.shape).toEqual([3 + 4, 2])
    expect(run(skip.apply(ps, null, x)).shape).toEqual([2, 6])
    const notCores = (v: Tensor) => Effect.flatMap(hk.deepRnnWithSkipConnections([jax.nn.relu as unknown as hk.AnyRNNCore]), (d) => d(v, [])) as Effect.Effect<unknown, never, Hk>
    expect(thrown(() => run(hk.transform(notCores).init(0, x)))).toBeInstanceOf(ModuleConfigError)
  })

  it("IdentityCore forwards its inputs with an empty state", () => {
    const xs = randn(8, [3, 2, 2])
    const t = hk.transform((v: Tensor) => Effect.flatMap(hk.IdentityCore(), (id) => hk.staticUnroll(id, v, [] as const)))
    const [ys, s] = run(t.apply({}, null, xs))
    assertAllclose(f64(ys), f64(xs), { atol: 0 })
    expect(s).toEqual([])
  })
})
