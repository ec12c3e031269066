/**
 * Runs a compiled `Program` on the WebAssembly SIMD runtime. At compile time every buffer that
 * a fused step touches gets a fixed offset in one arena block, reusing the space of buffers whose
 * last reader has run (first fit); at run time the block is taken from the arena in one bump, the
 * inputs are copied in, the steps run on pointers, and only the outputs are copied out. After the
 * first call a run allocates no new WebAssembly memory.
 *
 * Host steps (ops without a fused form) receive host arrays: a buffer moves between the arena
 * and the host only when a step on the other side reads it.
 */
import { type DType, sizeOf } from "../dtype.js"
import type { Program, Step } from "../fusion.js"
import { stepReads, stepWrites } from "../fusion.js"
import { type HostArray, result } from "../HostArray.js"
import { hostReshape } from "../movement.js"
import { type DotPlan, dotPlan, runDotPlan } from "./dot.js"
import { loopKey, loopModule } from "./expr.js"
import { reduceKey, reduceModule } from "./reduce.js"
import { ALIGN, type WasmRuntime, wasm } from "./runtime.js"
import { FirstFit } from "./firstFit.js"
import { addressOf, resultBlock } from "./resident.js"
import { EPI_BIAS, EPI_RELU, EPI_SCALE } from "./gemm.js"
import { type Epilogue, NO_EPILOGUE } from "./threads.js"
import type { DotEpilogue } from "../fusion.js"

type Kernel = (...ptrs: number[]) => void

/** Receives each executed step and its milliseconds while set (profiling; see `setStepProfiler`). */
let profiler: ((step: Step, ms: number) => void) | null = null

/** Installs (or with null removes) a per-step timer for compiled programs. */
export const setStepProfiler = (f: ((step: Step, ms: number) => void) | null): void => {
  profiler = f
}

/** What one compiled program costs: arena bytes and how its steps ran. */
export interface ExecutableStats {
  /** Bytes of the arena block one run takes. */
  readonly arenaBytes: number
  /** Bytes all buffers would take without reuse. */
  readonly unplannedBytes: number
  readonly steps: { readonly loop: number; readonly reduce: number; readonly dot: number; readonly host: number }
}

/** Frees a compiled program's arena when the program is garbage-collected. */
const arenaFinalizer =
  typeof FinalizationRegistry === "function" ? new FinalizationRegistry<{ ptr: number; bytes: number }>((a) => wasm().freeLong(a.ptr, a.bytes)) : null

/** A program compiled for the WebAssembly runtime. */
export interface WasmExecutable {
  run(inputs: ReadonlyArray<HostArray>): HostArray[]
  readonly stats: ExecutableStats
}

const sameShape = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** A result over an already frozen shape (no copy of the shape per call). */
const frozenResult = (dtype: DType, shape: ReadonlyArray<number>, data: HostArray["data"]): HostArray => Object.freeze({ dtype, shape, data })

const align = (n: number): number => Math.ceil(Math.max(n, 1) / ALIGN) * ALIGN

/** Compiles `p` for the WebAssembly runtime (kernels are generated lazily on first run). */
export const compileWasm = (p: Program, launched: () => void): WasmExecutable => {
  const nb = p.buffers.length
  const bytes = p.buffers.map((b) => align(4 * sizeOf(b.shape)))
  const fused = (s: Step): boolean => s.kind !== "host"
  // where each buffer lives during a run: "internal" (a slot of the program's scratch block),
  // "result" (a resident block that becomes an output array), or "external" (an input, a
  // constant or a host step's result, read where it lives)
  const outputSet = new Set(p.outputs)
  const kind = new Array<"internal" | "result" | "external">(nb).fill("external")
  const def = new Array<number>(nb).fill(-1)
  const last = new Array<number>(nb).fill(-2)
  p.steps.forEach((s, t) => {
    for (const b of stepWrites(s)) {
      def[b] = t
      if (fused(s)) kind[b] = outputSet.has(b) ? "result" : "internal"
    }
    for (const b of stepReads(s)) last[b] = Math.max(last[b]!, t)
  })
  const offsets = new Array<number>(nb).fill(-1)
  const planner = new FirstFit()
  const dying = (t: number): number[] => offsets.map((_, b) => b).filter((b) => offsets[b]! >= 0 && Math.max(last[b]!, def[b]!) === t)
  p.steps.forEach((s, t) => {
    for (const b of stepWrites(s)) if (kind[b] === "internal") offsets[b] = planner.alloc(bytes[b]!)
    for (const b of dying(t)) planner.release(offsets[b]!, bytes[b]!)
  })
  const arenaBytes = planner.peak
  const unplannedBytes = bytes.reduce((sum, n, b) => sum + (kind[b] === "internal" ? n : 0), 0)
  const resultBuffers = [...new Set(p.outputs.filter((b) => kind[b] === "result"))]

  const dots = new Map<Step, DotPlan>()
  for (const s of p.steps) {
    if (s.kind !== "dot") continue
    const plan = dotPlan(s.aShape, s.bShape, s.dims, s.a.strides, s.b.strides)
    if (plan === null) throw new Error("internal: a dot step's operand views do not form a GEMM; the lowering must copy them first")
    dots.set(s, plan)
  }
  const kernels = new Map<Step, Kernel>()
  const kernelOf = (rt: WasmRuntime, s: Step): Kernel => {
    let k = kernels.get(s)
    if (k === undefined) {
      if (s.kind === "loop") {
        const spec = { shape: s.shape, leaves: s.leaves.map((l) => ({ dtype: p.buffers[l.buffer]!.dtype, strides: l.strides })), outs: s.outs.map((o) => o.expr) }
        k = rt.instance(loopKey(spec), () => loopModule(spec, rt.limits)).run as Kernel
      } else if (s.kind === "reduce") {
        const spec = { op: s.op, shape: s.shape, axes: s.axes, leaves: s.leaves.map((l) => ({ dtype: p.buffers[l.buffer]!.dtype, strides: l.strides })), expr: s.expr }
        k = rt.instance(reduceKey(spec), () => reduceModule(spec, rt.limits)).run as Kernel
      } else throw new Error("internal: no kernel for a " + s.kind + " step")
      kernels.set(s, k)
    }
    return k
  }
  const stepCounts = { loop: 0, reduce: 0, dot: 0, host: 0 }
  for (const s of p.steps) stepCounts[s.kind]++

  const epilogueOf = (e: DotEpilogue, biasPtr: number): Epilogue => ({
    flags: (e.scale !== undefined ? EPI_SCALE : 0) | (e.bias !== undefined ? EPI_BIAS : 0) | (e.relu ? EPI_RELU : 0),
    scale: e.scale ?? 1,
    bias: e.bias !== undefined ? biasPtr : 0
  })

  // per step: each kernel argument as (buffer, element offset)
  const argSpecs: Array<Array<[number, number]>> = p.steps.map((s) =>
    s.kind === "loop"
      ? [...s.leaves.map((l): [number, number] => [l.buffer, l.offset]), ...s.outs.map((o): [number, number] => [o.buffer, 0])]
      : s.kind === "reduce"
        ? [...s.leaves.map((l): [number, number] => [l.buffer, l.offset]), [s.out, 0]]
        : s.kind === "dot"
          ? [[s.a.buffer, s.a.offset], [s.b.buffer, s.b.offset], [s.out, 0], ...(s.epilogue?.bias ? [[s.epilogue.bias.buffer, s.epilogue.bias.offset] as [number, number]] : [])]
          : []
  )
  const outShapes = p.outputShapes.map((sh) => Object.freeze([...sh]))
  const bufShapes = p.buffers.map((b) => Object.freeze([...b.shape]))
  const sizes = p.buffers.map((b) => sizeOf(b.shape))
  const args: number[][] = argSpecs.map((a) => new Array<number>(a.length))

  // the program's own arena: taken on the first run and reused by every later one (the same
  // memory, warm in cache, nothing allocated); a run that starts while another is in progress
  // (a host step calling back into this program) takes scratch instead
  let arena: number | null = null
  let running = false
  const owner = {}
  const run = (inputs: ReadonlyArray<HostArray>): HostArray[] =>
    wasm().scoped(() => {
      const rt = wasm()
      let base: number
      if (running) base = rt.alloc(Math.max(arenaBytes, ALIGN))
      else {
        if (arena === null) {
          arena = rt.allocLong(Math.max(arenaBytes, ALIGN))
          arenaFinalizer?.register(owner, { ptr: arena, bytes: Math.max(arenaBytes, ALIGN) })
        }
        base = arena
      }
      const wasRunning = running
      running = true
      try {
        return runOn(rt, base, inputs)
      } finally {
        running = wasRunning
      }
    })

  const runOn = (rt: WasmRuntime, base: number, inputs: ReadonlyArray<HostArray>): HostArray[] => {
    {
      const host = new Array<HostArray | undefined>(nb)
      const ptrs = new Array<number>(nb).fill(-1)
      for (let i = 0; i < p.inputs.length; i++) host[p.inputs[i]!] = inputs[i]!
      for (const c of p.constants) host[c.buffer] = c.value
      for (let b = 0; b < nb; b++) if (kind[b] === "internal") ptrs[b] = base + offsets[b]!
      const results = new Map<number, ReturnType<typeof resultBlock>>()
      for (const b of resultBuffers) {
        const r = resultBlock(rt, p.buffers[b]!.dtype, sizes[b]!)
        results.set(b, r)
        ptrs[b] = r.ptr
      }
      // an external buffer is read where it lives (a resident block, or a resident copy of host data)
      const ptrOf = (b: number): number => {
        let q = ptrs[b]!
        if (q < 0) q = ptrs[b] = addressOf(rt, host[b]!)
        return q
      }
      const toHost = (b: number): HostArray => {
        let h = host[b]
        if (h === undefined) {
          const r = results.get(b)
          h = r !== undefined ? r.wrap(bufShapes[b]!) : frozenResult(p.buffers[b]!.dtype, bufShapes[b]!, rt.copyOut(p.buffers[b]!.dtype, ptrs[b]!, sizes[b]!))
          host[b] = h
        }
        return h
      }
      for (let t = 0; t < p.steps.length; t++) {
        const s = p.steps[t]!
        const t0 = profiler === null ? 0 : performance.now()
        if (s.kind === "host") {
          const outs = s.run(s.inputs.map(toHost))
          s.outputs.forEach((b, k) => {
            const o = outs[k]!
            host[b] = sameShape(o.shape, bufShapes[b]!) ? o : hostReshape(o, bufShapes[b]!)
            ptrs[b] = -1
          })
        } else {
          const spec = argSpecs[t]!
          const a = args[t]!
          for (let k = 0; k < spec.length; k++) a[k] = ptrOf(spec[k]![0]) + 4 * spec[k]![1]
          if (s.kind === "dot") {
            const e = s.epilogue
            runDotPlan(rt, dots.get(s)!, a[0]!, a[1]!, a[2]!, e === undefined ? NO_EPILOGUE : epilogueOf(e, a[3] ?? 0))
          } else kernelOf(rt, s)(...a)
          launched()
        }
        if (profiler !== null) profiler(s, performance.now() - t0)
      }
      const outs = new Array<HostArray>(p.outputs.length)
      for (let k = 0; k < outs.length; k++) {
        const h = toHost(p.outputs[k]!)
        outs[k] = sameShape(h.shape, outShapes[k]!) ? h : hostReshape(h, outShapes[k]!)
      }
      return outs
    }
  }
  return { run, stats: { arenaBytes, unplannedBytes, steps: stepCounts }, owner } as WasmExecutable
}
