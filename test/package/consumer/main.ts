/**
 * A consumer of tanka as an application would write it, importing the package root by name
 * (`"tanka"`): bundled with esbuild's default options plus `minify` (no `keepNames`) for the
 * browser (`test/browser/run.ts`, part `bundle`, in Chromium on webgl2) and run as the same bundle
 * in Node (`test/package/bundle.test.ts`). It puts `tankaConsumer.run(mode)` on `globalThis`.
 */
import { Effect } from "effect"
import { hk, jax, jnp, type Tensor } from "tanka"

const run = (mode: string) => {
  jax.setBackend(mode as never)
  const x = jnp.array([0.5, 1, 2])
  // a gpu.js kernel in every mode (tan runs on gpu.js even in wasm-simd)
  const tan = jnp.tan(x)
  const kernelClass = jax.getBackend().lastKernelClass
  const grad = jax.grad((v: Tensor) => jnp.sum(jnp.multiply(v, v)))(x)
  const jit = jax.jit((a: Tensor, b: Tensor) => jax.nn.relu(jnp.add(jnp.matmul(a, b), 1)))(jnp.array([[1, -2], [3, 4]]), jnp.array([[1, 0], [0, 1]]))
  const net = (v: Tensor) => Effect.flatMap(hk.Linear(2, { wInit: hk.initializers.Constant(0.5) }), (l) => l(v))
  const t = hk.transform(net)
  const params = Effect.runSync(t.init(jax.random.key(0), jnp.ones([1, 3])))
  const y = Effect.runSync(t.apply(params, null, jnp.ones([1, 3])))
  const [k1, k2] = jax.random.split(jax.random.key(42))
  return {
    mode: jax.getBackend().mode,
    kernelClass,
    tan: Array.from(tan.toTypedArray() as Float32Array),
    grad: Array.from(grad.toTypedArray() as Float32Array),
    jit: Array.from(jit.toTypedArray() as Float32Array),
    linear: Array.from(y.toTypedArray() as Float32Array),
    keysDiffer: k1 !== undefined && k2 !== undefined && String(k1.toArray()) !== String(k2.toArray())
  }
}

;(globalThis as unknown as { tankaConsumer: { run: typeof run } }).tankaConsumer = { run }
