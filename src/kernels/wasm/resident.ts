/**
 * Arrays that live in WebAssembly memory between kernels (the `wasm-simd` configuration): a
 * kernel's result is a `WasmArray` over a persistent block, and the next kernel reads the block in
 * place. Its data comes to the JS heap only when something reads `data` (the user's
 * `toTypedArray()`/`item()`, a gpu.js fallback kernel, a checkpoint save). A host array handed to a
 * kernel is copied in once and the copy reused while the array lives.
 *
 * Blocks are freed when their arrays are garbage-collected (a FinalizationRegistry). A program
 * that never lets the event loop run gives the registry no chance, so resident memory is also
 * bounded: past the budget the least recently used blocks are evicted, their data first copied to
 * the arrays that still hold them. Memory stays bounded and no result is ever lost.
 */
import { type DType, type Storage, sizeOf } from "../dtype.js"
import type { HostArray } from "../HostArray.js"
import { result } from "../HostArray.js"
import { type Block, RESIDENT_MIN_BYTES, type WasmRuntime, wasm } from "./runtime.js"

const finalizer = typeof FinalizationRegistry === "function" ? new FinalizationRegistry<Block>((b) => wasm().release(b)) : null

/** The arrays over each result block (weakly: the block must not keep them alive). */
const owners = new WeakMap<Block, Array<WeakRef<WasmArray>>>()

/** A result in WebAssembly memory; `data` copies it to the JS heap on first read and keeps that copy. */
export class WasmArray implements HostArray {
  readonly shape: ReadonlyArray<number>
  #host: Storage | null = null
  #block: Block | null
  constructor(
    readonly dtype: DType,
    shape: ReadonlyArray<number>,
    block: Block
  ) {
    this.shape = Object.freeze([...shape])
    this.#block = block
    finalizer?.register(this, block, this)
    const list = owners.get(block)
    if (list === undefined) owners.set(block, [new WeakRef(this)])
    else list.push(new WeakRef(this))
    Object.freeze(this)
  }
  /** Number of elements. */
  get length(): number {
    return sizeOf(this.shape)
  }
  /** The block while the data is resident (marks it used, and pinned for the current scope). */
  block(rt: WasmRuntime): Block | null {
    const b = this.#block
    if (b === null || b.freed) return null
    rt.touch(b)
    return b
  }
  get data(): Storage {
    if (this.#host === null) {
      const b = this.#block
      if (b === null || b.freed) throw new Error("internal: a WasmArray lost its data")
      this.#host = wasm().copyOut(this.dtype, b.ptr, this.length)
    }
    return this.#host
  }
  /** A fresh copy of the data (one copy out of WebAssembly memory when it is not on the JS heap yet). */
  copyData(): Storage {
    if (this.#host !== null) return this.#host.slice()
    const b = this.#block
    if (b === null || b.freed) throw new Error("internal: a WasmArray lost its data")
    return wasm().copyOut(this.dtype, b.ptr, this.length)
  }
  /** True once the data has been copied to the JS heap. */
  get onHost(): boolean {
    return this.#host !== null
  }
  /** The same block under another shape (the block gains a reference). */
  reshaped(shape: ReadonlyArray<number>): HostArray {
    const b = this.#block
    if (b === null || b.freed) return Object.freeze({ dtype: this.dtype, shape: Object.freeze([...shape]), data: this.data })
    b.refs++
    return new WasmArray(this.dtype, shape, b)
  }
  /** Detaches from the block, keeping `host` (the block's data) as this array's data. */
  detach(host: Storage): void {
    if (this.#host === null) this.#host = host
    finalizer?.unregister(this)
    this.#block = null
  }
}

/** Evicts a result block: every array still over it keeps one host copy of the data; the block is freed. */
const evictResult = (rt: WasmRuntime, block: Block, dtype: DType, n: number): void => {
  const live = (owners.get(block) ?? []).map((r) => r.deref()).filter((a): a is WasmArray => a !== undefined)
  if (live.length > 0 && !block.freed) {
    const host = live.find((a) => a.onHost)?.data ?? rt.copyOut(dtype, block.ptr, n)
    for (const a of live) a.detach(host)
  }
  block.refs = 1
  rt.release(block)
}

/**
 * Memory for a new result of `n` elements of `dtype` (inside a scope), and how to turn it into an
 * array once written: a resident `WasmArray` over a persistent block, or, below
 * `RESIDENT_MIN_BYTES`, host storage copied out of scratch memory right away.
 */
export const resultBlock = (rt: WasmRuntime, dtype: DType, n: number): { readonly ptr: number; wrap: (shape: ReadonlyArray<number>) => HostArray } => {
  if (4 * n < RESIDENT_MIN_BYTES) {
    const ptr = rt.alloc(4 * n)
    let done: HostArray | null = null
    return { ptr, wrap: (shape) => (done ??= result(dtype, shape, rt.copyOut(dtype, ptr, n))) }
  }
  const block: Block = rt.persistent(4 * n, () => evictResult(rt, block, dtype, n))
  rt.touch(block)
  let first: WasmArray | null = null
  return {
    ptr: block.ptr,
    wrap: (shape) => {
      if (first === null) return (first = new WasmArray(dtype, shape, block))
      return first.reshaped(shape)
    }
  }
}

/** Resident copies of host storage (immutable), dropped when the storage dies or is evicted. */
const copies = new WeakMap<Storage, Block>()
const copyFinalizer = typeof FinalizationRegistry === "function" ? new FinalizationRegistry<Block>((b) => wasm().release(b)) : null

/**
 * The address of `x`'s data in WebAssembly memory: a WasmArray's own block, or a resident copy of
 * host storage (made once per storage: float32 as is, integers as their bits, bool as i32 0/1).
 * Marks the block used and pins it for the current scope.
 */
export const addressOf = (rt: WasmRuntime, x: HostArray): number => {
  if (x instanceof WasmArray) {
    const b = x.block(rt)
    if (b !== null) return b.ptr
  }
  const data = x.data
  if (4 * data.length < RESIDENT_MIN_BYTES) {
    // small: staged in scratch for this scope, no block to track
    const ptr = rt.alloc(4 * data.length)
    rt.write(ptr, data)
    return ptr
  }
  let b = copies.get(data)
  if (b === undefined || b.freed) {
    const ref = new WeakRef(data)
    const block: Block = rt.persistent(4 * data.length, () => {
      const d = ref.deref()
      if (d !== undefined) copies.delete(d)
      copyFinalizer?.unregister(block)
      rt.release(block)
    })
    rt.write(block.ptr, data)
    copies.set(data, block)
    copyFinalizer?.register(data, block, block)
    b = block
  }
  rt.touch(b)
  return b.ptr
}

export const isWasmArray = (x: unknown): x is WasmArray => x instanceof WasmArray
