/**
 * Device-resident arrays for the GL backends (`webgl2`, `webgl`, `headlessgl`): a float32 or
 * bool kernel result stays in the gpu.js texture the kernel rendered into, and later kernels read
 * that texture directly. Its data comes to the host only when something reads `data` — the user
 * (`toTypedArray()`, `item()`, printing, a checkpoint save) or a host-side step such as the exact
 * integer paths. A host array passed to a kernel is uploaded once and its texture reused.
 *
 * Every upload and download is counted (`transferStats`). Textures are released when their
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
const flatten = (v: unknown, n: number): Float32Array => {
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
      const values = n === 0 ? new Float32Array(0) : flatten(t.toArray(), n)
      countDownload(n)
      if (this.dtype === "bool") {
        const b = new Uint8Array(n)
        for (let k = 0; k < n; k++) b[k] = values[k] !== 0 ? 1 : 0
        this.#host = b
      } else if (this.dtype === "int32" || this.dtype === "uint32") {
        // exact integers below 2^24 (the bound's invariant): the typed-array conversion is exact
        const ints = this.dtype === "int32" ? new Int32Array(n) : new Uint32Array(n)
        ints.set(values)
        this.#host = ints
      } else this.#host = values
    }
    return this.#host
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
    if (this.#host === null) {
      // keep nothing half-alive: an array read after release downloads nothing and fails loudly
    }
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
  const texture = upload(data)
  counts.uploads++
  counts.uploadBytes += 4 * data.length
  uploads.set(data, { texture, context })
  uploadFinalizer?.register(data, texture)
  return texture
}
