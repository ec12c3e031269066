/** Square matmul C = A·B at n = 256, 512, 1024 (`--quick`: 256 only), GFLOP/s = 2n³ / time. */
import { type Tensor, jnp } from "../tanka.js"
import { type AnyContestant, contestant, type Workload } from "../harness.js"
import { matmulF64, randArray } from "../data.js"
import { BASELINE, type BenchEnv, budget, flattenGpu, tankaRow, tfjsRow, type WorkloadFactory } from "./common.js"

/** Plain JS, ikj loop order (contiguous inner loop), float32 storage. */
export const matmulJs = (a: Float32Array, b: Float32Array, m: number, k: number, n: number): Float32Array => {
  const c = new Float32Array(m * n)
  for (let i = 0; i < m; i++) {
    const ci = i * n
    for (let p = 0; p < k; p++) {
      const av = a[i * k + p]!
      const bp = p * n
      for (let j = 0; j < n; j++) c[ci + j]! += av * b[bp + j]!
    }
  }
  return c
}

/** The kernel a gpu.js user writes: one thread per output cell, a loop over k. Source text, so that no transpiler rewrites it. */
const GPU_MATMUL = `function (a, b) {
  let s = 0;
  for (let k = 0; k < this.constants.n; k++) {
    s += a[this.thread.y * this.constants.n + k] * b[k * this.constants.n + this.thread.x];
  }
  return s;
}`

const contestants = (env: BenchEnv, n: number, A: Float32Array, B: Float32Array): AnyContestant[] => {
  const cs: AnyContestant[] = []
  const setup = () => ({ a: jnp.array(A, { shape: [n, n] }), b: jnp.array(B, { shape: [n, n] }) })
  const run = (c: { a: Tensor; b: Tensor }) => jnp.matmul(c.a, c.b).toTypedArray()
  const { base, oneThread, gpujs } = env.tanka
  cs.push(
    tankaRow(base, { name: "tanka", note: "`jnp.matmul(a, b).toTypedArray()` on resident tensors (one `dot_general`)", setup, run }),
    tankaRow(oneThread, { name: "tanka-1t", note: "the same on one thread", setup, run }),
    tankaRow(gpujs, { name: "tanka-gpujs", note: "the same in pure gpu.js (tanka's generated `dot_general` kernel)", setup, run })
  )
  const tf = env.peers.tf.lib
  if (tf) {
    cs.push(
      tfjsRow({
        note: "`tf.matMul(a, b)` then `dataSync()`",
        setup: () => ({ a: tf.tensor2d(A, [n, n]), b: tf.tensor2d(B, [n, n]) }),
        op: (c) => tf.matMul(c.a, c.b)
      })
    )
  }
  const jax = env.peers.jax.lib
  if (jax) {
    const np = jax.numpy
    cs.push(
      contestant({
        name: "jax-js",
        library: "jax-js",
        note: "`np.matmul(a, b).dataSync()` (eager; `.ref` keeps the inputs alive)",
        setup: () => ({ a: np.array(A, { shape: [n, n] }), b: np.array(B, { shape: [n, n] }) }),
        run: (c) => np.matmul(c.a.ref, c.b.ref).dataSync(),
        teardown: (c) => {
          c.a.dispose()
          c.b.dispose()
        }
      })
    )
  }
  const gpu = env.peers.gpu.lib
  if (gpu) {
    cs.push(
      contestant({
        name: "gpujs-webasm",
        library: "gpu.js",
        note: "hand-written gpu.js kernel, one thread per output cell, mode webasm; arguments uploaded on every call",
        setup: () => ({ k: gpu.createKernel(GPU_MATMUL, { output: [n, n], constants: { n } }) }),
        run: (c) => c.k(A, B) as unknown,
        output: flattenGpu
      })
    )
  }
  cs.push(
    contestant({
      name: "js",
      library: "js",
      note: "plain JS triple loop, ikj order, Float32Array",
      run: () => matmulJs(A, B, n, n, n)
    })
  )
  return cs
}

export const matmul: WorkloadFactory = (env) =>
  (env.quick ? [256] : [256, 512, 1024]).map((n): Workload => {
    const A = randArray(n * n, n + 1)
    const B = randArray(n * n, n + 2)
    const flop = 2 * n * n * n
    return {
      id: `matmul-${n}`,
      group: "matmul",
      groupTitle: "matmul n×n · n×n",
      column: `${n}³`,
      title: `matmul ${n}x${n} @ ${n}x${n} (${(flop / 1e6).toFixed(0)} MFLOP)`,
      metric: { label: "GFLOP/s", fromMs: (ms) => flop / (ms * 1e6), higherIsBetter: true },
      reference: () => matmulF64(A, B, n, n, n),
      tolerance: 1e-4,
      baseline: BASELINE,
      budgetMs: budget(env, n >= 1024 ? 2000 : n >= 512 ? 1200 : 800),
      minSamples: n >= 1024 || env.quick ? 3 : 5,
      maxRounds: 40,
      contestants: contestants(env, n, A, B)
    }
  })
