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

/** First-fit offsets over a growing block, with freed ranges merged. */
class SlotPlanner {
  private free: Array<{ off: number; size: number }> = []
  top = 0
  alloc(size: number): number {
    for (let k = 0; k < this.free.length; k++) {
      const f = this.free[k]!
      if (f.size >= size) {
        const off = f.off
        if (f.size === size) this.free.splice(k, 1)
        else this.free[k] = { off: f.off + size, size: f.size - size }
        return off
      }
    }
    const off = this.top
    this.top += size
    return off
  }
  release(off: number, size: number): void {
    this.free.push({ off, size })
    this.free.sort((a, b) => a.off - b.off)
    const merged: Array<{ off: number; size: number }> = []
    for (const f of this.free) {
      const last = merged[merged.length - 1]
      if (last && last.off + last.size === f.off) last.size += f.size
      else merged.push({ ...f })
    }
    this.free = merged
  }
}

/** Compiles `p` for the WebAssembly runtime (kernels are generated lazily on first run). */
export const compileWasm = (p: Program, launched: () => void): WasmExecutable => {
  const nb = p.buffers.length
  const bytes = p.buffers.map((b) => align(4 * sizeOf(b.shape)))
  const fused = (s: Step): boolean => s.kind !== "host"
  const inArenaPlan = new Array<boolean>(nb).fill(false)
  const def = new Array<number>(nb).fill(-1)
  const last = new Array<number>(nb).fill(-2)
  p.steps.forEach((s, t) => {
    for (const b of stepWrites(s)) {
      def[b] = t
      if (fused(s)) inArenaPlan[b] = true
    }
    for (const b of stepReads(s)) {
      last[b] = Math.max(last[b]!, t)
      if (fused(s)) inArenaPlan[b] = true
    }
  })
  for (const b of p.outputs) last[b] = p.steps.length
  const offsets = new Array<number>(nb).fill(-1)
  const planner = new SlotPlanner()
  const dying = (t: number): number[] => offsets.map((_, b) => b).filter((b) => offsets[b]! >= 0 && Math.max(last[b]!, def[b]!) === t)
  for (let b = 0; b < nb; b++) if (inArenaPlan[b] && def[b] === -1) offsets[b] = planner.alloc(bytes[b]!)
  for (const b of dying(-1)) planner.release(offsets[b]!, bytes[b]!)
  p.steps.forEach((s, t) => {
    for (const b of stepWrites(s)) if (inArenaPlan[b]) offsets[b] = planner.alloc(bytes[b]!)
    for (const b of dying(t)) planner.release(offsets[b]!, bytes[b]!)
  })
  const arenaBytes = planner.top
  const unplannedBytes = bytes.reduce((s, n, b) => s + (inArenaPlan[b] ? n : 0), 0)

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

  // per step: the kernel arguments as offsets from the arena base (leaf offsets folded in)
  const argOffsets = p.steps.map((s) =>
    s.kind === "loop"
      ? [...s.leaves.map((l) => offsets[l.buffer]! + 4 * l.offset), ...s.outs.map((o) => offsets[o.buffer]!)]
      : s.kind === "reduce"
        ? [...s.leaves.map((l) => offsets[l.buffer]! + 4 * l.offset), offsets[s.out]!]
        : s.kind === "dot"
          ? [offsets[s.a.buffer]! + 4 * s.a.offset, offsets[s.b.buffer]! + 4 * s.b.offset, offsets[s.out]!]
          : []
  )
  const stepReadsList = p.steps.map((s) => (s.kind === "host" ? [] : stepReads(s)))
  const stepWritesList = p.steps.map((s) => stepWrites(s))
  const outShapes = p.outputShapes.map((sh) => Object.freeze([...sh]))
  const bufShapes = p.buffers.map((b) => Object.freeze([...b.shape]))
  const sizes = p.buffers.map((b) => sizeOf(b.shape))
  const args: number[][] = argOffsets.map((a) => new Array<number>(a.length))

  const epilogueOf = (e: DotEpilogue, base: number): Epilogue => ({
    flags: (e.scale !== undefined ? EPI_SCALE : 0) | (e.bias !== undefined ? EPI_BIAS : 0) | (e.relu ? EPI_RELU : 0),
    scale: e.scale ?? 1,
    bias: e.bias !== undefined ? base + offsets[e.bias.buffer]! + 4 * e.bias.offset : 0
  })

  const run = (inputs: ReadonlyArray<HostArray>): HostArray[] => {
    const rt = wasm()
    const mark = rt.top
    try {
      const base = rt.alloc(Math.max(arenaBytes, ALIGN))
      const host = new Array<HostArray | undefined>(nb)
      const inArena = new Array<boolean>(nb).fill(false)
      for (let i = 0; i < p.inputs.length; i++) host[p.inputs[i]!] = inputs[i]!
      for (const c of p.constants) host[c.buffer] = c.value
      const toArena = (b: number): void => {
        if (inArena[b]) return
        const h = host[b]!
        if (h.data.length > 0) rt.write(base + offsets[b]!, h.data)
        inArena[b] = true
      }
      const toHost = (b: number, shape: ReadonlyArray<number>): HostArray => {
        let h = host[b]
        if (h === undefined) {
          const info = p.buffers[b]!
          h = frozenResult(info.dtype, shape, rt.copyOut(info.dtype, base + offsets[b]!, sizes[b]!))
          host[b] = h
        }
        return h
      }
      for (let t = 0; t < p.steps.length; t++) {
        const s = p.steps[t]!
        const t0 = profiler === null ? 0 : performance.now()
        if (s.kind === "host") {
          const outs = s.run(s.inputs.map((b) => toHost(b, bufShapes[b]!)))
          s.outputs.forEach((b, k) => {
            const o = outs[k]!
            host[b] = sameShape(o.shape, bufShapes[b]!) ? o : hostReshape(o, bufShapes[b]!)
            inArena[b] = false
            if (inArenaPlan[b]) toArena(b)
          })
        } else {
          for (const b of stepReadsList[t]!) toArena(b)
          const offs = argOffsets[t]!
          const a = args[t]!
          for (let k = 0; k < offs.length; k++) a[k] = base + offs[k]!
          if (s.kind === "dot") runDotPlan(rt, dots.get(s)!, a[0]!, a[1]!, a[2]!, s.epilogue === undefined ? NO_EPILOGUE : epilogueOf(s.epilogue, base))
          else kernelOf(rt, s)(...a)
          for (const b of stepWritesList[t]!) {
            inArena[b] = true
            host[b] = undefined
          }
          launched()
        }
        if (profiler !== null) profiler(s, performance.now() - t0)
      }
      const outs = new Array<HostArray>(p.outputs.length)
      for (let k = 0; k < outs.length; k++) {
        const b = p.outputs[k]!
        const h = host[b] ?? (host[b] = frozenResult(p.buffers[b]!.dtype, bufShapes[b]!, rt.copyOut(p.buffers[b]!.dtype, base + offsets[b]!, sizes[b]!)))
        outs[k] = sameShape(h.shape, outShapes[k]!) ? h : frozenResult(h.dtype, outShapes[k]!, h.data)
      }
      return outs
    } finally {
      rt.top = mark
    }
  }
  return { run, stats: { arenaBytes, unplannedBytes, steps: stepCounts } }
}
