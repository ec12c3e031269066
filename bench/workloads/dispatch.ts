/**
 * Interpreter overhead next to kernel time: the cost of one tiny primitive (add of two
 * 4-element arrays, read back) through tanka's eager interpreter, through the kernel layer
 * alone, and under `jax.jit`; and the cost of reusing a cached `jit` trace against retracing.
 */
import { type Tensor, jax, jnp } from "../tanka.js"
import { K } from "../tanka.js"
import type { ConcreteTensor as ConcreteTensorT } from "../../src/transforms/core/Tensor.js"
import { type AnyContestant, contestant, type Workload } from "../harness.js"
import { budget, tankaRow, type WorkloadFactory } from "./common.js"

const CALLS = 200
const a4 = new Float32Array([1, 2, 3, 4])
const b4 = new Float32Array([0.5, 0.25, -1, 2])
const perCall = { label: "µs/op", fromMs: (ms: number) => (ms * 1e3) / CALLS, higherIsBetter: false }

const loop = <R>(f: () => R): R => {
  let r = f()
  for (let i = 1; i < CALLS; i++) r = f()
  return r
}

const tinyAdd = (env: Parameters<WorkloadFactory>[0]): Workload => {
  const cs: AnyContestant[] = []
  const setup = () => ({ a: jnp.array(a4, { shape: [4] }), b: jnp.array(b4, { shape: [4] }) })
  type Ctx = ReturnType<typeof setup>
  const eager = (x: Ctx) => loop(() => jnp.add(x.a, x.b).toTypedArray())
  /** A jitted add per row, so that no row reuses another's trace. */
  const jitRun = () => {
    const jadd = jax.jit((a: Tensor, b: Tensor) => jnp.add(a, b))
    return (x: Ctx) => loop(() => jadd(x.a, x.b).toTypedArray())
  }
  const { base, gpujs } = env.tanka
  cs.push(
    tankaRow(base, { name: "tanka-eager", note: "`jnp.add(a, b).toTypedArray()`: jnp promotion, bind, shape rule, kernel launch, readback", setup, run: eager }),
    tankaRow(base, {
      name: "tanka-kernel",
      note: "the kernel layer alone, `K.binary(\"add\", a, b)`: no interpreter",
      setup,
      run: (x: Ctx) => loop(() => K.binary("add", (x.a as ConcreteTensorT).host, (x.b as ConcreteTensorT).host).data.slice())
    }),
    tankaRow(base, { name: "tanka-jit", note: "the same add under `jax.jit` (signature lookup, then the compiled program)", setup, run: jitRun() }),
    tankaRow(gpujs, { name: "tanka-gpujs-eager", note: "`jnp.add` eager in pure gpu.js", setup, run: eager }),
    tankaRow(gpujs, { name: "tanka-gpujs-jit", note: "the jitted add in pure gpu.js", setup, run: jitRun() })
  )
  const tf = env.peers.tf.lib
  if (tf) {
    cs.push(
      contestant({
        name: "tfjs-wasm",
        library: "tfjs-wasm",
        note: "`tf.add(a, b).dataSync()`",
        setup: () => ({ a: tf.tensor1d(a4), b: tf.tensor1d(b4) }),
        run: (x) =>
          loop(() => {
            const r = tf.add(x.a, x.b)
            const d = r.dataSync()
            r.dispose()
            return d
          })
      })
    )
  }
  const jx = env.peers.jax.lib
  if (jx) {
    cs.push(
      contestant({
        name: "jax-js",
        library: "jax-js",
        note: "`a.add(b).dataSync()`, eager",
        setup: () => ({ a: jx.numpy.array(a4), b: jx.numpy.array(b4) }),
        run: (x) => loop(() => x.a.ref.add(x.b.ref).dataSync())
      })
    )
  }
  const gpu = env.peers.gpu.lib
  if (gpu) {
    cs.push(
      contestant({
        name: "gpujs-webasm",
        library: "gpu.js",
        note: "a hand-written gpu.js kernel, mode webasm",
        setup: () => ({ k: gpu.createKernel(`function (a, b) { return a[this.thread.x] + b[this.thread.x]; }`, { output: [4] }) }),
        run: (x) => loop(() => x.k(a4, b4) as Float32Array)
      })
    )
  }
  cs.push(
    contestant({
      name: "js",
      library: "js",
      note: "a JS loop into a new Float32Array",
      run: () =>
        loop(() => {
          const o = new Float32Array(4)
          for (let i = 0; i < 4; i++) o[i] = a4[i]! + b4[i]!
          return o
        })
    })
  )
  return {
    id: "dispatch-add4",
    group: "dispatch",
    groupTitle: "dispatch: cost of one tiny op (µs per op, readback included)",
    column: "add f32[4]",
    title: `add of two 4-element arrays, ${CALLS} calls per sample (µs per op)`,
    metric: perCall,
    reference: () => Float64Array.from(a4, (v, i) => v + b4[i]!),
    tolerance: 0,
    baseline: "tanka-kernel",
    budgetMs: budget(env, 600),
    minSamples: env.quick ? 3 : 7,
    maxRounds: 60,
    contestants: cs
  }
}

/** A 24-primitive function on small tensors: cached jit replay vs eager vs tracing every call. */
const jitReuse = (env: Parameters<WorkloadFactory>[0]): Workload => {
  const f = (x: Tensor, w: Tensor) => {
    let h = x
    for (let i = 0; i < 4; i++) h = jnp.tanh(jnp.add(jnp.matmul(h, w), 0.1))
    return jnp.sum(jax.nn.softmax(h))
  }
  const x = new Float32Array(64).map((_, i) => Math.sin(i))
  const w = new Float32Array(64).map((_, i) => Math.cos(i) / 8)
  const setup = () => ({ x: jnp.array(x, { shape: [8, 8] }), w: jnp.array(w, { shape: [8, 8] }) })
  const cached = jax.jit(f)
  const { base } = env.tanka
  const cs: AnyContestant[] = [
    tankaRow(base, {
      name: "tanka-jit-cached",
      note: "`jax.jit(f)` called again with the same signature: lookup + the compiled program",
      setup,
      run: (c: { x: Tensor; w: Tensor }) => cached(c.x, c.w).toTypedArray()
    }),
    tankaRow(base, {
      name: "tanka-eager",
      note: "the same function without jit",
      setup,
      run: (c: { x: Tensor; w: Tensor }) => f(c.x, c.w).toTypedArray()
    }),
    tankaRow(base, {
      name: "tanka-jit-retrace",
      note: "a fresh `jax.jit(f)` every call: tracing to a jaxpr, typecheck, lowering, then the run",
      setup,
      run: (c: { x: Tensor; w: Tensor }) => jax.jit(f)(c.x, c.w).toTypedArray()
    })
  ]
  return {
    id: "jit-reuse",
    group: "jit",
    groupTitle: "jit reuse: a 24-primitive function on f32[8,8] (ms per call)",
    column: "f32[8,8]",
    title: "jit reuse: cached replay vs eager vs retracing every call (ms per call)",
    metric: { label: "ms", fromMs: (ms) => ms, higherIsBetter: false },
    tolerance: 1e-5,
    baseline: "tanka-eager",
    budgetMs: budget(env, 600),
    minSamples: env.quick ? 3 : 7,
    maxRounds: 60,
    contestants: cs
  }
}

export const dispatch: WorkloadFactory = (env) => [tinyAdd(env)]
export const jitWorkloads: WorkloadFactory = (env) => [jitReuse(env)]
