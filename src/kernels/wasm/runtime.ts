/**
 * The WebAssembly runtime of the `wasm-simd` configuration: one linear memory shared by every
 * generated kernel (and, when SharedArrayBuffer is available, by the worker threads), a stack
 * arena for operands and results, and a bounded cache of instantiated kernel modules.
 *
 * Host arrays stay ordinary JS typed arrays (garbage collected as usual); a kernel call copies
 * its operands into the arena, runs, and copies its result out, then releases the arena back to
 * where it was. Compiled `jit` plans keep their intermediates in the arena between steps, so
 * only a plan's inputs and outputs cross the boundary.
 */
import type { DType, Storage } from "../dtype.js"
import { allocStorage } from "../dtype.js"
import type { MemoryImport } from "./emitter.js"
import { FirstFit } from "./firstFit.js"

const PAGE = 65536

/** The parts of the WebAssembly JS API used here (typed locally: the package builds without DOM types). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer
  grow(pages: number): number
}
export interface WasmModule {
  readonly __module?: never
}
export type WasmExports = Record<string, unknown>
interface WasmInstance {
  readonly exports: WasmExports
}
interface WasmApi {
  readonly Memory: new (d: { initial: number; maximum: number; shared?: boolean }) => WasmMemory
  readonly Module: new (bytes: Uint8Array) => WasmModule
  readonly Instance: new (m: WasmModule, imports: object) => WasmInstance
  validate(bytes: Uint8Array): boolean
}

/** The platform's WebAssembly API, or undefined where there is none. */
export const webAssembly = (): WasmApi | undefined => (globalThis as { WebAssembly?: WasmApi }).WebAssembly

/** Bytes every arena allocation is aligned to (a cache line). */
export const ALIGN = 64

/** True when this platform can run WebAssembly SIMD128 (probed once by validating a tiny module). */
export const simdSupported = (() => {
  let cached: boolean | null = null
  return (): boolean => {
    if (cached !== null) return cached
    try {
      // (module (func (result v128) v128.const i32x4 0 0 0 0))
      const bytes = Uint8Array.from([
        0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11
      ])
      cached = webAssembly()?.validate(bytes) === true
    } catch {
      cached = false
    }
    return cached
  }
})()

const canShare = (): boolean => {
  try {
    if (typeof SharedArrayBuffer !== "function") return false
    const g = globalThis as { crossOriginIsolated?: boolean; process?: unknown }
    // browsers hand out shared memory only to cross-origin-isolated pages
    if (g.process === undefined && g.crossOriginIsolated !== true) return false
    new (webAssembly()!.Memory)({ initial: 1, maximum: 1, shared: true })
    return true
  } catch {
    return false
  }
}

/** A block of WebAssembly memory: where, how big, and who still needs it. */
export interface Block {
  readonly ptr: number
  readonly bytes: number
  /** Arrays (or cache entries) holding the block. */
  refs: number
  freed: boolean
}

/**
 * The memory, its allocator and its instantiated modules. Created on first use.
 *
 * Memory is a first-fit heap of 64-byte-aligned blocks. Scratch space (a kernel's panels, a
 * program's intermediates) is taken inside `scoped` and given back when the scope ends; resident
 * copies of host arrays (resident.ts) live in persistent blocks until their array is
 * garbage-collected or they are evicted under the resident budget; a compiled program's arena is a
 * long-lived allocation of its own.
 */
export class WasmRuntime {
  readonly memory: WasmMemory
  readonly shared: boolean
  readonly limits: MemoryImport
  /** The heap's ranges (offset 0 is never handed out: it stays a null pointer). */
  private readonly ranges = new FirstFit(ALIGN)
  /** Highest top reached (for the memory report). */
  peak = ALIGN
  private scopes: Array<{ blocks: number[][]; pins: Block[] }> = []
  private readonly instances = new Map<string, WasmInstance>()
  private readonly modules = new Map<string, WasmModule>()
  /** Module compilations (cache misses) since start. */
  compiled = 0
  /** Times the memory grew since start. */
  grows = 0
  /** Host arrays created by copying results out of WebAssembly memory since start. */
  copiesOut = 0
  /** Host arrays copied into WebAssembly memory since start (resident copies and scratch staging). */
  copiesIn = 0

  constructor() {
    this.shared = canShare()
    const maximum = this.shared ? 32768 : 65536
    this.limits = { initial: 256, maximum, shared: this.shared }
    this.memory = new (webAssembly()!.Memory)(this.limits)
    this.size = this.memory.buffer.byteLength
  }

  /** Bytes the memory currently has (kept in step with every grow). */
  size: number = 0
  private heap: { f32: Float32Array; i32: Int32Array; u32: Uint32Array; buffer: ArrayBuffer | SharedArrayBuffer } | null = null

  /** Whole-memory views, rebuilt only after the memory grew (a grow replaces the buffer). */
  views(): { f32: Float32Array; i32: Int32Array; u32: Uint32Array } {
    const h = this.heap
    if (h !== null && h.buffer.byteLength === this.size) return h
    const buffer = this.memory.buffer
    this.heap = { f32: new Float32Array(buffer), i32: new Int32Array(buffer), u32: new Uint32Array(buffer), buffer }
    return this.heap
  }

  /** `bytes` of memory (first fit among freed ranges, else past the top, growing the memory). */
  private take(bytes: number): number {
    const ptr = this.ranges.alloc(Math.ceil(Math.max(bytes, 1) / ALIGN) * ALIGN)
    const end = this.ranges.top
    if (end > this.size) {
      const pages = Math.ceil((end - this.size) / PAGE)
      this.memory.grow(pages)
      this.size = this.memory.buffer.byteLength
      this.grows++
    }
    if (end > this.peak) this.peak = end
    return ptr
  }

  /** Returns a range to the heap. */
  private give(off: number, bytes: number): void {
    this.ranges.release(off, Math.ceil(Math.max(bytes, 1) / ALIGN) * ALIGN)
  }

  /** Scratch memory released when the innermost `scoped` call ends (which must be active). */
  alloc(bytes: number): number {
    const scope = this.scopes[this.scopes.length - 1]
    if (scope === undefined) throw new Error("internal: WebAssembly scratch memory taken outside a scope")
    const ptr = this.take(bytes)
    scope.blocks.push([ptr, bytes])
    return ptr
  }

  /** A long-lived allocation outside scopes and the resident budget (a compiled program's arena). */
  allocLong(bytes: number): number {
    return this.take(bytes)
  }
  /** Frees an `allocLong` allocation. */
  freeLong(ptr: number, bytes: number): void {
    this.give(ptr, bytes)
  }

  /** Runs `f`; its scratch memory is released and its pinned blocks unpinned when it ends. */
  scoped<A>(f: () => A): A {
    const scope = { blocks: [] as number[][], pins: [] as Block[] }
    this.scopes.push(scope)
    try {
      return f()
    } finally {
      this.scopes.pop()
      for (let k = scope.blocks.length - 1; k >= 0; k--) this.give(scope.blocks[k]![0]!, scope.blocks[k]![1]!)
      for (const b of scope.pins) this.pinned.set(b, (this.pinned.get(b) ?? 1) - 1)
    }
  }

  // ---- persistent blocks (results and resident copies), bounded by the resident budget

  /** Blocks that must not be evicted now (used by a running computation), with their pin counts. */
  private readonly pinned = new Map<Block, number>()
  /** Resident blocks in least-recently-used order, with how to evict each. */
  private readonly lru = new Map<Block, () => void>()
  /** Bytes held by resident blocks. */
  residentBytes = 0
  /** Bytes the resident blocks may hold before the least recently used are evicted. */
  residentBudget = DEFAULT_RESIDENT_BUDGET
  /** Resident blocks evicted (their data copied to the host first, if still referenced). */
  evictions = 0

  /** A persistent block: held until `release`; `evict` is how to give it up under memory pressure. */
  persistent(bytes: number, evict: () => void): Block {
    this.makeRoom(bytes)
    const block: Block = { ptr: this.take(bytes), bytes, refs: 1, freed: false }
    this.residentBytes += block.bytes
    this.lru.set(block, evict)
    return block
  }

  /** Marks `b` used now (most recently used) and, inside a scope, safe from eviction until it ends. */
  touch(b: Block): void {
    const evict = this.lru.get(b)
    if (evict === undefined) return
    this.lru.delete(b)
    this.lru.set(b, evict)
    const scope = this.scopes[this.scopes.length - 1]
    if (scope !== undefined) {
      scope.pins.push(b)
      this.pinned.set(b, (this.pinned.get(b) ?? 0) + 1)
    }
  }

  /** Drops one reference to `b`; the last frees it. */
  release(b: Block): void {
    if (b.freed || --b.refs > 0) return
    b.freed = true
    this.lru.delete(b)
    this.pinned.delete(b)
    this.residentBytes -= b.bytes
    this.give(b.ptr, b.bytes)
  }

  /** Evicts least-recently-used unpinned blocks until `bytes` more fit in the budget. */
  private makeRoom(bytes: number): void {
    if (this.residentBytes + bytes <= this.residentBudget) return
    // least recently used first (deleting the current entry while iterating a Map is safe)
    for (const [b, evict] of this.lru) {
      if (this.residentBytes + bytes <= this.residentBudget) break
      if ((this.pinned.get(b) ?? 0) > 0) continue
      evict()
      this.evictions++
    }
  }

  f32(ptr: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, n)
  }
  i32(ptr: number, n: number): Int32Array {
    return new Int32Array(this.memory.buffer, ptr, n)
  }

  /**
   * Copies host storage into the arena: float32 as is; int32/uint32 as their 32 bits; bool as
   * i32 0/1 (the kernels' representation of bool). Returns the byte pointer.
   */
  copyIn(data: Storage): number {
    const ptr = this.alloc(4 * data.length)
    this.write(ptr, data)
    return ptr
  }

  /** Writes host storage at `ptr` (float32 as is, integers as their 32 bits, bool as i32 0/1). */
  write(ptr: number, data: Storage): void {
    this.copiesIn++
    const v = this.views()
    if (data instanceof Float32Array) v.f32.set(data, ptr >> 2)
    else if (data instanceof Uint32Array) v.u32.set(data, ptr >> 2)
    else v.i32.set(data, ptr >> 2)
  }

  /** Copies `n` elements at `ptr` out into fresh host storage of `dtype`. */
  copyOut(dtype: DType, ptr: number, n: number): Storage {
    this.copiesOut++
    if (n === 0) return allocStorage(dtype, 0)
    const v = this.views()
    const at = ptr >> 2
    // slice copies in one pass into a fresh (unshared) buffer
    if (dtype === "float32") return v.f32.slice(at, at + n)
    if (dtype === "int32") return v.i32.slice(at, at + n)
    if (dtype === "uint32") return v.u32.slice(at, at + n)
    const out = allocStorage(dtype, n)
    {
      const src = v.i32
      const b = out as Uint8Array
      for (let k = 0; k < n; k++) b[k] = src[at + k] !== 0 ? 1 : 0
    }
    return out
  }

  /** The compiled module under `key`, generating its bytes with `make` on a miss. */
  module(key: string, make: () => Uint8Array): WasmModule {
    let m = this.modules.get(key)
    if (m === undefined) {
      m = new (webAssembly()!.Module)(make())
      this.compiled++
      this.modules.set(key, m)
      if (this.modules.size > MODULE_CAPACITY) {
        const oldest = this.modules.keys().next().value as string
        this.modules.delete(oldest)
        this.instances.delete(oldest)
      }
    }
    return m
  }

  /** The exports of the module under `key`, instantiated over this memory (cached, LRU). */
  instance(key: string, make: () => Uint8Array): WasmExports {
    let inst = this.instances.get(key)
    if (inst !== undefined) {
      this.instances.delete(key)
      this.instances.set(key, inst)
      const m = this.modules.get(key)
      if (m !== undefined) {
        this.modules.delete(key)
        this.modules.set(key, m)
      }
      return inst.exports
    }
    inst = new (webAssembly()!.Instance)(this.module(key, make), { env: { memory: this.memory }, math: MATH_IMPORTS })
    this.instances.set(key, inst)
    return inst.exports
  }

  /** Number of modules held. */
  get cachedModules(): number {
    return this.modules.size
  }
}

/**
 * `pow` as C, XLA and JAX define it: 1 for a base of 1 whatever the exponent (NaN too) and for a
 * base of -1 with an infinite exponent, where JavaScript's `Math.pow` gives NaN; the rest is
 * `Math.pow`.
 */
export const powC = (a: number, b: number): number => (a === 1 || (a === -1 && (b === Infinity || b === -Infinity)) ? 1 : Math.pow(a, b))

/** Host functions kernels may call per lane (float64 `Math`, rounded to float32 by the kernel). */
export const MATH_IMPORTS = {
  sin: Math.sin,
  cos: Math.cos,
  log1p: Math.log1p,
  expm1: Math.expm1,
  pow: powC,
  atan2: Math.atan2
} as const

/** Bytes of results and resident copies kept in WebAssembly memory before the least recently used go back to the host. */
export const DEFAULT_RESIDENT_BUDGET = 256 * 1024 * 1024

/**
 * Arrays below this many bytes are not kept resident: a result goes straight back to the JS heap
 * and a host input is copied into scratch memory per call (cheaper than tracking a block).
 */
export const RESIDENT_MIN_BYTES = 64 * 1024

/** Kernel modules kept compiled. */
export const MODULE_CAPACITY = 512

let runtime: WasmRuntime | null = null

/** The process-wide runtime (created on first use). */
export const wasm = (): WasmRuntime => {
  if (runtime === null) runtime = new WasmRuntime()
  return runtime
}

/** Counters of the WebAssembly runtime (for benchmarks and tests). */
export interface WasmStats {
  /** Bytes of WebAssembly memory. */
  readonly memoryBytes: number
  /** Highest arena offset reached. */
  readonly arenaPeakBytes: number
  /** Times the memory grew. */
  readonly grows: number
  /** Kernel modules compiled. */
  readonly modulesCompiled: number
  /** Host arrays created for results copied out of WebAssembly memory. */
  readonly copiesOut: number
  /** Host arrays copied into WebAssembly memory (a resident copy made, or a small input staged). */
  readonly copiesIn: number
  /** Resident copies dropped to stay within the budget. */
  readonly evictions: number
}

/** Counters of the WebAssembly runtime since the process started. */
export const wasmStats = (): WasmStats => {
  const rt = wasm()
  return { memoryBytes: rt.size, arenaPeakBytes: rt.peak, grows: rt.grows, modulesCompiled: rt.compiled, copiesOut: rt.copiesOut, copiesIn: rt.copiesIn, evictions: rt.evictions }
}
