/**
 * The measuring core of `npm run bench` (method of shared/notes/perf-anchors.md):
 *
 * 1. per contestant, untimed-for-the-median: setup (timed separately), a first call (timed
 *    separately: compile and warm-up), the correctness check of that first result against the
 *    workload's float64 reference, and the probe calls (one or more further warm-up calls, around
 *    which the contestant's counters are read, e.g. kernel launches or memory growth per call);
 *    a `once` workload stops after the first call, which is its only sample;
 * 2. round-robin rounds over all live contestants, the start rotating by one each round, so
 *    that load from other processes is spread evenly; a contestant stops taking samples once it
 *    has `minSamples` samples and has spent `budgetMs`;
 * 3. the median per call is the reported figure; ratios are taken against a baseline
 *    contestant measured in the same rounds.
 *
 * Every timed call must leave its result in a JS typed array (readback included).
 */
import { loadavg } from "node:os"
import { performance } from "node:perf_hooks"

/** Library a contestant belongs to (table grouping and colour, not behaviour). */
export type Library = "tanka" | "tfjs-wasm" | "jax-js" | "gpu.js" | "js"

/** What a contestant hands to the correctness check: flat, row-major numbers. */
export type Output = ArrayLike<number>

/** One library's way of computing a workload. */
export interface Contestant<Ctx = unknown, R = unknown> {
  /** Row label, e.g. `tanka-jit`. Unique within a workload; the same label across workloads of a group. */
  readonly name: string
  readonly library: Library
  /** One line on what exactly runs; shown under the tables in BENCHMARKS.md. */
  readonly note: string
  /** Untimed for the median (reported as "setup"): inputs made resident, kernels created. */
  readonly setup?: () => Ctx | Promise<Ctx>
  /** The timed call. It must read the result back to the host. */
  readonly run: (ctx: Ctx) => R | Promise<R>
  /** Flattens a result for the check (untimed). Default: the result itself. */
  readonly output?: (result: R) => Output
  /**
   * Monotonic counters read around the probe calls (the calls right after the first, see
   * `Workload.probeCalls`) and reported per call, e.g. tanka's kernel launches or WebAssembly
   * memory growth. Nothing else runs between the two reads.
   */
  readonly counters?: ReadonlyArray<Counter>
  readonly teardown?: (ctx: Ctx) => void | Promise<void>
}

/** A monotonic process-wide count, e.g. kernel launches since start. */
export interface Counter {
  readonly label: string
  readonly read: () => number
}

/** A contestant with its context type erased, so that one workload can hold several libraries. */
export type AnyContestant = Contestant<any, any>

/** Erases a contestant's context and result types (keeps them checked at the definition). */
export const contestant = <Ctx, R>(c: Contestant<Ctx, R>): AnyContestant => c

/** How a median time becomes the workload's headline metric. */
export interface Metric {
  /** e.g. "GFLOP/s", "GB/s", "ns/op". */
  readonly label: string
  readonly fromMs: (ms: number) => number
  readonly higherIsBetter: boolean
}

export interface Workload {
  /** Stable id, e.g. `matmul-512`; `--only` matches it or its group. */
  readonly id: string
  /** `--only` selects by group; rows of one group share one table, e.g. `matmul`. */
  readonly group: string
  /** Table key when a group's workloads need separate tables (default: the group). */
  readonly table?: string
  /** Table heading of the group (the same for every workload of a group). */
  readonly groupTitle: string
  /** Column heading within the group, e.g. `512³`. */
  readonly column: string
  /** Long description, printed while running. */
  readonly title: string
  readonly metric?: Metric
  /** Float64 reference of the flattened output; computed once, before the contestants run. */
  readonly reference?: () => Output
  /** Allowed max |got - ref| / max |ref|. */
  readonly tolerance: number
  /** Contestant whose median is the ratio baseline. */
  readonly baseline: string
  /**
   * One timed call per contestant and no rounds: for costs paid once and too slow to repeat
   * (e.g. initialising ResNet50's 25.6M parameters). The single call is the reported figure.
   */
  readonly once?: boolean
  /** Warm-up calls after the first over which counters are read (default 1). */
  readonly probeCalls?: number
  /** Title of a table of the per-call counters of this group (rendered when given). */
  readonly countersTitle?: string
  readonly budgetMs: number
  readonly minSamples: number
  readonly maxRounds: number
  readonly contestants: ReadonlyArray<AnyContestant>
}

export interface Check {
  readonly ok: boolean
  readonly relErr: number
  readonly maxAbsErr: number
  readonly note?: string
}

export interface Row {
  readonly name: string
  readonly library: Library
  readonly note: string
  readonly medianMs: number
  readonly minMs: number
  readonly samples: number
  readonly setupMs: number
  readonly firstMs: number
  readonly metric: number | null
  /** baseline median / this median: > 1 means faster than the baseline. */
  readonly speedVsBaseline: number | null
  readonly check: Check | null
  /** Per-call counter deltas over the probe calls (empty when the contestant has none). */
  readonly counters: ReadonlyArray<{ readonly label: string; readonly perCall: number }>
  readonly error: string | null
}

export interface WorkloadResult {
  readonly id: string
  readonly group: string
  readonly table: string
  readonly groupTitle: string
  readonly column: string
  readonly title: string
  readonly metricLabel: string | null
  readonly higherIsBetter: boolean
  readonly tolerance: number
  readonly baseline: string
  readonly once: boolean
  readonly probeCalls: number
  readonly countersTitle: string | null
  readonly loadavgStart: number
  readonly loadavgEnd: number
  readonly wallMs: number
  readonly rows: ReadonlyArray<Row>
}

export const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const n = s.length
  if (n === 0) return Number.NaN
  return n % 2 === 1 ? s[(n - 1) >> 1]! : (s[n / 2 - 1]! + s[n / 2]!) / 2
}

/** Max absolute error relative to the largest reference magnitude; NaN anywhere fails. */
export const compare = (got: Output, ref: Output, tolerance: number): Check => {
  if (got.length !== ref.length) {
    return { ok: false, relErr: Number.POSITIVE_INFINITY, maxAbsErr: Number.POSITIVE_INFINITY, note: `length ${got.length}, expected ${ref.length}` }
  }
  let maxAbs = 0
  let maxRef = 0
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(got[i]! - ref[i]!)
    if (!(d <= maxAbs)) maxAbs = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d
    const r = Math.abs(ref[i]!)
    if (r > maxRef) maxRef = r
  }
  const relErr = maxAbs / (maxRef || 1)
  return { ok: relErr <= tolerance, relErr, maxAbsErr: maxAbs }
}

const message = (e: unknown): string => {
  const text = e instanceof Error ? `${e.name}: ${e.message}` : String(e)
  return text.split("\n")[0]!.slice(0, 300)
}

const isThenable = (x: unknown): x is PromiseLike<unknown> =>
  typeof x === "object" && x !== null && typeof (x as { then?: unknown }).then === "function"

const call = async <R>(f: () => R | Promise<R>): Promise<R> => {
  const r = f()
  return isThenable(r) ? await r : (r as R)
}

interface Live {
  readonly c: AnyContestant
  ctx: unknown
  readonly samples: number[]
  spent: number
  setupMs: number
  firstMs: number
  check: Check | null
  counters: Array<{ label: string; perCall: number }>
  error: string | null
}

export interface RunOptions {
  /** Called with one line per finished contestant and for errors. */
  readonly log: (line: string) => void
}

/** Runs one workload: warm-up and check per contestant, then interleaved rounds. */
export const runWorkload = async (w: Workload, { log }: RunOptions): Promise<WorkloadResult> => {
  const t0 = performance.now()
  const loadavgStart = loadavg()[0]!
  log(`\n=== ${w.title} ===`)
  const ref = w.reference ? w.reference() : null
  const probes = Math.max(1, w.probeCalls ?? 1)
  const all: Live[] = []
  for (const c of w.contestants) {
    const live: Live = { c, ctx: undefined, samples: [], spent: 0, setupMs: Number.NaN, firstMs: Number.NaN, check: null, counters: [], error: null }
    all.push(live)
    try {
      let t = performance.now()
      live.ctx = c.setup ? await call(() => c.setup!()) : undefined
      live.setupMs = performance.now() - t
      t = performance.now()
      const first = await call(() => c.run(live.ctx))
      live.firstMs = performance.now() - t
      if (ref) live.check = compare(c.output ? c.output(first) : (first as Output), ref, w.tolerance)
      if (w.once) {
        live.samples.push(live.firstMs)
        live.spent = live.firstMs
      } else {
        const counters = c.counters ?? []
        const before = counters.map((k) => k.read())
        for (let i = 0; i < probes; i++) await call(() => c.run(live.ctx))
        live.counters = counters.map((k, i) => ({ label: k.label, perCall: (k.read() - before[i]!) / probes }))
      }
    } catch (e) {
      live.error = message(e)
      log(`  ${c.name.padEnd(24)} ERROR ${live.error}`)
    }
  }
  const running = all.filter((l) => l.error === null)
  for (let round = 0; round < (w.once ? 0 : w.maxRounds); round++) {
    let any = false
    for (let j = 0; j < running.length; j++) {
      const live = running[(j + round) % running.length]!
      if (live.error !== null) continue
      if (live.samples.length >= w.minSamples && live.spent >= w.budgetMs) continue
      any = true
      try {
        const t = performance.now()
        await call(() => live.c.run(live.ctx))
        const dt = performance.now() - t
        live.samples.push(dt)
        live.spent += dt
      } catch (e) {
        live.error = message(e)
        log(`  ${live.c.name.padEnd(24)} ERROR in round ${round}: ${live.error}`)
      }
    }
    if (!any) break
  }
  for (const live of all) {
    if (live.c.teardown && live.ctx !== undefined) {
      try {
        await call(() => live.c.teardown!(live.ctx))
      } catch {
        // teardown failures do not change the measurements
      }
    }
  }
  const baseMedian = (() => {
    const b = all.find((l) => l.c.name === w.baseline)
    return b && b.error === null ? median(b.samples) : Number.NaN
  })()
  const rows: Row[] = all.map((live) => {
    const med = live.error === null ? median(live.samples) : Number.NaN
    const ok = Number.isFinite(med)
    const row: Row = {
      name: live.c.name,
      library: live.c.library,
      note: live.c.note,
      medianMs: med,
      minMs: live.samples.length > 0 ? Math.min(...live.samples) : Number.NaN,
      samples: live.samples.length,
      setupMs: live.setupMs,
      firstMs: live.firstMs,
      metric: ok && w.metric ? w.metric.fromMs(med) : null,
      speedVsBaseline: ok && Number.isFinite(baseMedian) ? baseMedian / med : null,
      check: live.check,
      counters: live.counters,
      error: live.error
    }
    if (row.error === null) {
      const chk = row.check ? (row.check.ok ? `ok rel ${row.check.relErr.toExponential(1)}` : `WRONG rel ${row.check.relErr.toExponential(1)}${row.check.note ? ` (${row.check.note})` : ""}`) : ""
      const metric = row.metric !== null && w.metric ? `${fmt(row.metric)} ${w.metric.label}` : ""
      const speed = row.speedVsBaseline !== null ? `x${fmt(row.speedVsBaseline)}` : ""
      const counts = row.counters.length > 0 ? `  [${row.counters.map((c) => `${c.label} ${fmt(c.perCall)}`).join(", ")}]` : ""
      log(
        `  ${row.name.padEnd(24)} median ${fmt(row.medianMs).padStart(9)} ms  n=${String(row.samples).padStart(3)}  first ${fmt(row.firstMs).padStart(8)} ms  ${metric.padEnd(16)} ${speed.padEnd(8)} ${chk}${counts}`
      )
    }
    return row
  })
  return {
    id: w.id,
    group: w.group,
    table: w.table ?? w.group,
    groupTitle: w.groupTitle,
    column: w.column,
    title: w.title,
    metricLabel: w.metric?.label ?? null,
    higherIsBetter: w.metric?.higherIsBetter ?? false,
    tolerance: w.tolerance,
    baseline: w.baseline,
    once: w.once ?? false,
    probeCalls: probes,
    countersTitle: w.countersTitle ?? null,
    loadavgStart,
    loadavgEnd: loadavg()[0]!,
    wallMs: performance.now() - t0,
    rows
  }
}

/** Three significant digits, without exponent notation for ordinary magnitudes. */
export const fmt = (x: number): string => {
  if (!Number.isFinite(x)) return String(x)
  const a = Math.abs(x)
  if (a === 0) return "0"
  if (a >= 100) return x.toFixed(0)
  if (a >= 10) return x.toFixed(1)
  if (a >= 1) return x.toFixed(2)
  if (a >= 0.01) return x.toFixed(3)
  return x.toPrecision(2)
}
