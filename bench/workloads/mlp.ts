/** MLP 784-300-100-10 forward (relu, relu, linear logits) at batch 128; GFLOP/s over 68.1 MFLOP. */
import type { Array as JaxArray } from "@jax-js/jax"
import { type Tensor, jax, jnp } from "../tanka.js"
import { type AnyContestant, contestant, type Workload } from "../harness.js"
import { MLP_BATCH as B, MLP_FORWARD_FLOP, MLP_SHAPES, type MlpParams, mlpForwardF64, mlpInput, mlpParams } from "../data.js"
import { BASELINE, type BenchEnv, budget, flattenGpu, tankaRow, tfjsRow, type WorkloadFactory } from "./common.js"
import { matmulJs } from "./matmul.js"

const KEYS = ["w1", "b1", "w2", "b2", "w3", "b3"] as const
type Key = (typeof KEYS)[number]
type ParamsOf<T> = { readonly [K in Key]: T }

/** One gpu.js kernel per layer computing relu(x W + b); the output [N, B] is B rows of N. */
const gpuLayer = (flatInput: boolean, relu: boolean): string => `function (x, w, b) {
  let s = b[this.thread.x];
  for (let k = 0; k < this.constants.K; k++) {
    s += ${flatInput ? "x[this.thread.y * this.constants.K + k]" : "x[this.thread.y][k]"} * w[k * this.constants.N + this.thread.x];
  }
  return ${relu ? "Math.max(s, 0)" : "s"};
}`

const jsForward = (p: MlpParams, x: Float32Array): Float32Array => {
  const layer = (h: Float32Array, w: Float32Array, b: Float32Array, k: number, n: number, relu: boolean) => {
    const z = matmulJs(h, w, B, k, n)
    for (let i = 0; i < B; i++) {
      for (let j = 0; j < n; j++) {
        const v = z[i * n + j]! + b[j]!
        z[i * n + j] = relu && v < 0 ? 0 : v
      }
    }
    return z
  }
  const h1 = layer(x, p.w1, p.b1, 784, 300, true)
  const h2 = layer(h1, p.w2, p.b2, 300, 100, true)
  return layer(h2, p.w3, p.b3, 100, 10, false)
}

const tankaForward = (p: ParamsOf<Tensor>, x: Tensor): Tensor => {
  const h1 = jax.nn.relu(jnp.add(jnp.matmul(x, p.w1), p.b1))
  const h2 = jax.nn.relu(jnp.add(jnp.matmul(h1, p.w2), p.b2))
  return jnp.add(jnp.matmul(h2, p.w3), p.b3)
}

const contestants = (env: BenchEnv, P: MlpParams, X: Float32Array): AnyContestant[] => {
  const cs: AnyContestant[] = []
  const setup = () => {
    const p = Object.fromEntries(KEYS.map((k) => [k, jnp.array(P[k], { shape: [...MLP_SHAPES[k]] })])) as ParamsOf<Tensor>
    return { p, x: jnp.array(X, { shape: [B, 784] }) }
  }
  type Ctx = ReturnType<typeof setup>
  const eager = (c: Ctx) => tankaForward(c.p, c.x).toTypedArray()
  /** A jitted forward per row, so that no row reuses another's trace. */
  const jitRun = () => {
    const f = jax.jit(tankaForward)
    return (c: Ctx) => f(c.p, c.x).toTypedArray()
  }
  const { base, oneThread, gpujs } = env.tanka
  cs.push(
    tankaRow(base, { name: "tanka", note: "`relu(matmul(x, w) + b)` per layer with `jnp` / `jax.nn`, eager, `toTypedArray()` of the logits", setup, run: eager }),
    tankaRow(base, { name: "tanka-jit", note: "the same forward under `jax.jit` (params pytree and x as arguments)", setup, run: jitRun() }),
    tankaRow(oneThread, { name: "tanka-1t-jit", note: "the jitted forward on one thread", setup, run: jitRun() }),
    tankaRow(gpujs, { name: "tanka-gpujs", note: "eager in pure gpu.js", setup, run: eager }),
    tankaRow(gpujs, { name: "tanka-gpujs-jit", note: "`jax.jit` in pure gpu.js (launches per call in the details table)", setup, run: jitRun() })
  )
  const tf = env.peers.tf.lib
  if (tf) {
    cs.push(
      tfjsRow({
        note: "`tf.fused.matMul({a, b, bias, activation: 'relu'})` per layer (what tfjs-layers' Dense runs), in `tf.tidy`",
        setup: () => {
          const t = (k: Key) => tf.tensor(P[k], [...MLP_SHAPES[k]])
          return { w1: t("w1"), b1: t("b1"), w2: t("w2"), b2: t("b2"), w3: t("w3"), b3: t("b3"), x: tf.tensor2d(X, [B, 784]) }
        },
        op: (c) =>
          tf.tidy(() => {
            const h1 = tf.fused.matMul({ a: c.x, b: c.w1 as typeof c.x, bias: c.b1, activation: "relu" })
            const h2 = tf.fused.matMul({ a: h1, b: c.w2 as typeof c.x, bias: c.b2, activation: "relu" })
            return tf.fused.matMul({ a: h2, b: c.w3 as typeof c.x, bias: c.b3 })
          })
      })
    )
  }
  const jx = env.peers.jax.lib
  if (jx) {
    const np = jx.numpy
    type JP = ParamsOf<JaxArray>
    const setup = () => {
      const p = Object.fromEntries(KEYS.map((k) => [k, np.array(P[k], { shape: [...MLP_SHAPES[k]] })])) as JP
      return { p, x: np.array(X, { shape: [B, 784] }) }
    }
    const teardown = (c: { p: JP; x: JaxArray }) => {
      for (const k of KEYS) c.p[k].dispose()
      c.x.dispose()
    }
    /** Consumes p and x (jax-js reference counting); callers pass `.ref`s. */
    const forward = (p: JP, x: JaxArray): JaxArray => {
      const h1 = jx.nn.relu(np.matmul(x, p.w1).add(p.b1))
      const h2 = jx.nn.relu(np.matmul(h1, p.w2).add(p.b2))
      return np.matmul(h2, p.w3).add(p.b3)
    }
    const refs = (p: JP): JP => ({ w1: p.w1.ref, b1: p.b1.ref, w2: p.w2.ref, b2: p.b2.ref, w3: p.w3.ref, b3: p.b3.ref })
    cs.push(
      contestant({
        name: "jax-js",
        library: "jax-js",
        note: "`relu(matmul(x, w).add(b))` per layer, eager, `dataSync()`",
        setup,
        run: (c) => forward(refs(c.p), c.x.ref).dataSync(),
        teardown
      })
    )
    const jforward = jx.jit(forward)
    cs.push(
      contestant({
        name: "jax-js-jit",
        library: "jax-js",
        note: "the same forward under `jax.jit`",
        setup,
        run: (c) => jforward(refs(c.p), c.x.ref).dataSync(),
        teardown
      })
    )
  }
  const gpu = env.peers.gpu.lib
  if (gpu) {
    cs.push(
      contestant({
        name: "gpujs-webasm",
        library: "gpu.js",
        note: "three hand-written gpu.js kernels relu(xW + b), mode webasm, host arrays between layers",
        setup: () => ({
          l1: gpu.createKernel(gpuLayer(true, true), { output: [300, B], constants: { K: 784, N: 300 } }),
          l2: gpu.createKernel(gpuLayer(false, true), { output: [100, B], constants: { K: 300, N: 100 } }),
          l3: gpu.createKernel(gpuLayer(false, false), { output: [10, B], constants: { K: 100, N: 10 } })
        }),
        run: (c) => {
          const h1 = c.l1(X, P.w1, P.b1)
          const h2 = c.l2(h1 as Float32Array[], P.w2, P.b2)
          return c.l3(h2 as Float32Array[], P.w3, P.b3) as unknown
        },
        output: flattenGpu
      })
    )
  }
  cs.push(
    contestant({
      name: "js",
      library: "js",
      note: "plain JS: ikj matmul loops, bias and relu in place",
      run: () => jsForward(P, X)
    })
  )
  return cs
}

export const mlp: WorkloadFactory = (env) => {
  const P = mlpParams()
  const X = mlpInput()
  const workload: Workload = {
    id: "mlp-forward",
    group: "mlp",
    groupTitle: "MLP 784-300-100-10 forward, batch 128",
    column: "forward",
    title: `MLP 784-300-100-10 forward at batch ${B} (${(MLP_FORWARD_FLOP / 1e6).toFixed(1)} MFLOP)`,
    metric: { label: "GFLOP/s", fromMs: (ms) => MLP_FORWARD_FLOP / (ms * 1e6), higherIsBetter: true },
    reference: () => mlpForwardF64(P, X),
    tolerance: 1e-4,
    baseline: BASELINE,
    budgetMs: budget(env, 800),
    minSamples: env.quick ? 3 : 5,
    maxRounds: 60,
    contestants: contestants(env, P, X)
  }
  return [workload]
}
