/** What every workload factory receives, and small helpers shared by the contestants. */
import { kernelLaunches } from "../../src/kernels/index.js"
import type { Workload } from "../harness.js"
import type { Peers } from "../peers.js"

export interface BenchEnv {
  /** `--quick`: fewer sizes, small time budgets; a smoke run, not a measurement. */
  readonly quick: boolean
  readonly peers: Peers
}

/** Builds the workloads of one group (e.g. matmul at every size). */
export type WorkloadFactory = (env: BenchEnv) => Workload[]

/** Contestant every ratio column is taken against (perf-anchors.md's convention). */
export const BASELINE = "tfjs-wasm"

/** Counts tanka's gpu.js kernel launches per call (read around the second warm-up call). */
export const tankaLaunches = { label: "kernel launches", read: kernelLaunches }

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
