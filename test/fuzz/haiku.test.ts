/**
 * Differential fuzzing of Haiku nestings: a random small network of modules (`hk.Linear`,
 * activations, `hk.LayerNorm`) under `hk.transform`, nested in `hk.vmap`, `hk.lift` or `hk.scan`,
 * on every CPU configuration, eager and under `jax.jit`. Checked: init is deterministic for a
 * key, apply is pure, the parameter tree has the expected names and shapes, and apply agrees with
 * a float64 reference (the program interpreter of `program.ts`, with its error bounds) computed
 * from the params (perturbed, so biases, scales and offsets are not their initial 0 and 1).
 * `FUZZ_RUNS=N` scales the number of networks (N / 4, at least 6).
 */
import { afterAll, describe, expect, it } from "vitest"
import fc from "fast-check"
import { Effect } from "effect"
import { hk, jax, jnp, type Tensor } from "../../src/index.js"
import { OPS, type RV, type RefCtx, Rnd, rv } from "./program.js"
import { compare, isTypedTankaError } from "./check.js"

const RUNS = Math.max(6, Math.floor(Number(process.env.FUZZ_RUNS ?? 24) / 4))
const SEED = Number(process.env.FUZZ_SEED ?? 20261201)
const MODES = jax.availableModes().filter((m) => ["wasm-simd", "webasm", "cpu"].includes(m))

type Layer = { kind: "linear"; size: number; bias: boolean } | { kind: "act"; name: "relu" | "tanh" | "sigmoid" } | { kind: "layerNorm" }
type Nesting = "plain" | "vmap" | "lift" | "scan"

const ACTS = { relu: jax.nn.relu, tanh: jnp.tanh, sigmoid: jax.nn.sigmoid } as const

/** The network as a Haiku function: module names are lin{i} / ln{i}. */
const network = (layers: ReadonlyArray<Layer>) => (x: Tensor) =>
  Effect.gen(function* () {
    let h = x
    for (const [i, l] of layers.entries()) {
      if (l.kind === "linear") h = yield* (yield* hk.Linear(l.size, { name: `lin${i}`, withBias: l.bias }))(h)
      else if (l.kind === "layerNorm") h = yield* (yield* hk.LayerNorm({ axis: -1, createScale: true, createOffset: true, name: `ln${i}` }))(h)
      else h = ACTS[l.name](h)
    }
    return h
  })

/** The nesting around the network, as one function of x (shapes: see `inputShape`). */
const nested = (layers: ReadonlyArray<Layer>, nesting: Nesting) => {
  const net = network(layers)
  switch (nesting) {
    case "plain":
      return net
    case "vmap":
      return (x: Tensor) => hk.vmap(net, { splitRng: false })(x)
    case "lift": {
      const inner = hk.transform(net)
      return (x: Tensor) => Effect.flatMap(hk.lift(inner.init, { name: "inner" })(jax.random.key(5), x), (p) => inner.apply(p, null, x))
    }
    case "scan":
      return (xs: Tensor) =>
        Effect.map(
          hk.scan((c: Tensor, x: Tensor) => Effect.map(net(x), (y) => [jnp.add(jnp.multiply(c, 0.5), y), y] as [Tensor, Tensor]), jnp.zeros(outShape(layers, xs.shape.slice(1))), xs),
          ([c, ys]) => jnp.add(jnp.sum(ys, { axis: 0 }), c)
        )
  }
}

const outShape = (layers: ReadonlyArray<Layer>, inShape: ReadonlyArray<number>): number[] =>
  layers.reduce((s, l) => (l.kind === "linear" ? [...s.slice(0, -1), l.size] : s), [...inShape])

// ---------------------------------------------------------------- float64 reference

const op = (name: string, args: RV[], p: Record<string, unknown>, ctx: RefCtx): RV => OPS[name]!.ref(args, p, ctx)
const exact = (t: Tensor): RV => rv(t.shape, Array.from(t.toTypedArray() as ArrayLike<number>, Number))

/** The network on one [B, D] input, from a params tree (module prefix for lifted params). */
const refNetwork = (layers: ReadonlyArray<Layer>, params: hk.ParamTree, prefix: string, x: RV, ctx: RefCtx): RV => {
  let h = x
  for (const [i, l] of layers.entries()) {
    if (l.kind === "linear") {
      const m = params[`${prefix}lin${i}`]!
      h = op("matmul", [h, exact(m.w!)], {}, ctx)
      if (l.bias) h = op("add", [h, exact(m.b!)], {}, ctx)
    } else if (l.kind === "act") h = op(l.name, [h], { name: l.name }, ctx)
    else {
      const m = params[`${prefix}ln${i}`]!
      const axes = [h.shape.length - 1]
      const mean = op("mean", [h], { axes, keepdims: true }, ctx)
      const d = op("sub", [h, mean], {}, ctx)
      const variance = op("mean", [op("square", [d], {}, ctx)], { axes, keepdims: true }, ctx)
      // rsqrt(var + eps): a sqrt and a reciprocal, each a few ulp (the variance is away from 0 or the row is constant)
      const sd = op("sqrt", [op("add", [variance, rv([], [1e-5])], {}, ctx)], {}, ctx)
      const inv = op("div", [rv([], [1]), sd], {}, ctx)
      h = op("add", [op("mul", [op("mul", [d, inv], {}, ctx), exact(m.scale!)], {}, ctx), exact(m.offset!)], {}, ctx)
    }
  }
  return h
}

const sliceRows = (x: RV, i: number): RV => {
  const inner = x.shape.slice(1)
  const n = inner.reduce((a, b) => a * b, 1)
  return rv(inner, x.v.slice(i * n, (i + 1) * n))
}

const refNested = (layers: ReadonlyArray<Layer>, nesting: Nesting, params: hk.ParamTree, x: RV, ctx: RefCtx): RV => {
  if (nesting === "plain") return refNetwork(layers, params, "", x, ctx)
  if (nesting === "lift") return refNetwork(layers, params, "inner/", x, ctx)
  const n = x.shape[0]!
  const outs = Array.from({ length: n }, (_, i) => refNetwork(layers, params, "", sliceRows(x, i), ctx))
  if (nesting === "vmap") return { shape: [n, ...outs[0]!.shape], v: outs.flatMap((o) => o.v), t: outs.flatMap((o) => o.t), e: outs.flatMap((o) => o.e), a: outs.flatMap((o) => o.a), te: outs.flatMap((o) => o.te) }
  let c = rv(outs[0]!.shape, outs[0]!.v.map(() => 0))
  let total = c
  for (const y of outs) {
    c = op("add", [op("mul", [c, rv([], [0.5])], {}, ctx), y], {}, ctx)
    total = op("add", [total, y], {}, ctx)
  }
  return op("add", [total, c], {}, ctx)
}

// ---------------------------------------------------------------- the property

const arbLayer: fc.Arbitrary<Layer> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("linear" as const), size: fc.integer({ min: 1, max: 4 }), bias: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("act" as const), name: fc.constantFrom("relu" as const, "tanh" as const, "sigmoid" as const) }) },
  { weight: 1, arbitrary: fc.constant({ kind: "layerNorm" as const }) }
)

const stats = { networks: 0, runs: 0, skipped: 0, nestings: new Map<string, number>() }

/** Perturb every parameter by uniform noise in ±0.5 (deterministic per seed). */
const perturb = (params: hk.ParamTree, rnd: Rnd): hk.ParamTree =>
  Object.fromEntries(
    Object.entries(params).map(([m, ps]) => [
      m,
      Object.fromEntries(Object.entries(ps).map(([n, v]) => [n, jnp.add(v, jnp.array(Float32Array.from({ length: v.size }, () => rnd.f32(-0.5, 0.5)), { shape: v.shape }))]))
    ])
  )

const bits = (t: Tensor) => Array.from(t.toTypedArray() as ArrayLike<number>)

describe("differential fuzzing of Haiku nestings", () => {
  afterAll(() => {
    console.log(`fuzz: tried ${stats.networks} Haiku networks (${[...stats.nestings].map(([k, v]) => `${k} ${v}`).join(", ")}; ${stats.skipped} skipped at a near-tie) in ${stats.runs} runs (eager and jit) on ${MODES.join(", ")}`)
  })

  it("transform(net) under vmap / lift / scan: init is deterministic, apply is pure and agrees with float64 from the params, on every CPU configuration, eager and under jit", () => {
    fc.assert(
      fc.property(
        fc.array(arbLayer, { minLength: 1, maxLength: 5 }),
        fc.constantFrom<Nesting>("plain", "vmap", "lift", "scan"),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (layers, nesting, b, d, n, seed) => {
          stats.networks++
          stats.nestings.set(nesting, (stats.nestings.get(nesting) ?? 0) + 1)
          const rnd = new Rnd(seed)
          const shape = nesting === "vmap" || nesting === "scan" ? [n, b, d] : [b, d]
          const xv = Array.from({ length: shape.reduce((p, q) => p * q, 1) }, () => rnd.f32(-2, 2))
          const x = jnp.array(Float32Array.from(xv), { shape })
          const { init, apply } = hk.transform(nested(layers, nesting))
          const header = `network ${JSON.stringify(layers)} nested as ${nesting}, x f32[${shape}] (seed ${seed})`
          const before = jax.getBackend().mode
          try {
            for (const mode of MODES) {
              jax.setBackend(mode)
              const key = jax.random.key(seed % 1000)
              const p1 = Effect.runSync(init(key, x))
              const p2 = Effect.runSync(init(key, x))
              // the tree: one entry per Linear / LayerNorm, with Haiku's shapes, identical for one key
              const prefix = nesting === "lift" ? "inner/" : ""
              let width = d
              const expected: Record<string, Record<string, number[]>> = {}
              layers.forEach((l, i) => {
                if (l.kind === "linear") {
                  expected[`${prefix}lin${i}`] = l.bias ? { w: [width, l.size], b: [l.size] } : { w: [width, l.size] }
                  width = l.size
                } else if (l.kind === "layerNorm") expected[`${prefix}ln${i}`] = { scale: [width], offset: [width] }
              })
              const got = Object.fromEntries(Object.entries(p1).map(([m, ps]) => [m, Object.fromEntries(Object.entries(ps).map(([k, v]) => [k, [...v.shape]]))]))
              expect(got, `${header}: ${mode} param tree`).toEqual(expected)
              for (const [m, ps] of Object.entries(p1)) for (const [k, v] of Object.entries(ps)) expect(bits(p2[m]![k]!), `${header}: ${mode} init is deterministic (${m}/${k})`).toEqual(bits(v))

              const params = perturb(p1, new Rnd(seed + 7))
              const ctx: RefCtx = { ambiguousValue: false, ambiguousGrad: false }
              const want = refNested(layers, nesting, params, rv(shape, xv), ctx)
              if (ctx.ambiguousValue) {
                stats.skipped++
                continue
              }
              const jitted = jax.jit((p: hk.ParamTree, y: Tensor) => Effect.runSync(apply(p, null, y)))
              for (const [how, f] of [["eager", () => Effect.runSync(apply(params, null, x))], ["jit", () => jitted(params, x)]] as const) {
                stats.runs++
                let y1: Tensor
                let y2: Tensor
                try {
                  y1 = f()
                  y2 = f()
                } catch (e) {
                  throw new Error(`${header}: ${mode} ${how} raised ${isTypedTankaError(e) ? e._tag : "an untyped"} ${e instanceof Error ? e.message : String(e)}`, { cause: e })
                }
                expect(bits(y2), `${header}: ${mode} ${how} apply is pure`).toEqual(bits(y1))
                compare([y1], [want], `${header}\n${mode} ${how}`)
              }
            }
          } finally {
            jax.setBackend(before)
          }
        }
      ),
      { numRuns: RUNS, seed: SEED }
    )
  }, Math.max(60_000, RUNS * 2000))
})

