/**
 * Resident copies of host arrays in WebAssembly memory (the `wasm-simd` configuration). Host
 * storage is immutable, so a copy made once stays valid for the array's life: a kernel reads an
 * input where its copy lives instead of copying it in again. A kernel's result is written into a
 * fresh block, copied out to its host array, and the block is kept as that array's resident copy,
 * so the next kernel that reads the result (the next step's parameters, say) finds it in place.
 *
 * The copies are a cache: a copy is dropped when its array is garbage-collected, and the least
 * recently used are dropped when they would exceed the resident budget. Dropping a copy never loses
 * data (the host array has it), so memory stays bounded at no cost, also in long synchronous loops
 * that give the garbage collector's callbacks no chance to run. Arrays below `RESIDENT_MIN_BYTES`
 * are not worth tracking: they are staged in scratch memory per call.
 */
import type { DType, Storage } from "../dtype.js"
import { type HostArray, result } from "../HostArray.js"
import { type Block, RESIDENT_MIN_BYTES, type WasmRuntime, wasm } from "./runtime.js"

/** Resident copies of host storage, dropped when the storage dies or is evicted. */
const copies = new WeakMap<Storage, Block>()
const finalizer = typeof FinalizationRegistry === "function" ? new FinalizationRegistry<Block>((b) => wasm().release(b)) : null

/** Registers `block` (holding `data`'s values) as `data`'s resident copy. */
const adopt = (_rt: WasmRuntime, data: Storage, block: Block): void => {
  copies.set(data, block)
  finalizer?.register(data, block, block)
}

/**
 * A persistent block whose eviction just frees it (the host array keeps the data; its cache entry
 * then points at a freed block and is remade on the next use). No reference to the array is held:
 * a WeakRef would keep it alive until the end of the current job, which in a long synchronous
 * loop means for the whole loop.
 */
const cacheBlock = (rt: WasmRuntime, bytes: number): Block => {
  const block: Block = rt.persistent(bytes, () => {
    finalizer?.unregister(block)
    rt.release(block)
  })
  return block
}

/**
 * Memory for a new result of `n` elements of `dtype` (inside a scope), and how to turn it into a
 * host array once written: copied out, its block kept as the array's resident copy (or, below
 * `RESIDENT_MIN_BYTES`, scratch memory released with the scope).
 */
export const resultBlock = (rt: WasmRuntime, dtype: DType, n: number): { readonly ptr: number; wrap: (shape: ReadonlyArray<number>) => HostArray } => {
  if (4 * n < RESIDENT_MIN_BYTES) {
    const ptr = rt.alloc(4 * n)
    let done: Storage | null = null
    return { ptr, wrap: (shape) => result(dtype, shape, (done ??= rt.copyOut(dtype, ptr, n))) }
  }
  const block = cacheBlock(rt, 4 * n)
  rt.touch(block)
  let done: Storage | null = null
  return {
    ptr: block.ptr,
    wrap: (shape) => {
      if (done === null) {
        done = rt.copyOut(dtype, block.ptr, n)
        adopt(rt, done, block)
      }
      return result(dtype, shape, done)
    }
  }
}

/**
 * The address of `x`'s data in WebAssembly memory: its resident copy (made once per storage:
 * float32 as is, integers as their bits, bool as i32 0/1), or for small arrays a copy staged in
 * scratch for the current scope. Marks the copy used and pins it for the current scope.
 */
export const addressOf = (rt: WasmRuntime, x: HostArray): number => {
  const data = x.data
  if (4 * data.length < RESIDENT_MIN_BYTES) {
    const ptr = rt.alloc(4 * data.length)
    rt.write(ptr, data)
    return ptr
  }
  let b = copies.get(data)
  if (b === undefined || b.freed) {
    b = cacheBlock(rt, 4 * data.length)
    rt.write(b.ptr, data)
    adopt(rt, data, b)
  }
  rt.touch(b)
  return b.ptr
}
