/**
 * Loads and initialises the peer libraries the bench compares tanka with. Each peer is
 * optional: one that fails to load is reported (and its rows left out), never fatal.
 *
 * - tfjs-wasm: `@tensorflow/tfjs-core` + `@tensorflow/tfjs-backend-wasm` (XNNPACK, SIMD; one
 *   thread in Node 20). Loaded through `require`, as perf-anchors.md found necessary: the ESM
 *   builds of tfjs use extensionless imports that Node's ESM loader rejects.
 * - jax-js: `@jax-js/jax`, device `wasm` (one thread in Node: it needs a global `Worker`).
 *   `init()` without arguments throws on Node 20 (WebGPU probe), so devices are named.
 * - gpu.js: a `GPU({ mode: "webasm" })` of its own for the hand-written kernels, separate from
 *   the instance tanka's backend manages.
 */
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import gpujs from "gpu.js"

const require = createRequire(import.meta.url)

export type TF = typeof import("@tensorflow/tfjs-core")
export type JaxJs = typeof import("@jax-js/jax")
export type GpuJs = InstanceType<typeof gpujs.GPU>

export interface Peer<T> {
  readonly lib: T | null
  /** Version and configuration facts for BENCHMARKS.md, or why the peer is absent. */
  readonly info: string
}

export interface Peers {
  readonly tf: Peer<TF>
  readonly jax: Peer<JaxJs>
  readonly gpu: Peer<GpuJs>
}

const versionOf = (pkg: string): string => {
  try {
    const url = new URL(`../node_modules/${pkg}/package.json`, import.meta.url)
    return (JSON.parse(readFileSync(url, "utf8")) as { version: string }).version
  } catch {
    return "?"
  }
}

const why = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split("\n")[0]!.slice(0, 200)

const loadTf = async (): Promise<Peer<TF>> => {
  try {
    const tf = require("@tensorflow/tfjs-core") as TF
    const wasm = require("@tensorflow/tfjs-backend-wasm") as typeof import("@tensorflow/tfjs-backend-wasm")
    tf.env().set("IS_TEST", false)
    if (!(await tf.setBackend("wasm"))) throw new Error("tf.setBackend('wasm') returned false")
    await tf.ready()
    const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")
    const threads = await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT")
    return {
      lib: tf,
      info: `@tensorflow/tfjs-core ${tf.version_core}, tfjs-backend-wasm ${versionOf("@tensorflow/tfjs-backend-wasm")} (SIMD ${String(simd)}, multithread ${String(threads)}, threads ${wasm.getThreadsCount()})`
    }
  } catch (e) {
    return { lib: null, info: `unavailable: ${why(e)}` }
  }
}

const loadJax = async (): Promise<Peer<JaxJs>> => {
  try {
    const jax = (await import("@jax-js/jax")) as JaxJs
    const devices = await jax.init("wasm")
    if (!devices.includes("wasm")) throw new Error(`jax.init("wasm") gave devices [${devices.join(", ")}]`)
    jax.defaultDevice("wasm")
    return { lib: jax, info: `@jax-js/jax ${versionOf("@jax-js/jax")}, device wasm` }
  } catch (e) {
    return { lib: null, info: `unavailable: ${why(e)}` }
  }
}

const loadGpu = (): Peer<GpuJs> => {
  try {
    const gpu = new gpujs.GPU({ mode: "webasm" })
    return { lib: gpu, info: `gpu.js ${versionOf("gpu.js")}, mode webasm (${gpu.Kernel?.name ?? "?"})` }
  } catch (e) {
    return { lib: null, info: `unavailable: ${why(e)}` }
  }
}

export const loadPeers = async (): Promise<Peers> => ({ tf: await loadTf(), jax: await loadJax(), gpu: loadGpu() })

export const closePeers = async (peers: Peers): Promise<void> => {
  try {
    await peers.gpu.lib?.destroy()
  } catch {
    // shutting down
  }
}
