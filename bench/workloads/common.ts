/** What every workload factory receives, and small helpers shared by the contestants. */
import { jax } from "../tanka.js"
import { K } from "../tanka.js"
const { kernelLaunches, wasmStats } = K
import { type Contestant, type Counter, type Workload, contestant } from "../harness.js"
import type { Peers } from "../peers.js"

export interface BenchEnv {
  /** `--quick`: fewer sizes, small time budgets; a smoke run, not a measurement. */
  readonly quick: boolean
  readonly peers: Peers
  /** tanka's configurations of this run (see `tankaConfigs`). */
  readonly tanka: TankaConfigs
}

/** Builds the workloads of one group (e.g. matmul at every size). */
export type WorkloadFactory = (env: BenchEnv) => Workload[]

/** Contestant every ratio column is taken against (perf-anchors.md's convention). */
export const BASELINE = "tfjs-wasm"

/** Counts tanka's kernel launches (gpu.js and tanka's WebAssembly kernels) per call. */
export const tankaLaunches: Counter = { label: "kernel launches", read: kernelLaunches }

/**
 * Counters of tanka's WebAssembly runtime (wasm-simd), read around the probe calls: memory
 * growth events and bytes, and host arrays created for results copied out of the arena.
 */
export const wasmCounters: ReadonlyArray<Counter> = [
  { label: "wasm memory grows", read: () => wasmStats().grows },
  { label: "wasm memory bytes added", read: () => wasmStats().memoryBytes },
  { label: "host arrays copied out", read: () => wasmStats().copiesOut }
]

// ------------------------------------------------------------------ tanka's configurations

type Mode = ReturnType<typeof jax.getBackend>["mode"]

/** One configuration tanka runs in: backend mode and thread count, set before every call. */
export interface TankaConfig {
  readonly mode: Mode
  readonly threads: number
  /** Shown in each row's note, e.g. `wasm-simd, 2 threads`. */
  readonly describe: string
}

export interface TankaConfigs {
  /** The default configuration of this process (`TANKA_BACKEND` / `TANKA_THREADS` or tanka's defaults). */
  readonly base: TankaConfig
  /** The same mode on one thread. */
  readonly oneThread: TankaConfig
  /** Pure gpu.js: mode `webasm`, every kernel generated and compiled by gpu.js. */
  readonly gpujs: TankaConfig
}

const describe = (mode: Mode, threads: number): string =>
  mode === "wasm-simd" ? `${mode}, ${threads} thread${threads === 1 ? "" : "s"}` : `${mode}, gpu.js kernels on the calling thread`

/** Reads the configurations from the process's defaults; call once, before any row sets its own. */
export const tankaConfigs = (): TankaConfigs => {
  const { mode } = jax.getBackend()
  const threads = jax.getThreads()
  return {
    base: { mode, threads, describe: describe(mode, threads) },
    oneThread: { mode, threads: 1, describe: describe(mode, 1) },
    gpujs: { mode: "webasm", threads: 1, describe: describe("webasm", 1) }
  }
}

/** Switches tanka to `c` (cheap when already there; wasm-simd ↔ webasm keeps the compiled kernels). */
export const useConfig = (c: TankaConfig): void => {
  if (jax.getBackend().mode !== c.mode) jax.setBackend(c.mode)
  if (jax.getThreads() !== c.threads) jax.setThreads(c.threads)
}

/**
 * A tanka contestant in configuration `cfg`: the configuration is set at the start of its setup
 * and of every call (rows of different configurations interleave), its note says which, and it
 * counts kernel launches (plus any `counters` given).
 */
export const tankaRow = <Ctx, R>(cfg: TankaConfig, c: Omit<Contestant<Ctx, R>, "library">) =>
  contestant<Ctx, R>({
    ...c,
    library: "tanka",
    note: `${c.note} (${cfg.describe})`,
    setup: () => {
      useConfig(cfg)
      return c.setup ? c.setup() : (undefined as Ctx)
    },
    run: (ctx) => {
      useConfig(cfg)
      return c.run(ctx)
    },
    counters: [tankaLaunches, ...(c.counters ?? [])]
  })

/** A tfjs tensor, as far as a contestant uses one. */
interface TfTensor {
  dataSync(): ArrayLike<number>
  dispose(): void
}

/**
 * The tfjs-wasm contestant: `setup` makes its input tensors, each call runs `op` and reads the
 * result with `dataSync()` (then disposes it), and teardown disposes the inputs.
 */
export const tfjsRow = <Ctx extends Record<string, TfTensor>>(c: { readonly note: string; readonly setup: () => Ctx; readonly op: (ctx: Ctx) => TfTensor }) =>
  contestant<Ctx, ArrayLike<number>>({
    name: "tfjs-wasm",
    library: "tfjs-wasm",
    note: c.note,
    setup: c.setup,
    run: (ctx) => {
      const r = c.op(ctx)
      const d = r.dataSync()
      r.dispose()
      return d
    },
    teardown: (ctx) => {
      for (const t of Object.values(ctx)) t.dispose()
    }
  })

/** gpu.js returns `Float32Array` for 1-D outputs and `Float32Array[]` rows for 2-D outputs. */
export const flattenGpu = (r: unknown): ArrayLike<number> => {
  if (ArrayBuffer.isView(r)) return r as unknown as ArrayLike<number>
  const rows = r as ReadonlyArray<Float32Array>
  const cols = rows[0]?.length ?? 0
  const out = new Float32Array(rows.length * cols)
  rows.forEach((row, i) => out.set(row, i * cols))
  return out
}

/** Time budgets per contestant: `quick` for smoke runs, else the full figure. */
export const budget = (env: BenchEnv, fullMs: number, quickMs = 150): number => (env.quick ? quickMs : fullMs)
