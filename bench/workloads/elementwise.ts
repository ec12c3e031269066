/** relu(a·b + c) over 2^20 float32 elements; GB/s effective = 16 B/element (3 reads, 1 write) / time. */
import type { Array as JaxArray } from "@jax-js/jax"
import { type Tensor, jax, jnp } from "../tanka.js"
import { type AnyContestant, contestant, type Workload } from "../harness.js"
import { randArray } from "../data.js"
import { BASELINE, type BenchEnv, budget, tankaRow, tfjsRow, type WorkloadFactory } from "./common.js"

const N = 1 << 20

const GPU_CHAIN = `function (a, b, c) {
  const v = a[this.thread.x] * b[this.thread.x] + c[this.thread.x];
  return Math.max(v, 0);
}`

interface T3 {
  readonly a: Tensor
  readonly b: Tensor
  readonly c: Tensor
}

const tankaChain = (a: Tensor, b: Tensor, c: Tensor): Tensor => jax.nn.relu(jnp.add(jnp.multiply(a, b), c))

const contestants = (env: BenchEnv, a: Float32Array, b: Float32Array, c: Float32Array): AnyContestant[] => {
  const cs: AnyContestant[] = []
  const setup = (): T3 => ({ a: jnp.array(a, { shape: [N] }), b: jnp.array(b, { shape: [N] }), c: jnp.array(c, { shape: [N] }) })
  const eager = (x: T3) => tankaChain(x.a, x.b, x.c).toTypedArray()
  /** A jitted chain per row, so that no row reuses another's trace. */
  const jitRun = () => {
    const f = jax.jit(tankaChain)
    return (x: T3) => f(x.a, x.b, x.c).toTypedArray()
  }
  const { base, gpujs } = env.tanka
  cs.push(
    tankaRow(base, { name: "tanka", note: "`jax.nn.relu(jnp.add(jnp.multiply(a, b), c)).toTypedArray()`, eager (one kernel per primitive)", setup, run: eager }),
    tankaRow(base, { name: "tanka-jit", note: "the same function under `jax.jit` (compiled: the chain fuses into one loop)", setup, run: jitRun() }),
    tankaRow(gpujs, { name: "tanka-gpujs", note: "eager in pure gpu.js", setup, run: eager }),
    tankaRow(gpujs, { name: "tanka-gpujs-jit", note: "`jax.jit` in pure gpu.js (kernel launches per call in the details table: one per equation unless a fused gpu.js executor runs the program)", setup, run: jitRun() })
  )
  const tf = env.peers.tf.lib
  if (tf) {
    cs.push(
      tfjsRow({
        note: "`tf.relu(tf.add(tf.mul(a, b), c))` in `tf.tidy` (3 kernels), then `dataSync()`",
        setup: () => ({ a: tf.tensor1d(a), b: tf.tensor1d(b), c: tf.tensor1d(c) }),
        op: (x) => tf.tidy(() => tf.relu(tf.add(tf.mul(x.a, x.b), x.c)))
      })
    )
  }
  const jx = env.peers.jax.lib
  if (jx) {
    const np = jx.numpy
    const setup = () => ({ a: np.array(a), b: np.array(b), c: np.array(c) })
    const teardown = (x: { a: JaxArray; b: JaxArray; c: JaxArray }) => {
      x.a.dispose()
      x.b.dispose()
      x.c.dispose()
    }
    const chain = (x: JaxArray, y: JaxArray, z: JaxArray): JaxArray => jx.nn.relu(x.mul(y).add(z))
    cs.push(
      contestant({
        name: "jax-js",
        library: "jax-js",
        note: "`nn.relu(a.mul(b).add(c)).dataSync()`, eager",
        setup,
        run: (x) => chain(x.a.ref, x.b.ref, x.c.ref).dataSync(),
        teardown
      })
    )
    const jchain = jx.jit(chain)
    cs.push(
      contestant({
        name: "jax-js-jit",
        library: "jax-js",
        note: "the same under `jax.jit` (fused into one wasm kernel)",
        setup,
        run: (x) => jchain(x.a.ref, x.b.ref, x.c.ref).dataSync(),
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
        note: "one hand-written fused gpu.js kernel, mode webasm",
        setup: () => ({ k: gpu.createKernel(GPU_CHAIN, { output: [N] }) }),
        run: (x) => x.k(a, b, c) as Float32Array
      })
    )
  }
  cs.push(
    contestant({
      name: "js",
      library: "js",
      note: "plain JS loop into a new Float32Array",
      run: () => {
        const o = new Float32Array(N)
        for (let i = 0; i < N; i++) {
          const v = a[i]! * b[i]! + c[i]!
          o[i] = v > 0 ? v : 0
        }
        return o
      }
    })
  )
  return cs
}

export const elementwise: WorkloadFactory = (env) => {
  const a = randArray(N, 21)
  const b = randArray(N, 22)
  const c = randArray(N, 23)
  const bytes = 16 * N
  const workload: Workload = {
    id: "elementwise-1M",
    group: "elementwise",
    groupTitle: "elementwise relu(a·b + c), float32",
    column: "2^20",
    title: "elementwise relu(a*b+c) over 2^20 elements (GB/s effective, 16 B/element)",
    metric: { label: "GB/s", fromMs: (ms) => bytes / (ms * 1e6), higherIsBetter: true },
    reference: () => {
      const r = new Float64Array(N)
      for (let i = 0; i < N; i++) r[i] = Math.max(a[i]! * b[i]! + c[i]!, 0)
      return r
    },
    tolerance: 1e-5,
    baseline: BASELINE,
    budgetMs: budget(env, 700),
    minSamples: env.quick ? 3 : 5,
    maxRounds: 60,
    contestants: contestants(env, a, b, c)
  }
  return [workload]
}
