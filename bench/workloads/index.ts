/**
 * The rows of `npm run bench`, in run order. Each factory returns the workloads of one group
 * (one table in BENCHMARKS.md); each workload lists its contestants, one per library and
 * variant, all measured interleaved in the same rounds (see ../harness.ts).
 *
 * To add a row:
 * 1. write `bench/workloads/<group>.ts` exporting a `WorkloadFactory` that builds its inputs
 *    once, gives a float64 `reference` of the flattened output (or none, for overhead rows
 *    whose output is trivial) and one `contestant(...)` per library; peers come from
 *    `env.peers` and are skipped when absent;
 * 2. pick a `metric` (`GFLOP/s`, `GB/s`, or e.g. `ns/op` with `fromMs: ms => ms * 1e6 / calls`
 *    for rows that loop many tiny calls inside one sample) and a `baseline` contestant for the
 *    ratio column (tfjs-wasm by default; an overhead row may compare tanka with itself, e.g.
 *    `hk.apply` against the raw function);
 * 3. write tanka's rows with `tankaRow(env.tanka.base | oneThread | gpujs, …)` (common.ts): the
 *    row sets its configuration before every call, since rows of different configurations
 *    interleave, and counts kernel launches;
 * 4. append the factory here. `--only <group>` runs it alone; a target of issue 9 that the rows
 *    measure goes in ../targets.ts.
 */
import { elementwise } from "./elementwise.js"
import { matmul } from "./matmul.js"
import { mlp } from "./mlp.js"
import { dispatch, jitWorkloads } from "./dispatch.js"
import { haiku } from "./haiku.js"
import { train } from "./train.js"
import { conv } from "./conv.js"
import { resnet } from "./resnet.js"
import type { WorkloadFactory } from "./common.js"

export const GROUPS: ReadonlyArray<{ readonly group: string; readonly build: WorkloadFactory }> = [
  { group: "matmul", build: matmul },
  { group: "elementwise", build: elementwise },
  { group: "mlp", build: mlp },
  { group: "conv", build: conv },
  { group: "dispatch", build: dispatch },
  { group: "jit", build: jitWorkloads },
  { group: "haiku", build: haiku },
  { group: "train", build: train },
  { group: "resnet", build: resnet }
]
