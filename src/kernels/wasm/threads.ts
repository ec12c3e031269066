/**
 * Both cores for large contractions: worker threads instantiate the GEMM module over the same
 * shared `WebAssembly.Memory`, and a GEMM is split into column (or row) blocks, one per thread,
 * the calling thread taking the first. Each output element is still computed by one thread with
 * the same reduction order, so results are bit-identical for any thread count.
 *
 * Threads need shared memory: Node's `worker_threads`, or Web Workers in a cross-origin-isolated
 * page (COOP/COEP headers), where the main thread, which may not block, spins on the short
 * remainder instead of waiting. Wherever they are missing the GEMM runs on the calling thread:
 * never an error. `TANKA_THREADS` or `setThreads(n)` chooses the count; in a browser the default
 * is `navigator.hardwareConcurrency` (at most 8).
 */
import type { DotPlan } from "./dot.js"
import { GEMM, type GemmFn, gemmModule, scratchBytes } from "./gemm.js"
import type { WasmModule, WasmRuntime } from "./runtime.js"

/** Multiply-adds below which a GEMM stays on one thread (the hand-off costs ~10-20 µs). */
export const PARALLEL_MIN_WORK = 1 << 20

/** What a GEMM applies to its results as it stores them: EPI_* flags, a scale, a bias pointer (N values). */
export interface Epilogue {
  readonly flags: number
  readonly scale: number
  readonly bias: number
}

export const NO_EPILOGUE: Epilogue = { flags: 0, scale: 1, bias: 0 }

/** One GEMM of `p` on this thread over rows [m0, m1) and columns [n0, n1). */
export const gemmRange = (rt: WasmRuntime, gemm: GemmFn, p: DotPlan, pa: number, pb: number, pc: number, m0: number, m1: number, n0: number, n1: number, e: Epilogue = NO_EPILOGUE): void => {
  rt.scoped(() => {
    const s = scratchBytes()
    const ap = rt.alloc(s.ap)
    const bp = rt.alloc(s.bp)
    const tmp = rt.alloc(s.tmp)
    gemm(p.M, p.N, p.K, pa, 4 * p.rsA, 4 * p.csA, pb, 4 * p.rsB, 4 * p.csB, pc, 4 * p.N, ap, bp, tmp, m0, m1, n0, n1, e.flags, e.scale, e.bias)
  })
}

// control block per worker (Int32 slots): sequence number, done number, ready flag, error flag,
// 21 arguments (argument 19, the epilogue's scale, is read through a Float32Array of the same slots)
const SLOTS = 32
const SEQ = 0
const DONE = 1
const READY = 2
const FAILED = 3
const ARG = 4

/** The worker loop: wait for a task, run the GEMM on the shared memory, signal done. */
const workerLoop = (init: string): string => `
${init}
const ctrl = new Int32Array(buffer)
const ctrlF = new Float32Array(buffer)
const gemm = new WebAssembly.Instance(module, { env: { memory } }).exports.gemm
let seen = 0
Atomics.store(ctrl, base + ${READY}, 1)
for (;;) {
  Atomics.wait(ctrl, base + ${SEQ}, seen)
  const s = Atomics.load(ctrl, base + ${SEQ})
  if (s < 0) break
  try {
    const a = []
    for (let k = 0; k < 21; k++) a.push(k === 19 ? ctrlF[base + ${ARG} + k] : ctrl[base + ${ARG} + k])
    gemm(...a)
  } catch (e) {
    Atomics.store(ctrl, base + ${FAILED}, 1)
  }
  seen = s
  Atomics.store(ctrl, base + ${DONE}, s)
  Atomics.notify(ctrl, base + ${DONE})
}
`

/** Node: the setup arrives as workerData. */
const NODE_WORKER = workerLoop(`const { workerData } = require("node:worker_threads")
const { memory, module, ctrl: buffer, base } = workerData`)

/** Browsers: the setup arrives as the first message; the loop then blocks the worker (allowed there). */
const WEB_WORKER = `self.onmessage = (event) => {
  self.onmessage = null
  const { memory, module, ctrl: buffer, base } = event.data
  ${workerLoop("").replace(/\n/g, "\n  ")}
}`

interface NodeWorker {
  unref(): void
  terminate(): Promise<number>
}
interface WorkerThreads {
  Worker: new (source: string, options: { eval: true; workerData: unknown }) => NodeWorker
}
interface WebWorker {
  postMessage(message: unknown): void
  terminate(): void
}
interface WebWorkerApi {
  Worker: new (url: string) => WebWorker
  URL: { createObjectURL(blob: unknown): string }
  Blob: new (parts: string[], options: { type: string }) => unknown
}

/** A browser's Web Workers where they can share memory (a cross-origin-isolated page), else null. */
const webWorkers = (): WebWorkerApi | null => {
  const g = globalThis as { Worker?: unknown; Blob?: unknown; URL?: unknown; crossOriginIsolated?: boolean; process?: unknown }
  if (g.process !== undefined || g.crossOriginIsolated !== true || typeof g.Worker !== "function" || typeof g.Blob !== "function") return null
  return g as unknown as WebWorkerApi
}

/** True on a thread that may block in Atomics.wait (Node's main thread, any worker; not a browser's main thread). */
const canBlock = (): boolean => {
  const g = globalThis as { process?: unknown; document?: unknown }
  return g.process !== undefined || g.document === undefined
}

/** Node's worker_threads, or null (browsers, or no `process.getBuiltinModule`). */
const workerThreads = (): WorkerThreads | null => {
  try {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
    return (proc?.getBuiltinModule?.("node:worker_threads") as WorkerThreads | undefined) ?? null
  } catch {
    return null
  }
}

const hardwareThreads = (): number => {
  try {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
    const os = proc?.getBuiltinModule?.("node:os") as { availableParallelism?: () => number } | undefined
    if (os?.availableParallelism) return os.availableParallelism()
  } catch {
    // fall through
  }
  return (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1
}

/** The thread count asked for (`TANKA_THREADS`, else the machine's cores, at most 8). */
const defaultThreads = (): number => {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.["TANKA_THREADS"]
  if (env !== undefined && env !== "") {
    const n = Number(env)
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`TANKA_THREADS=${JSON.stringify(env)}: expected a whole number >= 1 (1 = no worker threads).`)
    return n
  }
  return Math.min(8, Math.max(1, hardwareThreads()))
}

let requested: number | null = null

class Pool {
  readonly ctrl: Int32Array
  readonly ctrlF: Float32Array
  private readonly workers: Array<{ terminate(): unknown }> = []
  private seq = 0
  constructor(rt: WasmRuntime, module: WasmModule, size: number, api: { node: WorkerThreads } | { web: WebWorkerApi }) {
    this.ctrl = new Int32Array(new SharedArrayBuffer(4 * SLOTS * size))
    this.ctrlF = new Float32Array(this.ctrl.buffer)
    const url = "web" in api ? api.web.URL.createObjectURL(new api.web.Blob([WEB_WORKER], { type: "text/javascript" })) : ""
    for (let w = 0; w < size; w++) {
      const setup = { memory: rt.memory, module, ctrl: this.ctrl.buffer, base: w * SLOTS }
      if ("node" in api) {
        const worker = new api.node.Worker(NODE_WORKER, { eval: true, workerData: setup })
        worker.unref()
        this.workers.push(worker)
      } else {
        const worker = new api.web.Worker(url)
        worker.postMessage(setup)
        this.workers.push(worker)
      }
    }
  }
  get size(): number {
    return this.workers.length
  }
  /** Workers that finished starting (the rest are skipped until they have). */
  ready(): number[] {
    return this.workers.map((_, w) => w).filter((w) => Atomics.load(this.ctrl, w * SLOTS + READY) === 1)
  }
  /** Starts `args` on worker `w`. */
  start(w: number, args: ReadonlyArray<number>): void {
    const base = w * SLOTS
    args.forEach((a, k) => {
      if (k === 19) this.ctrlF[base + ARG + k] = a
      else this.ctrl[base + ARG + k] = a
    })
    this.seq++
    Atomics.store(this.ctrl, base + SEQ, this.seq)
    Atomics.notify(this.ctrl, base + SEQ)
  }
  /** Blocks until worker `w` has finished its last task. */
  wait(w: number): void {
    const base = w * SLOTS
    const block = canBlock()
    for (;;) {
      const done = Atomics.load(this.ctrl, base + DONE)
      if (done === Atomics.load(this.ctrl, base + SEQ)) break
      // a browser's main thread may not block: it spins on the (short) remainder of the GEMM
      if (block) Atomics.wait(this.ctrl, base + DONE, done, 1000)
    }
    if (Atomics.load(this.ctrl, base + FAILED) !== 0) throw new Error("internal: a GEMM worker thread failed")
  }
  close(): void {
    this.workers.forEach((worker, w) => {
      Atomics.store(this.ctrl, w * SLOTS + SEQ, -1)
      Atomics.notify(this.ctrl, w * SLOTS + SEQ)
      try {
        const r = worker.terminate() as unknown
        if (r instanceof Promise) r.catch(() => undefined)
      } catch {
        // already gone
      }
    })
  }
}

let pool: Pool | null = null
let poolFailed = false

/** The pool for `n` threads (n - 1 workers), or null where threads are unavailable. */
const poolFor = (rt: WasmRuntime, n: number): Pool | null => {
  if (n <= 1 || poolFailed || !rt.shared) return null
  if (pool !== null && pool.size === n - 1) return pool
  pool?.close()
  pool = null
  const wt = workerThreads()
  const web = wt === null ? webWorkers() : null
  if ((wt === null && web === null) || typeof Atomics.wait !== "function") {
    poolFailed = true
    return null
  }
  try {
    pool = new Pool(rt, rt.module("gemm", () => gemmModule(rt.limits, GEMM)), n - 1, wt !== null ? { node: wt } : { web: web! })
  } catch {
    poolFailed = true
    return null
  }
  return pool
}

/**
 * Sets the number of threads contractions may use (1 = the calling thread only). Results do
 * not depend on it. Where threads are unavailable, any count runs on one thread.
 */
export const setThreads = (n: number): void => {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setThreads(${n}): expected a whole number >= 1 (1 = no worker threads).`)
  requested = n
}

/** The thread count contractions use now: the count asked for, where threads exist, else 1. */
export const getThreads = (): number => {
  const n = requested ?? defaultThreads()
  if (n <= 1) return 1
  if (typeof SharedArrayBuffer !== "function" || (workerThreads() === null && webWorkers() === null) || poolFailed) return 1
  return n
}

/** GEMMs that ran split across threads since start (to check that threads engage). */
export let parallelGemms = 0

/** The GEMM of `p` at these pointers, split across the ready threads when it is large enough. */
export const parallelGemm = (rt: WasmRuntime, gemm: GemmFn, p: DotPlan, pa: number, pb: number, pc: number, e: Epilogue = NO_EPILOGUE): void => {
  const n = p.M * p.N * p.K >= PARALLEL_MIN_WORK ? getThreads() : 1
  const pl = n > 1 ? poolFor(rt, n) : null
  const workers = pl === null ? [] : pl.ready()
  if (pl === null || workers.length === 0) {
    gemmRange(rt, gemm, p, pa, pb, pc, 0, p.M, 0, p.N, e)
    return
  }
  rt.scoped(() => {
    // split the larger output dim into blocks aligned to the microkernel tile
    const parts = workers.length + 1
    const byCols = p.N >= p.M
    const extent = byCols ? p.N : p.M
    const unit = byCols ? 4 * GEMM.NRV : GEMM.MR
    const chunk = Math.ceil(Math.ceil(extent / parts) / unit) * unit
    const ranges: Array<[number, number]> = []
    for (let s = 0; s < extent; s += chunk) ranges.push([s, Math.min(extent, s + chunk)])
    const s = scratchBytes()
    const args = (r: [number, number]): number[] => {
      const ap = rt.alloc(s.ap)
      const bp = rt.alloc(s.bp)
      const tmp = rt.alloc(s.tmp)
      const [m0, m1, n0, n1] = byCols ? [0, p.M, r[0], r[1]] : [r[0], r[1], 0, p.N]
      return [p.M, p.N, p.K, pa, 4 * p.rsA, 4 * p.csA, pb, 4 * p.rsB, 4 * p.csB, pc, 4 * p.N, ap, bp, tmp, m0, m1, n0, n1, e.flags, e.scale, e.bias]
    }
    const started: number[] = []
    ranges.slice(1).forEach((r, k) => {
      pl.start(workers[k]!, args(r))
      started.push(workers[k]!)
    })
    parallelGemms++
    const mine = args(ranges[0]!)
    ;(gemm as (...a: number[]) => void)(...mine)
    for (const w of started) pl.wait(w)
  })
}
