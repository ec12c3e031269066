/**
 * Device-resident arrays for the GPU backends: a kernel result stays in the gpu.js pipeline
 * texture (GL modes: `webgl2`, `webgl`, `headlessgl`) or storage buffer (`webgpu`) the kernel
 * wrote, and later kernels read it there. Its data comes to the host only when something reads
 * `data` — the user (`toTypedArray()`, `item()`, printing, a checkpoint save) or a host-side
 * step such as the exact integer paths. A host array passed to a kernel is uploaded once and its
 * device copy reused.
 *
 * WebGPU reads are asynchronous, so on `webgpu` they happen inside `runAsync`, which installs a
 * `DeviceIo` (asyncLaunch.ts): it answers uploads and reads from earlier passes or suspends the
 * pass while they complete. A read outside `runAsync` is a clear error naming it.
 *
 * Every upload and download is counted (`transferStats`). Device memory is released when its
 * array is garbage-collected (a FinalizationRegistry), and a compiled `jit` program releases its
 * intermediates as soon as it returns.
 */
import type { DType, Storage } from "./dtype.js"
import { sizeOf } from "./dtype.js"
import type { HostArray } from "./HostArray.js"

/** The part of a gpu.js pipeline texture tanka uses. */
export interface DeviceTexture {
  toArray(): unknown
  delete(): void
  clone(): DeviceTexture
  readonly output: ReadonlyArray<number>
}

/** Host↔device traffic since the process started. */
export interface TransferStats {
  readonly uploads: number
  readonly downloads: number
  readonly uploadBytes: number
  readonly downloadBytes: number
}

const counts = { uploads: 0, downloads: 0, uploadBytes: 0, downloadBytes: 0 }

/** Counts an upload of `n` float32 values. */
export const countUpload = (n: number): void => {
  counts.uploads++
  counts.uploadBytes += 4 * n
}

/** Counts a download of `n` float32 values (a result read back to the host). */
export const countDownload = (n: number): void => {
  counts.downloads++
  counts.downloadBytes += 4 * n
}

/** Host↔device transfers since the process started (GL backends; zero elsewhere). */
export const transferStats = (): TransferStats => ({ ...counts })

const finalizer =
  typeof FinalizationRegistry === "function" ? new FinalizationRegistry<DeviceTexture>((t) => safeDelete(t)) : null

const safeDelete = (t: DeviceTexture): void => {
  try {
    t.delete()
  } catch {
    // a texture of a destroyed context is gone already
  }
}

/** Which GPU context textures belong to; bumped whenever the backend's gpu.js instance changes. */
let context = 0
export const nextDeviceContext = (): number => ++context
export const deviceContext = (): number => context

/** A texture's values as one row-major Float32Array (gpu.js returns rows for 2-D outputs). */
export const flatten = (v: unknown, n: number): Float32Array => {
  if (v instanceof Float32Array) return v.length === n ? v : v.slice(0, n)
  const rows = v as ReadonlyArray<Float32Array>
  const out = new Float32Array(n)
  let at = 0
  for (const r of rows) {
    out.set(r.subarray(0, Math.min(r.length, n - at)), at)
    at += r.length
  }
  return out
}

/** True for device memory whose reads are asynchronous (gpu.js WebGPU buffer results). */
export const isAsyncTexture = (t: DeviceTexture): boolean => (t as { readonly type?: unknown }).type === "WebGPUBuffer"

/**
 * Asynchronous device I/O, installed by `runAsync` for one pass: `read` returns a buffer's values
 * (known from an earlier pass) or suspends the pass; `uploads` holds this pass's uploads.
 */
export interface DeviceIo {
  readonly read: (a: DeviceArray, t: DeviceTexture, n: number) => Float32Array
  readonly uploads: Map<Float32Array, DeviceTexture>
}

let io: DeviceIo | null = null

/** Installs (or with null removes) the asynchronous device I/O. Internal: runAsync only. */
export const setDeviceIo = (x: DeviceIo | null): void => {
  io = x
}

/** The error for reading WebGPU data outside runAsync; set by backend.ts (it knows the modes). */
let outsideRead: (a: DeviceArray) => Error = () => new Error("read this array inside runAsync")
export const setOutsideReadError = (f: (a: DeviceArray) => Error): void => {
  outsideRead = f
}

/** Device arrays created while a collector is active (see `collectingDeviceArrays`). */
let collector: DeviceArray[] | null = null

/** Runs `f` and returns, with its result, every device array created while it ran. */
export const collectingDeviceArrays = <A>(f: () => A): [A, DeviceArray[]] => {
  const outer = collector
  const mine: DeviceArray[] = []
  collector = mine
  try {
    return [f(), mine]
  } finally {
    collector = outer
    outer?.push(...mine)
  }
}

/**
 * An array held in a GPU texture: float32 as is, bool as 0/1 floats (the kernels' form of bool),
 * int32/uint32 as exact float integers under a proven `bound` on |v| below 2^24 (see
 * `intBound`). `data` downloads it once, counts the transfer, and keeps the host copy.
 */
export class DeviceArray implements HostArray {
  readonly shape: ReadonlyArray<number>
  #host: Storage | null = null
  #texture: DeviceTexture | null
  constructor(
    readonly dtype: DType,
    shape: ReadonlyArray<number>,
    texture: DeviceTexture,
    readonly context: number,
    /** int32/uint32 only: an upper bound on |v| proven from the operations that made it (< 2^24). */
    readonly bound?: number
  ) {
    if ((dtype === "int32" || dtype === "uint32") && !(bound !== undefined && bound < 16777216)) {
      throw new Error(`internal: a device ${dtype} array needs a bound below 2^24 (got ${bound})`)
    }
    this.shape = Object.freeze([...shape])
    this.#texture = texture
    finalizer?.register(this, texture, this)
    collector?.push(this)
    Object.freeze(this)
  }
  /** Number of elements. */
  get length(): number {
    return sizeOf(this.shape)
  }
  /** The texture, while it is alive and belongs to the current GPU context. */
  texture(): DeviceTexture | null {
    return this.#texture !== null && this.context === context ? this.#texture : null
  }
  get data(): Storage {
    if (this.#host === null) {
      const t = this.#texture
      if (t === null) throw new Error("internal: a released device array was read")
      const n = this.length
      if (n > 0 && isAsyncTexture(t)) {
        // WebGPU: only inside runAsync, which keeps the host copy for this pass (see adoptHost)
        if (io === null) throw outsideRead(this)
        return this.#fromValues(io.read(this, t, n))
      }
      const values = n === 0 ? new Float32Array(0) : flatten(t.toArray(), n)
      countDownload(n)
      this.#host = this.#fromValues(values)
    }
    return this.#host
  }
  /** Keeps `values` (this array's downloaded data, as runAsync read it) as the host copy. */
  adoptHost(values: Float32Array): void {
    if (this.#host === null) this.#host = this.#fromValues(values)
  }
  #fromValues(values: Float32Array): Storage {
    const n = values.length
    if (this.dtype === "bool") {
      const b = new Uint8Array(n)
      for (let k = 0; k < n; k++) b[k] = values[k] !== 0 ? 1 : 0
      return b
    }
    if (this.dtype === "int32" || this.dtype === "uint32") {
      // exact integers below 2^24 (the bound's invariant): the typed-array conversion is exact
      const ints = this.dtype === "int32" ? new Int32Array(n) : new Uint32Array(n)
      ints.set(values)
      return ints
    }
    return values
  }
  /** True once the data has been downloaded. */
  get onHost(): boolean {
    return this.#host !== null
  }
  /** The same texture under another shape (a clone: each array releases its own reference). */
  reshaped(shape: ReadonlyArray<number>): HostArray {
    const t = this.#texture
    if (t === null || this.#host !== null) return Object.freeze({ dtype: this.dtype, shape: Object.freeze([...shape]), data: this.data })
    return new DeviceArray(this.dtype, shape, t.clone(), this.context, this.bound)
  }
  /** Releases the texture now (the array must not be read on the device again). */
  release(): void {
    const t = this.#texture
    if (t === null) return
    finalizer?.unregister(this)
    // an array read after release downloads nothing and fails loudly (unless its data is on the host)
    this.#texture = null
    safeDelete(t)
  }
}

export const isDeviceArray = (x: unknown): x is DeviceArray => x instanceof DeviceArray

/** An array whose data may not be on the JS heap yet (a GPU texture or a WebAssembly block). */
interface LazyArray {
  readonly length: number
  readonly onHost: boolean
}

const isLazy = (x: HostArray): x is HostArray & LazyArray => typeof (x as Partial<LazyArray>).onHost === "boolean"

/** Elements of a host array without touching its data (no download or copy for lazy arrays). */
export const lengthOf = (x: HostArray): number => (isLazy(x) ? x.length : x.data.length)

/** True for arrays whose data is not on the JS heap yet (reading `data` would move it). */
export const isLazyArray = (x: HostArray): boolean => isLazy(x)

/** Uploaded textures of host arrays, kept while the host array lives. */
const uploads = new WeakMap<Float32Array, { texture: DeviceTexture; context: number }>()
const uploadFinalizer = typeof FinalizationRegistry === "function" ? new FinalizationRegistry<DeviceTexture>((t) => safeDelete(t)) : null

/**
 * The texture of a host Float32Array in the current context, uploading it (once) with `upload`.
 * Host arrays are immutable, so the texture stays valid for the array's life.
 */
export const uploaded = (data: Float32Array, upload: (data: Float32Array) => DeviceTexture): DeviceTexture => {
  const hit = uploads.get(data)
  if (hit !== undefined && hit.context === context) return hit.texture
  if (io !== null) {
    // inside runAsync the cache is frozen (every pass must issue the same uploads); this pass's
    // uploads are kept aside and committed when the computation completes
    let t = io.uploads.get(data)
    if (t === undefined) io.uploads.set(data, (t = upload(data)))
    return t
  }
  const texture = upload(data)
  commitUpload(data, texture)
  return texture
}

/** Caches `texture` as the device copy of `data` (released when `data` is garbage-collected). */
export const commitUpload = (data: Float32Array, texture: DeviceTexture): void => {
  const hit = uploads.get(data)
  if (hit !== undefined && hit.context === context) {
    safeDelete(texture)
    return
  }
  uploads.set(data, { texture, context })
  uploadFinalizer?.register(data, texture)
}

/** Releases device memory now (it may belong to a lost or destroyed context). */
export const releaseTexture = (t: DeviceTexture): void => safeDelete(t)
