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

  const run = (inputs: ReadonlyArray<HostArray>): HostArray[] => {
    const rt = wasm()
    return rt.scoped(() => {
      const base = rt.alloc(Math.max(arenaBytes, ALIGN))
      const host = new Array<HostArray | undefined>(nb)
      const inArena = new Array<boolean>(nb).fill(false)
      p.inputs.forEach((b, i) => (host[b] = inputs[i]!))
      for (const c of p.constants) host[c.buffer] = c.value
      const ptr = (b: number): number => base + offsets[b]!
      const toArena = (b: number): void => {
        if (inArena[b]) return
        const h = host[b]!
        if (h.data.length > 0) {
          if (h.data instanceof Float32Array) rt.f32(ptr(b), h.data.length).set(h.data)
          else if (h.data instanceof Uint32Array) new Uint32Array(rt.memory.buffer, ptr(b), h.data.length).set(h.data)
          else rt.i32(ptr(b), h.data.length).set(h.data)
        }
        inArena[b] = true
      }
      const toHost = (b: number): HostArray => {
        let h = host[b]
        if (h === undefined) {
          const info = p.buffers[b]!
          h = result(info.dtype as DType, info.shape, rt.copyOut(info.dtype, ptr(b), sizeOf(info.shape)))
          host[b] = h
        }
        return h
      }
      const wrote = (b: number): void => {
        inArena[b] = true
        host[b] = undefined
      }
      for (const s of p.steps) {
        const t0 = profiler === null ? 0 : performance.now()
        switch (s.kind) {
          case "loop":
            for (const l of s.leaves) toArena(l.buffer)
            kernelOf(rt, s)(...s.leaves.map((l) => ptr(l.buffer) + 4 * l.offset), ...s.outs.map((o) => ptr(o.buffer)))
            s.outs.forEach((o) => wrote(o.buffer))
            launched()
            break
          case "reduce":
            for (const l of s.leaves) toArena(l.buffer)
            kernelOf(rt, s)(...s.leaves.map((l) => ptr(l.buffer) + 4 * l.offset), ptr(s.out))
            wrote(s.out)
            launched()
            break
          case "dot":
            toArena(s.a.buffer)
            toArena(s.b.buffer)
            runDotPlan(rt, dots.get(s)!, ptr(s.a.buffer) + 4 * s.a.offset, ptr(s.b.buffer) + 4 * s.b.offset, ptr(s.out))
            wrote(s.out)
            launched()
            break
          case "host": {
            const outs = s.run(s.inputs.map(toHost))
            s.outputs.forEach((b, k) => {
              const info = p.buffers[b]!
              const o = outs[k]!
              host[b] = o.shape.length === info.shape.length && o.shape.every((d, i) => d === info.shape[i]) ? o : hostReshape(o, info.shape)
              inArena[b] = false
            })
            for (const b of s.outputs) if (inArenaPlan[b]) toArena(b)
            break
          }
        }
        if (profiler !== null) profiler(s, performance.now() - t0)
      }
      return p.outputs.map((b, k) => {
        const h = toHost(b)
        const shape = p.outputShapes[k]!
        return h.shape.length === shape.length && h.shape.every((d, i) => d === shape[i]) ? h : hostReshape(h, shape)
      })
    })
  }
  return { run, stats: { arenaBytes, unplannedBytes, steps: stepCounts } }
}
