/**
 * The gpu.js backend: one explicitly chosen mode, a bounded kernel cache, and `launch`, the
 * single place where a generated kernel source is compiled and run. Never relies on gpu.js's
 * silent fallbacks: the kernel class that actually ran is checked and recorded.
 */
import gpujs from "gpu.js"
import { BackendUnavailableError, KernelLimitError } from "./errors.js"
import { KernelCache, type KernelCacheStats } from "./KernelCache.js"
import { simdSupported } from "./wasm/runtime.js"
import { type DeviceTexture, DeviceArray, countDownload, countUpload, deviceContext, isAsyncTexture, nextDeviceContext, setOutsideReadError, uploaded } from "./device.js"

const { GPU } = gpujs

/**
 * gpu.js's kernel classes by the name tanka reports. A kernel is identified by its constructor
 * (`===` one of these exported classes), never by `constructor.name`: bundlers rename classes
 * (`_WebAssemblyKernel`) and minifiers shorten them (`r`), and `HeadlessGLKernel` and
 * `WebGL2Kernel` extend `WebGLKernel`, so `instanceof` alone would not tell them apart.
 */
const GPUJS_KERNEL_CLASSES: ReadonlyArray<readonly [string, unknown]> = (() => {
  const g = gpujs as unknown as Record<string, unknown>
  return ["WebAssemblyKernel", "CPUKernel", "WebGL2Kernel", "WebGLKernel", "HeadlessGLKernel", "WebGPUKernel"].map((name) => [name, g[name]] as const)
})()

/** The name of the gpu.js kernel class `kernel` is an instance of ("unknown …" for any other). */
export const kernelClassOf = (kernel: { readonly constructor?: unknown } | undefined): string => {
  const ctor = kernel?.constructor
  for (const [name, cls] of GPUJS_KERNEL_CLASSES) if (cls !== undefined && ctor === cls) return name
  return `unknown (${String((ctor as { name?: unknown } | undefined)?.name ?? typeof kernel)})`
}

/**
 * A backend configuration. `wasm-simd` (the default where WebAssembly SIMD128 exists) runs
 * tanka's own WebAssembly SIMD kernels for the ops they cover and gpu.js `webasm` kernels for the
 * rest; every other mode is one gpu.js mode alone (`webasm` and `cpu` in Node; GL modes and
 * WebGPU in browsers).
 */
export type Mode = "wasm-simd" | "webasm" | "cpu" | "webgl2" | "webgl" | "webgpu" | "headlessgl"

/** Every mode name, in order of preference. */
export const MODES: ReadonlyArray<Mode> = ["wasm-simd", "webasm", "cpu", "webgl2", "webgl", "headlessgl", "webgpu"]

/** The kernel class name recorded when a tanka WebAssembly SIMD kernel runs. */
export const WASM_SIMD_CLASS = "WasmSimdKernel"

/** The gpu.js mode a configuration runs gpu.js kernels in. */
const gpujsMode = (mode: Mode): Exclude<Mode, "wasm-simd"> => (mode === "wasm-simd" ? "webasm" : mode)

const KERNEL_CLASS: Record<Mode, string> = {
  "wasm-simd": "WebAssemblyKernel",
  webasm: "WebAssemblyKernel",
  cpu: "CPUKernel",
  webgl2: "WebGL2Kernel",
  webgl: "WebGLKernel",
  headlessgl: "HeadlessGLKernel",
  webgpu: "WebGPUKernel"
}

const GL_MODES: ReadonlyArray<Mode> = ["webgl2", "webgl", "headlessgl"]

/** Elements above which float32 index math (`Math.floor(i / d)`) stops being exact. */
export const INDEX_LIMIT = 16777216

/** Kernel cache capacity (compiled kernels kept alive). */
export const CACHE_CAPACITY = 256

/** Bytes of argument/result buffers the cached kernels may pin before the oldest are evicted. */
export const CACHE_BYTES = 256 * 1024 * 1024

interface CompiledKernel {
  (...args: Array<Float32Array | DeviceTexture | number>): unknown
  readonly kernel?: { readonly constructor: unknown; readonly fallbackReason?: unknown }
  destroy?: (removeCanvasReferences?: boolean) => unknown
}

interface GpuInstance {
  createKernel(source: string, settings: object): CompiledKernel
  destroy(): Promise<void>
  readonly Kernel?: { readonly features?: { readonly maxTextureSize?: number } }
}

interface BackendState {
  mode: Mode
  gpu: GpuInstance | null
  lastKernelClass: string | null
}

let state: BackendState | null = null
let launches = 0
const cache = new KernelCache<CompiledKernel>(CACHE_CAPACITY, CACHE_BYTES)
let availableCache: Mode[] | null = null

const isMode = (s: string): s is Mode => (MODES as ReadonlyArray<string>).includes(s)

const probe = (mode: Mode): boolean => {
  try {
    switch (mode) {
      case "wasm-simd":
        return simdSupported() && GPU.isWebAssemblySupported
      case "webasm":
        return GPU.isWebAssemblySupported
      case "cpu":
        return true
      case "webgl2":
        return GPU.isWebGL2Supported
      case "webgl":
        return GPU.isWebGLSupported
      case "headlessgl":
        return GPU.isHeadlessGLSupported
      case "webgpu":
        return false
    }
  } catch {
    return false
  }
}

const webgpuApi = (): boolean => {
  try {
    return GPU.isWebGPUSupported === true
  } catch {
    return false
  }
}

/**
 * Hook installed by `runAsync` (asyncLaunch.ts) while it drives a computation: `replay` returns
 * a launch's result known from an earlier pass, `pending` takes a kernel's Promise and ends the pass.
 */
export interface LaunchHook {
  readonly replay: (key: string) => Float32Array | DeviceTexture | undefined
  readonly pending: (key: string, size: number, result: PromiseLike<unknown>, kind: "launch" | "upload") => never
}

let hook: LaunchHook | null = null

/** Installs (or with null removes) the async launch hook. Internal: used by runAsync only. */
export const setLaunchHook = (h: LaunchHook | null): void => {
  hook = h
}

/** Modes whose kernels run on this platform through the synchronous API (Node: webasm, cpu). */
export const availableModes = (): Mode[] => {
  if (availableCache === null) availableCache = MODES.filter(probe)
  return [...availableCache]
}

const makeState = (mode: string, via: string): BackendState => {
  const unavailable = (why: string, fix: string): BackendUnavailableError =>
    new BackendUnavailableError({
      mode,
      available: availableModes(),
      message: `${via}: ${why}. Fix: ${fix} (available here: ${availableModes().join(", ")}).`
    })
  if (!isMode(mode)) throw unavailable(`unknown gpu.js mode; the modes are ${MODES.join(", ")}`, "use one of the listed modes")
  if (mode === "webgpu" && !webgpuApi()) {
    throw unavailable(
      "gpu.js webgpu kernels return Promises, and the kernel API of tanka is synchronous; webgpu runs only through runAsync, in a browser (or Node with a WebGPU addon) that exposes navigator.gpu, which is absent here",
      "use webgl2 in browsers or webasm in Node, or run kernel ops inside runAsync where navigator.gpu exists"
    )
  }
  if (mode !== "webgpu" && !probe(mode)) {
    const hint =
      mode === "headlessgl"
        ? "build the optional `gl` package (needs libxi-dev) and run under an X server such as `xvfb-run`"
        : GL_MODES.includes(mode)
          ? "run in a browser with that WebGL version, or choose webasm"
          : "choose another mode"
    throw unavailable("gpu.js reports this mode as unsupported on this platform", hint)
  }
  return { mode, gpu: null, lastKernelClass: null }
}

const current = (): BackendState => {
  if (state === null) {
    const env = typeof process !== "undefined" ? process.env["TANKA_BACKEND"] : undefined
    state = env !== undefined && env !== "" ? makeState(env, `TANKA_BACKEND=${JSON.stringify(env)}`) : makeState(defaultMode(), "default backend")
  }
  return state
}

/** The default configuration: `wasm-simd` where WebAssembly SIMD128 runs, else gpu.js `webasm`. */
export const defaultMode = (): Mode => (probe("wasm-simd") ? "wasm-simd" : "webasm")

const releaseGpu = (s: BackendState | null): void => {
  cache.clear()
  nextDeviceContext()
  if (s?.gpu) s.gpu.destroy().catch(() => undefined)
}

/**
 * Selects the backend explicitly; a different gpu.js mode clears the kernel cache. An unavailable mode throws
 * BackendUnavailableError, never a silent fallback.
 * @example
 * jax.setBackend("cpu")
 */
export const setBackend = (mode: Mode): void => {
  const next = makeState(mode, `setBackend(${JSON.stringify(mode)})`)
  // wasm-simd runs its fallbacks in gpu.js webasm: switching between the two keeps the kernels
  if (state !== null && state.mode !== mode && gpujsMode(state.mode) === gpujsMode(mode)) {
    next.gpu = state.gpu
    state = next
    return
  }
  releaseGpu(state)
  state = next
}

/** The selected mode and the class of the gpu.js kernel that ran last (by identity with gpu.js's exported classes, so bundling and minifying do not change it). */
export const getBackend = (): { mode: Mode; lastKernelClass: string | null } => {
  const s = current()
  return { mode: s.mode, lastKernelClass: s.lastKernelClass }
}

/** Monotonic count of kernel launches (gpu.js and tanka WebAssembly) in this process. */
export const kernelLaunches = (): number => launches

/** The selected mode, without touching gpu.js (for the kernel registry's `supports`). */
export const currentMode = (): Mode => current().mode

/** Records a launch of one of tanka's own WebAssembly SIMD kernels. */
export const recordWasmLaunch = (): void => {
  launches++
  current().lastKernelClass = WASM_SIMD_CLASS
}

/** Occupancy and hit/miss counters of the compiled-kernel cache. */
export const kernelCacheStats = (): KernelCacheStats => cache.stats()

/** Largest tensor (elements) the current mode indexes exactly. */
export const elementLimit = (): number => {
  const s = current()
  if (!GL_MODES.includes(s.mode)) return INDEX_LIMIT
  const tex = gpuOf(s).Kernel?.features?.maxTextureSize ?? 4096
  return Math.min(INDEX_LIMIT, tex * tex)
}

/**
 * Throws KernelLimitError when an operand or result of `op` has more elements than the
 * backend can index exactly, or a dimension longer than that (also when its size is 0).
 */
export const checkLimit = (op: string, arrays: ReadonlyArray<{ readonly size: number; readonly type: string; readonly shape?: ReadonlyArray<number> }>): void => {
  const limit = elementLimit()
  for (const a of arrays) {
    if (a.size > limit) {
      throw new KernelLimitError({
        op,
        shape: a.type,
        limit,
        message:
          `${op}: ${a.type} has ${a.size} elements, above the limit of ${limit} for mode ${current().mode}. ` +
          `Kernels index with float32 arithmetic, which is exact only below 2^24 (and GL textures cap storage), ` +
          `so larger tensors would read wrong elements. Fix: split the tensor into chunks of at most ${limit} elements.`
      })
    }
    // Only a zero-size array gets here with a dimension above the limit; a reduction or a
    // transpose of it can turn that dimension into a size, so it is refused as well.
    const dim = a.shape?.find((d) => d > limit)
    if (dim !== undefined) {
      throw new KernelLimitError({
        op,
        shape: a.type,
        limit,
        message:
          `${op}: ${a.type} has a dimension of ${dim}, above the limit of ${limit} for mode ${current().mode}, although it has no elements: ` +
          `reducing or moving the other axes would make that dimension a size. Kernels index with float32 arithmetic, exact only below 2^24. ` +
          `Fix: keep every dimension at most ${limit} (split along that axis).`
      })
    }
  }
}

const gpuOf = (s: BackendState): GpuInstance => {
  if (s.gpu === null) {
    s.gpu = new GPU({ mode: gpujsMode(s.mode) }) as unknown as GpuInstance
    nextDeviceContext()
  }
  return s.gpu
}

/** Modes whose kernel results stay on the device (gpu.js pipeline textures or buffers). */
const RESIDENT_MODES: ReadonlyArray<Mode> = [...GL_MODES, "webgpu"]

/**
 * True when kernel results stay on the device: the GL modes, where gpu.js pipeline kernels render
 * into textures that later kernels read directly, and webgpu, where they write storage buffers
 * (see device.ts).
 */
export const residentMode = (): boolean => RESIDENT_MODES.includes(current().mode)

setOutsideReadError(
  (a) =>
    new BackendUnavailableError({
      mode: "webgpu",
      available: availableModes(),
      message:
        `reading a ${a.dtype}[${a.shape.join(",")}] array that lives on the WebGPU device: WebGPU reads are asynchronous and ` +
        `the array API is synchronous. Fix: read it inside runAsync, e.g. \`await runAsync(() => y.toTypedArray())\` ` +
        `(or in the same runAsync call that computed it).`
    })
)

/** A kernel argument: host values, or (resident modes) a texture on the device. */
export type KernelInput = Float32Array | DeviceTexture

/** Everything `launch` needs to find or build a kernel. */
export interface KernelSpec {
  /** Cache key: op family plus every baked-in shape and parameter. */
  readonly key: string
  /** Generates the kernel source (called on a cache miss only). */
  readonly source: () => string
  /** Number of output elements (> 0). */
  readonly size: number
  /** Number of array arguments, then scalar arguments, in the source's parameter order. */
  readonly arrays: number
  readonly scalars?: number
  /**
   * When set, the output is 2-D: `rows` rows of `size / rows` columns, `this.thread.y` the row and
   * `this.thread.x` the column. Values uniform along a row then stay uniform across gpu.js's
   * webasm SIMD lanes (about 1.5× faster contractions). The result is flattened row-major.
   */
  readonly rows?: number
}

/** The kernel cache's key of a spec, computed once per spec object (long keys hash in O(length)). */
const cacheKeys = new WeakMap<KernelSpec, string>()
const cacheKeyOf = (spec: KernelSpec, resident: boolean): string => {
  let k = cacheKeys.get(spec)
  if (k === undefined) {
    k = `${spec.size}|${spec.rows ?? 0}|${spec.key}`
    cacheKeys.set(spec, k)
  }
  return resident ? `pipe|${k}` : k
}

const EMPTY = new Float32Array(1)

/** A 2-D gpu.js result (an array of row Float32Arrays) as one row-major Float32Array. */
const flattenRows = (spec: KernelSpec, rows: ReadonlyArray<Float32Array>): Float32Array => {
  const cols = spec.size / spec.rows!
  if (rows.length !== spec.rows || rows.some((r) => !(r instanceof Float32Array) || r.length !== cols)) {
    throw new Error(`internal: kernel ${spec.key} returned ${rows.length} rows instead of ${spec.rows} rows of ${cols}`)
  }
  const out = new Float32Array(spec.size)
  rows.forEach((r, i) => out.set(r, i * cols))
  return out
}

/**
 * Compiles (or fetches from the cache) and runs one gpu.js kernel with a 1-D output of
 * `spec.size` float32 values, returned on the host. Counts the launch and records the kernel
 * class that ran.
 */
export const launch = (spec: KernelSpec, arrays: ReadonlyArray<KernelInput>, scalars: ReadonlyArray<number> = []): Float32Array => {
  const out = launchDevice(spec, arrays, scalars)
  return out instanceof Float32Array ? out : downloadTexture(out, spec.size)
}

/** A texture's values on the host (counted as a download). */
const downloadTexture = (t: DeviceTexture, n: number): Float32Array => {
  if (isAsyncTexture(t)) {
    // WebGPU: read through a device array, which runAsync answers (or suspends on)
    const a = new DeviceArray("float32", [n], t, deviceContext())
    try {
      return a.data as Float32Array
    } finally {
      a.release()
    }
  }
  const v = t.toArray()
  const out = Array.isArray(v) ? flattenRows({ key: "download", size: n, rows: v.length, arrays: 0, source: () => "" }, v as ReadonlyArray<Float32Array>) : (v as Float32Array).slice(0, n)
  t.delete()
  countDownload(n)
  return out
}


/** The identity pipeline kernel that puts a host array on the device. */
const uploadTexture = (gpu: GpuInstance) => (data: Float32Array): DeviceTexture => {
  const n = Math.max(1, data.length)
  const key = `upload|${n}`
  const known = hook?.replay(key)
  if (known !== undefined) return known as DeviceTexture
  const k = cache.getOrCreate(`upload|${n}`, () =>
    gpu.createKernel(kernelSourceOf("return a0[this.thread.x];"), {
      output: [n],
      argumentTypes: { a0: "Array" },
      precision: "single",
      tactic: "precision",
      pipeline: true,
      immutable: true,
      dynamicArguments: false,
      dynamicOutput: false
    })
  )
  launches++
  const out = k(data.length === 0 ? EMPTY : data) as unknown
  if (typeof (out as PromiseLike<unknown> | null)?.then === "function") {
    // webgpu: counted by runAsync when the upload completes
    if (hook !== null) return hook.pending(key, n, out as PromiseLike<unknown>, "upload")
    ;(out as Promise<unknown>).then(undefined, () => undefined)
    throw asyncOutside(current(), "upload")
  }
  countUpload(data.length)
  return out as DeviceTexture
}

const asyncOutside = (s: BackendState, what: string): BackendUnavailableError =>
  new BackendUnavailableError({
    mode: s.mode,
    available: availableModes(),
    message:
      `kernel ${what} returned a Promise: ${s.mode} kernels are asynchronous and the kernel API is ` +
      `synchronous. Fix: run the computation inside runAsync(() => ...), which awaits each kernel, or setBackend("webgl2").`
  })

const kernelSourceOf = (line: string): string => `function(a0) {\n  ${line}\n}`

/**
 * `launch`, except that in the resident modes (GL) the result stays on the device: a texture the
 * next kernel reads directly. Elsewhere the result is the host Float32Array.
 */
export const launchDevice = (spec: KernelSpec, inputs: ReadonlyArray<KernelInput>, scalars: ReadonlyArray<number> = []): Float32Array | DeviceTexture => {
  const s = current()
  const gpu = gpuOf(s)
  const resident = RESIDENT_MODES.includes(s.mode)
  // host arrays go up once (cached per array); textures are read where they are
  const arrays: ReadonlyArray<KernelInput> = resident
    ? inputs.map((a) => (a instanceof Float32Array ? uploaded(a.length === 0 ? EMPTY : a, uploadTexture(gpu)) : a))
    : inputs
  const nScalars = spec.scalars ?? 0
  if (arrays.length !== spec.arrays || scalars.length !== nScalars) {
    throw new Error(`internal: kernel ${spec.key} expects ${spec.arrays} arrays and ${nScalars} scalars`)
  }
  const known = hook?.replay(spec.key)
  if (known !== undefined) return known
  const bytes = 4 * (spec.size + arrays.reduce((sum, a) => sum + (a instanceof Float32Array ? a.length : a.output.reduce((p, d) => p * d, 1)), 0))
  const rows = spec.rows
  const kernel = cache.getOrCreate(cacheKeyOf(spec, resident), () => {
    const argumentTypes: Record<string, string> = {}
    for (let j = 0; j < spec.arrays; j++) argumentTypes[`a${j}`] = "Array"
    for (let j = 0; j < nScalars; j++) argumentTypes[`s${j}`] = "Float"
    return gpu.createKernel(spec.source(), {
      output: rows === undefined ? [spec.size] : [spec.size / rows, rows],
      argumentTypes,
      precision: "single",
      tactic: "precision",
      fixIntegerDivisionAccuracy: true,
      dynamicArguments: false,
      dynamicOutput: false,
      ...(resident ? { pipeline: true, immutable: true } : {})
    })
  }, bytes)
  const args: Array<KernelInput | number> = arrays.map((a) => (a instanceof Float32Array && a.length === 0 ? EMPTY : a))
  for (const v of scalars) args.push(v)
  const out = kernel(...args)
  launches++
  const ran = kernelClassOf(kernel.kernel)
  s.lastKernelClass = ran
  if (ran !== KERNEL_CLASS[s.mode]) {
    throw new BackendUnavailableError({
      mode: s.mode,
      available: availableModes(),
      message:
        `kernel ${spec.key.split("|")[0]} ran as ${ran}, not ${KERNEL_CLASS[s.mode]}: gpu.js fell back ` +
        `(${String(kernel.kernel?.fallbackReason ?? "no reason given")}). A silent fallback would hide which ` +
        `backend computed the numbers. Fix: setBackend to a mode that supports this kernel, or report the kernel source.`
    })
  }
  if (typeof (out as PromiseLike<unknown> | null)?.then === "function") {
    if (hook !== null) {
      const flat = rows === undefined || resident ? out : (out as PromiseLike<unknown>).then((v) => (Array.isArray(v) ? flattenRows(spec, v as ReadonlyArray<Float32Array>) : v))
      return hook.pending(spec.key, spec.size, flat as PromiseLike<unknown>, "launch")
    }
    ;(out as Promise<unknown>).then(undefined, () => undefined)
    throw asyncOutside(s, spec.key.split("|")[0]!)
  }
  if (resident) {
    if (out === null || typeof out !== "object" || typeof (out as DeviceTexture).toArray !== "function") {
      throw new Error(`internal: pipeline kernel ${spec.key} returned ${Object.prototype.toString.call(out)} instead of a texture`)
    }
    return out as DeviceTexture
  }
  if (rows !== undefined && Array.isArray(out)) return flattenRows(spec, out as ReadonlyArray<Float32Array>)
  if (!(out instanceof Float32Array) || out.length !== spec.size) {
    throw new Error(`internal: kernel ${spec.key} returned ${Object.prototype.toString.call(out)} instead of Float32Array(${spec.size})`)
  }
  return out
}
