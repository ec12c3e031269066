/**
 * `hk.nets.ResNet50` (tanka alone; no peer runs this model here), in three rows:
 *
 * - `resnet50-evalshape`: `jax.evalShape(init)` at 224×224 — the shapes of the 25.6M parameters
 *   without running a kernel; checked against the layout of ../resnet-ref.ts (names and shapes);
 * - `resnet50-init`: `init` itself, once (it draws every parameter); the same check;
 * - `resnet50-forward`: the jitted inference apply at batch 1, 224×224, in seconds per image,
 *   checked against a float64 forward pass of the same parameters (../resnet-ref.ts).
 *
 * For a meaningful check the forward pass does not use init's values where they are degenerate:
 * Haiku initialises the logits' `w` and every block's last batchnorm `scale` to zeros (the
 * output would be the logits' bias, whatever the convolutions compute), so the forward pass
 * runs on init's convolution kernels with seeded batchnorm scales, offsets and moving averages
 * and a seeded logits layer (drawn once, outside the timed calls).
 *
 * `--quick` runs the evalShape row as is, and init and forward on a reduced network of the same
 * layout (1/4 of the channels, 16 initial channels, 10 classes) at 64×64: a smoke test of the
 * code paths, not a ResNet50 measurement.
 */
import { Effect } from "effect"
import { type Tensor, hk, jax, jnp } from "../tanka.js"
import { type AnyContestant, type Workload } from "../harness.js"
import { randArray } from "../data.js"
import { layout, layoutMismatches, layoutSize, resnet50Spec, resnetForwardF64, resnetMacs, type ResNetSpec, type Values } from "../resnet-ref.js"
import { type BenchEnv, budget, tankaRow, wasmCounters, type WorkloadFactory } from "./common.js"

type Tree = Record<string, Record<string, Tensor>>

/** The network of a spec, built with tanka's public API (`hk.nets.ResNet50` for the real one). */
const network = (spec: ResNetSpec, real: boolean) => (x: Tensor, isTraining: boolean) =>
  Effect.flatMap(
    real
      ? hk.nets.ResNet50(spec.numClasses)
      : hk.nets.ResNet(spec.numClasses, {
          ...hk.nets.RESNET_CONFIGS[50],
          channelsPerGroup: spec.channelsPerGroup as [number, number, number, number],
          initialConvConfig: { outputChannels: spec.initialChannels },
          name: spec.root
        }),
    (net) => net(x, isTraining)
  )

/** `isTraining` selects code, so it is closed over (jit and evalShape trace their arguments). */
const transforms = (spec: ResNetSpec, real: boolean) => ({
  // init in training mode: it creates the batchnorm moving averages (as in Haiku)
  init: hk.transformWithState((x: Tensor) => network(spec, real)(x, true)),
  infer: hk.transformWithState((x: Tensor) => network(spec, real)(x, false))
})

/** [param values, state values, layout mismatches] of a tree of `{ shape }` leaves (the check's output). */
const describeTrees = (spec: ResNetSpec, params: unknown, state: unknown): Float64Array => {
  const l = layout(spec)
  const p = params as Record<string, Record<string, { shape: number[] }>>
  const s = state as Record<string, Record<string, { shape: number[] }>>
  const size = (t: typeof p) => Object.values(t).reduce((a, m) => a + Object.values(m).reduce((b, v) => b + v.shape.reduce((x, d) => x * d, 1), 0), 0)
  const bad = [...layoutMismatches(l.params, p), ...layoutMismatches(l.state, s)]
  if (bad.length > 0) process.stdout.write(`  layout mismatches (first 5): ${bad.slice(0, 5).join("; ")}\n`)
  return Float64Array.of(size(p), size(s), bad.length)
}

const expectedTrees = (spec: ResNetSpec): Float64Array => {
  const l = layout(spec)
  return Float64Array.of(layoutSize(l.params), layoutSize(l.state), 0)
}

const read = (t: Tree): Values => Object.fromEntries(Object.entries(t).map(([m, b]) => [m, Object.fromEntries(Object.entries(b).map(([n, v]) => [n, v.toTypedArray()]))]))

export const resnet: WorkloadFactory = (env) => {
  const quick = env.quick
  const real = resnet50Spec(1000)
  const spec: ResNetSpec = quick
    ? { ...real, root: "res_net", channelsPerGroup: real.channelsPerGroup.map((c) => c / 4), initialChannels: 16, numClasses: 10 }
    : real
  const size = quick ? 64 : 224
  const batch = 1
  const label = quick ? `reduced ResNet-50 layout (¼ channels, 10 classes), ${size}×${size} — smoke run` : `ResNet50, ${size}×${size}`
  const { init, infer } = transforms(spec, !quick)
  const X = randArray(batch * size * size * spec.inChannels, 51)
  const { base, oneThread } = env.tanka

  /** init's result, shared by the init row (which makes it) and the forward rows. */
  let initialised: { params: Tree; state: Tree } | null = null
  const runInit = () => {
    const [params, state] = Effect.runSync(init.init(jax.random.key(0), jnp.array(X, { shape: [batch, size, size, spec.inChannels] })))
    initialised = { params: params as Tree, state: state as Tree }
    return initialised
  }

  /** The forward pass's inputs: init's kernels, seeded batchnorm values and logits (see the header). */
  let prepared: { params: Tree; state: Tree; values: { params: Values; state: Values } } | null = null
  const prepare = () => {
    if (prepared) return prepared
    const { params, state } = initialised ?? runInit()
    let seed = 1000
    const seeded = (shape: number[], lo: number, hi: number) => {
      const n = shape.reduce((a, d) => a * d, 1)
      const u = randArray(n, seed++)
      return jnp.array(u.map((v) => lo + ((v + 1) / 2) * (hi - lo)), { shape })
    }
    const p: Tree = {}
    for (const [m, b] of Object.entries(params)) {
      p[m] = { ...b }
      if (b["scale"]) p[m]!["scale"] = seeded([...b["scale"].shape], 0.5, 1)
      if (b["offset"]) p[m]!["offset"] = seeded([...b["offset"].shape], -0.1, 0.1)
      if (m.endsWith("/logits")) {
        const [cin] = b["w"]!.shape
        p[m] = { w: seeded([...b["w"]!.shape], -1 / Math.sqrt(cin!), 1 / Math.sqrt(cin!)), b: seeded([...b["b"]!.shape], -0.1, 0.1) }
      }
    }
    const s: Tree = {}
    for (const [m, b] of Object.entries(state)) {
      const mean = m.endsWith("/mean_ema")
      s[m] = { ...b, average: seeded([...b["average"]!.shape], mean ? -0.1 : 0.5, mean ? 0.1 : 1.5) }
    }
    prepared = { params: p, state: s, values: { params: read(p), state: read(s) } }
    return prepared
  }

  const evalShape: Workload = {
    id: "resnet50-evalshape",
    group: "resnet",
    table: "resnet-evalshape",
    groupTitle: "`jax.evalShape(ResNet50 init)`, 224×224 (ms per call; shapes only, no kernel runs)",
    column: "evalShape",
    title: "jax.evalShape of hk.nets.ResNet50(1000)'s init at [1, 224, 224, 3] (ms per call)",
    metric: { label: "ms", fromMs: (ms) => ms, higherIsBetter: false },
    reference: () => expectedTrees(real),
    tolerance: 0,
    baseline: "tanka",
    budgetMs: budget(env, 1500, 300),
    minSamples: 3,
    maxRounds: 20,
    contestants: (() => {
      const t = transforms(real, true).init
      return [
        tankaRow(base, {
          name: "tanka",
          note: "`jax.evalShape(hk.transformWithState(f).init, key, { shape: [1, 224, 224, 3], dtype: 'float32' })`, f = ResNet50(1000) in training mode",
          run: () => Effect.runSync(jax.evalShape(t.init, jax.random.key(0), { shape: [1, 224, 224, 3], dtype: "float32" })),
          output: ([params, state]: [unknown, unknown]) => describeTrees(real, params, state)
        })
      ]
    })()
  }

  const initRow: Workload = {
    id: "resnet50-init",
    group: "resnet",
    table: "resnet-run",
    groupTitle: `${label}: init (once) and the jitted forward pass (batch ${batch})`,
    column: "init",
    title: `init of ${label} (one call: draws every parameter; ms)`,
    metric: { label: "s", fromMs: (ms) => ms / 1000, higherIsBetter: false },
    reference: () => expectedTrees(spec),
    tolerance: 0,
    baseline: "tanka",
    once: true,
    budgetMs: 0,
    minSamples: 1,
    maxRounds: 0,
    contestants: [
      tankaRow(base, {
        name: "tanka",
        note: `\`hk.transformWithState(f).init(key, x)\`, eager, one call (it draws ${quick ? "every parameter" : "all 25.6M parameters"}); ${quick ? "the reduced network" : "`hk.nets.ResNet50(1000)`"} in training mode`,
        run: () => runInit(),
        output: (r: { params: Tree; state: Tree }) => describeTrees(spec, r.params, r.state)
      })
    ]
  }

  const macs = resnetMacs(spec, size) * batch
  const forwardRows = (): AnyContestant[] => {
    const row = (cfg: typeof base, name: string, note: string) => {
      const f = jax.jit((p: Tree, s: Tree, x: Tensor) => infer.apply(p, s, null, x))
      return tankaRow(cfg, {
        name,
        note,
        setup: () => ({ ...prepare(), x: jnp.array(X, { shape: [batch, size, size, spec.inChannels] }) }),
        run: (c: { params: Tree; state: Tree; x: Tensor }) => {
          const [logits] = Effect.runSync(f(c.params, c.state, c.x) as Effect.Effect<[Tensor, Tree]>)
          return logits.toTypedArray()
        },
        counters: wasmCounters
      })
    }
    return [
      row(base, "tanka-jit", "`jax.jit` of `hk.transformWithState(f).apply(params, state, null, x)` in inference mode (batchnorm from its moving averages), logits read back"),
      row(oneThread, "tanka-1t-jit", "the same on one thread")
    ]
  }
  const forward: Workload = {
    id: "resnet50-forward",
    group: "resnet",
    table: "resnet-run",
    groupTitle: initRow.groupTitle,
    column: `forward, batch ${batch}`,
    title: `${label}: jitted forward pass, batch ${batch} (s per image; ${(2 * macs / 1e9).toFixed(2)} GFLOP)`,
    metric: { label: "s/image", fromMs: (ms) => ms / 1000 / batch, higherIsBetter: false },
    reference: () => {
      const { values } = prepare()
      return resnetForwardF64(spec, values.params, values.state, X, batch, size)
    },
    // float32 kernels through 53 layers against float64, relative to the largest logit
    tolerance: 1e-4,
    baseline: "tanka-jit",
    budgetMs: budget(env, 4000, 300),
    minSamples: 3,
    maxRounds: 20,
    contestants: forwardRows()
  }
  return [evalShape, initRow, forward]
}

