/**
 * The full training step of the main job at batch 32, 128 and 512: forward, backward and an
 * adam update of the MLP 784-300-100-10 with softmax cross-entropy. tanka's calls start from the
 * same parameters every time (the timed work is one step); the checked output is the loss at
 * those parameters. tanka's rows also count, over steps 2–4, WebAssembly memory growth and the
 * host arrays created per step (the "allocations per training step after the first").
 */
import { createRequire } from "node:module"
import { Effect } from "effect"
import type { Array as JaxArray } from "@jax-js/jax"
import { type Tensor, hk, jax, jnp, optax } from "../tanka.js"
import type { hk as HK } from "../../src/index.js"
import { type AnyContestant, contestant, type Workload } from "../harness.js"
import { MLP_SHAPES, type MlpParams, mlpForwardF64, mlpParams, randArray, rng } from "../data.js"
import { BASELINE, type BenchEnv, budget, tankaRow, wasmCounters, type WorkloadFactory } from "./common.js"

const require = createRequire(import.meta.url)
const KEYS = ["w1", "b1", "w2", "b2", "w3", "b3"] as const
type Key = (typeof KEYS)[number]
const LR = 1e-3

/** Labels 0..9, one-hot [B, 10]. */
const labels = (B: number): { idx: Int32Array; onehot: Float32Array } => {
  const r = rng(29)
  const idx = Int32Array.from({ length: B }, () => Math.floor(r() * 10))
  const onehot = new Float32Array(B * 10)
  idx.forEach((c, i) => (onehot[i * 10 + c] = 1))
  return { idx, onehot }
}

/** Mean softmax cross-entropy of float64 logits (the check's reference). */
const lossF64 = (logits: Float64Array, idx: Int32Array): Float64Array => {
  const B = idx.length
  let total = 0
  for (let i = 0; i < B; i++) {
    const row = logits.subarray(i * 10, i * 10 + 10)
    const m = Math.max(...row)
    const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0))
    total += lse - row[idx[i]!]!
  }
  return Float64Array.of(total / B)
}

/** Number of tensor leaves in a pytree (the arrays a jitted call hands back). */
const leafCount = (tree: unknown): number => jax.tree.leaves(tree).length

/** Result arrays of tanka's step calls, summed over the run (a counter: arrays per step). */
let resultArrays = 0

const contestants = (env: BenchEnv, B: number, P: MlpParams, X: Float32Array, Y: { idx: Int32Array; onehot: Float32Array }): AnyContestant[] => {
  const cs: AnyContestant[] = []
  // tanka, written as the main job (examples/train-mnist.ts): hk.transform, jax.jit(jax.valueAndGrad(loss)), optax.adam
  const net = hk.withoutApplyRng(hk.transform((x: Tensor) => Effect.flatMap(hk.nets.MLP([300, 100, 10]), (mlp) => mlp(x))))
  const hkLoss = (p: HK.ParamTree, x: Tensor, y: Tensor) =>
    Effect.map(net.apply(p, x), (logits) => jnp.negative(jnp.mean(jnp.sum(jnp.multiply(jax.nn.logSoftmax(logits), jax.nn.oneHot(y, 10)), { axis: -1 }))))
  const opt = optax.adam(LR)
  const t = (k: Key) => jnp.array(P[k], { shape: [...MLP_SHAPES[k]] })
  /** Each row gets its own jitted step and update (no row reuses another's trace or program). */
  const tankaStep = () => {
    const step = jax.jit(jax.valueAndGrad(hkLoss))
    const update = jax.jit((p: HK.ParamTree, s: ReturnType<typeof opt.init>, g: HK.ParamTree) => {
      const [u, next] = opt.update(g, s, p)
      return [optax.applyUpdates(p, u), next] as const
    })
    const setup = () => {
      const params: HK.ParamTree = {
        "mlp/~/linear_0": { w: t("w1"), b: t("b1") },
        "mlp/~/linear_1": { w: t("w2"), b: t("b2") },
        "mlp/~/linear_2": { w: t("w3"), b: t("b3") }
      }
      return { params, state: opt.init(params), x: jnp.array(X, { shape: [B, 784] }), y: jnp.array(Y.idx, { shape: [B] }), leaves: 0 }
    }
    const run = (c: ReturnType<typeof setup>) => {
      const out = Effect.runSync(step(c.params, c.x, c.y))
      const next = update(c.params, c.state, out[1])
      next[0]["mlp/~/linear_2"]!.b!.toTypedArray()
      if (c.leaves === 0) c.leaves = leafCount(out) + leafCount(next)
      resultArrays += c.leaves
      return out[0].toTypedArray()
    }
    return { setup, run }
  }
  const outputs = { label: "result arrays", read: () => resultArrays }
  const { base, oneThread, gpujs } = env.tanka
  const main = "the main job's step: `hk.transform(MLP)`, `jax.jit(jax.valueAndGrad(loss))`, then a jitted `optax.adam` update"
  cs.push(
    tankaRow(base, { name: "tanka", note: main, ...tankaStep(), counters: [...wasmCounters, outputs] }),
    tankaRow(oneThread, { name: "tanka-1t", note: "the same step on one thread", ...tankaStep(), counters: [...wasmCounters, outputs] }),
    tankaRow(gpujs, { name: "tanka-gpujs", note: "the same step in pure gpu.js", ...tankaStep(), counters: [outputs] })
  )
  const tf = env.peers.tf.lib
  if (tf) {
    cs.push(
      contestant({
        name: "tfjs-wasm",
        library: "tfjs-wasm",
        note: "`tf.variableGrads` of the same loss (fused matMul layers), then `tf.train.adam(lr).applyGradients`",
        setup: () => {
          require("@tensorflow/tfjs") // registers tfjs's gradient functions (CommonJS build)
          const v = Object.fromEntries(KEYS.map((k) => [k, tf.variable(tf.tensor(P[k], [...MLP_SHAPES[k]]), true, `bench_${k}_${Math.random()}`)])) as Record<Key, ReturnType<typeof tf.variable>>
          return { v, x: tf.tensor2d(X, [B, 784]), y: tf.tensor2d(Y.onehot, [B, 10]), opt: (tf as any).train.adam(LR) }
        },
        run: (c) => {
          const { value, grads } = tf.variableGrads(() => {
            const h1 = tf.fused.matMul({ a: c.x, b: c.v.w1 as any, bias: c.v.b1, activation: "relu" })
            const h2 = tf.fused.matMul({ a: h1, b: c.v.w2 as any, bias: c.v.b2, activation: "relu" })
            const logits = tf.fused.matMul({ a: h2, b: c.v.w3 as any, bias: c.v.b3 })
            return tf.neg(tf.mean(tf.sum(tf.mul(c.y, tf.logSoftmax(logits)), 1))) as any
          })
          c.opt.applyGradients(grads)
          const d = value.dataSync()
          c.v.b3.dataSync()
          value.dispose()
          for (const g of Object.values(grads)) (g as { dispose(): void }).dispose()
          return d
        },
        teardown: (c) => {
          for (const v of Object.values(c.v)) v.dispose()
          c.x.dispose()
          c.y.dispose()
          c.opt.dispose()
        }
      })
    )
  }
  const jx = env.peers.jax.lib
  if (jx) {
    const np = jx.numpy
    type JP = Record<Key, JaxArray>
    const refs = (p: JP): JP => Object.fromEntries(KEYS.map((k) => [k, p[k].ref])) as JP
    const loss = (p: JP, x: JaxArray, y: JaxArray): JaxArray => {
      const h1 = jx.nn.relu(np.matmul(x, p.w1).add(p.b1))
      const h2 = jx.nn.relu(np.matmul(h1, p.w2).add(p.b2))
      const logits = np.matmul(h2, p.w3).add(p.b3)
      return jx.nn.logSoftmax(logits).mul(y).sum(-1).mean().neg()
    }
    const vg = jx.jit(jx.valueAndGrad(loss))
    /** adam with bias correction, eager (jax-js move semantics: every reuse takes a `.ref`). */
    const adam = (p: JP, g: JP, m: JP, v: JP, c1: JaxArray, c2: JaxArray) => {
      const out: Record<string, JaxArray> = {}
      for (const k of KEYS) {
        const mk = m[k].mul(0.9).add(g[k].ref.mul(0.1))
        const vk = v[k].mul(0.999).add(g[k].ref.mul(g[k]).mul(0.001))
        const upd = mk.ref.div(c1.ref).div(np.sqrt(vk.ref.div(c2.ref)).add(1e-8)).mul(LR)
        out[`p_${k}`] = p[k].sub(upd)
        out[`m_${k}`] = mk
        out[`v_${k}`] = vk
      }
      c1.dispose()
      c2.dispose()
      return out
    }
    cs.push(
      contestant({
        name: "jax-js-jit",
        library: "jax-js",
        note: "`jax.jit(jax.valueAndGrad(loss))` then an eager adam update (bias-corrected)",
        setup: () => {
          const p = Object.fromEntries(KEYS.map((k) => [k, np.array(P[k], { shape: [...MLP_SHAPES[k]] })])) as JP
          const z = () => Object.fromEntries(KEYS.map((k) => [k, np.zeros([...MLP_SHAPES[k]])])) as JP
          return { p, m: z(), v: z(), x: np.array(X, { shape: [B, 784] }), y: np.array(Y.onehot, { shape: [B, 10] }) }
        },
        run: (c) => {
          const [l, g] = vg(refs(c.p), c.x.ref, c.y.ref) as unknown as [JaxArray, JP]
          const out = adam(refs(c.p), g, refs(c.m), refs(c.v), np.array([1 - 0.9]), np.array([1 - 0.999])) as Record<string, JaxArray>
          const d = l.dataSync() // dataSync consumes its array (jax-js move semantics)
          out["p_b3"]!.dataSync()
          for (const [k, a] of Object.entries(out)) if (k !== "p_b3") a.dispose()
          return d
        },
        teardown: (c) => {
          for (const k of KEYS) {
            c.p[k].dispose()
            c.m[k].dispose()
            c.v[k].dispose()
          }
          c.x.dispose()
          c.y.dispose()
        }
      })
    )
  }
  return cs
}

/** Batch sizes of the training-step table (the cost curve); `--quick` runs batch 128 only. */
export const TRAIN_BATCHES = [32, 128, 512] as const

export const train: WorkloadFactory = (env) => {
  const P = mlpParams()
  return (env.quick ? [128] : TRAIN_BATCHES).map((B): Workload => {
    // inputs of the MLP workloads' generator (seed 17): the first 128 rows are mlpInput()'s
    const X = randArray(B * 784, 17)
    const Y = labels(B)
    return {
      id: `train-b${B}`,
      group: "train",
      groupTitle: "training step: MLP 784-300-100-10, forward + backward + adam (ms per step)",
      column: `batch ${B}`,
      title: `training step (forward, backward, adam) of the MLP at batch ${B} (examples/s)`,
      metric: { label: "examples/s", fromMs: (ms) => (B * 1000) / ms, higherIsBetter: true },
      reference: () => lossF64(mlpForwardF64(P, X), Y.idx),
      tolerance: 1e-4,
      baseline: BASELINE,
      budgetMs: budget(env, B >= 512 ? 3000 : 2500, 400),
      minSamples: env.quick ? 2 : 5,
      maxRounds: 40,
      probeCalls: 3,
      countersTitle: "Allocations per training step after the first (per-call counts over steps 2–4)",
      contestants: contestants(env, B, P, X, Y)
    }
  })
}
