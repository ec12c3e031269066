/**
 * The asynchronous launch path, for gpu.js modes whose kernels return Promises (`webgpu`).
 *
 * The kernel ops stay synchronous. `runAsync(f)` runs `f` in passes: in each pass every
 * device event (a kernel launch, an upload of a host array, a read of a device array) whose
 * outcome is already known is answered from earlier passes, and the first unknown event starts
 * its work and ends the pass (its Promise is handed to the driver, which awaits it). Then `f`
 * runs again from the start. Kernel ops are pure and deterministic, so every pass issues the same
 * events in the same order, and the pass that meets no unknown event returns `f`'s value. A
 * computation with `n` events runs `n` kernels and `n + 1` passes of host code: cheap for single
 * ops and short computations, costly for long ones (a jitted step is a few dozen events).
 *
 * Results stay on the device: a launch's outcome is its pipeline buffer, and a later pass gets
 * a clone (buffers are reference-counted), so kernels read their inputs where they are. Data
 * comes to the host only when read, and what the final pass read is kept as the arrays' host
 * copies, so they can be read again after `runAsync` returns. A pass's arrays, uploads and
 * buffers are released when the pass is discarded; the driver's own references when it ends.
 */
import { type DeviceTexture, DeviceArray, collectingDeviceArrays, commitUpload, countDownload, countUpload, flatten, releaseTexture, setDeviceIo } from "./device.js"
import { setLaunchHook } from "./backend.js"

type Kind = "launch" | "upload" | "download"

interface Pending {
  readonly key: string
  readonly size: number
  readonly result: PromiseLike<unknown>
  readonly kind: Kind
}

/** Thrown through `f` to end a pass at the first event whose outcome is not known yet. */
class Suspend {
  constructor(readonly pending: Pending) {}
}

let queue: Promise<unknown> = Promise.resolve()

const isBuffer = (v: unknown): v is DeviceTexture =>
  v !== null && typeof v === "object" && typeof (v as DeviceTexture).toArray === "function" && typeof (v as DeviceTexture).clone === "function"

/** A completed event's outcome, checked: a device buffer for launches and uploads, values for reads. */
const outcome = (p: Pending, value: unknown): Float32Array | DeviceTexture => {
  if (p.kind !== "download" && isBuffer(value)) return value
  if (value instanceof Float32Array && value.length === p.size) return Float32Array.from(value)
  throw new Error(`internal: async ${p.kind} ${p.key} resolved to ${Object.prototype.toString.call(value)} instead of ${p.kind === "download" ? `Float32Array(${p.size})` : "a device buffer"}`)
}

/** Lets go of a Promise whose pass is discarded anyway (and of the buffer it may bring). */
const drop = (result: PromiseLike<unknown>): void => {
  Promise.resolve(result).then(
    (v) => (isBuffer(v) ? releaseTexture(v) : undefined),
    () => undefined
  )
}

type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown }

const drive = async <T>(f: () => T): Promise<T> => {
  const known: Array<{ readonly key: string; readonly out: Float32Array | DeviceTexture }> = []
  try {
    for (;;) {
      let cursor = 0
      let suspended: Pending | null = null
      const next = (key: string): Float32Array | DeviceTexture | undefined => {
        if (cursor >= known.length) return undefined
        const hit = known[cursor++]!
        if (hit.key !== key) {
          throw new Error(`internal: runAsync replay diverged at event ${cursor - 1} (${hit.key.split("|")[0]} then ${key.split("|")[0]}): the computation is not deterministic`)
        }
        return hit.out
      }
      const dropped: PromiseLike<unknown>[] = []
      const suspend = (p: Pending): never => {
        // the first unknown event of the pass; a later one (after code that swallowed the
        // Suspend) is dropped: this pass's outcome is discarded anyway
        if (suspended === null) suspended = p
        else {
          drop(p.result)
          dropped.push(p.result)
        }
        throw new Suspend(suspended)
      }
      const uploads = new Map<Float32Array, DeviceTexture>()
      const reads = new Map<DeviceArray, Float32Array>()
      setLaunchHook({
        replay: (key) => {
          const out = next(key)
          return out === undefined ? undefined : out instanceof Float32Array ? out.slice() : out.clone()
        },
        pending: (key, size, result, kind) => suspend({ key, size, result, kind })
      })
      setDeviceIo({
        uploads,
        read: (a, t, n) => {
          const memo = reads.get(a)
          if (memo !== undefined) return memo
          const key = `download|${n}`
          const out = next(key)
          if (out === undefined) return suspend({ key, size: n, result: Promise.resolve(t.toArray()).then((v) => flatten(v, n)), kind: "download" })
          const values = (out as Float32Array).slice()
          reads.set(a, values)
          return values
        }
      })
      let run: Outcome<T>
      let created: DeviceArray[]
      try {
        ;[run, created] = collectingDeviceArrays((): Outcome<T> => {
          try {
            return { ok: true, value: f() }
          } catch (error) {
            return { ok: false, error }
          }
        })
      } finally {
        setLaunchHook(null)
        setDeviceIo(null)
      }
      // A pass that met an unknown event is discarded whatever became of the Suspend
      // (callers such as Effect.runSync may wrap it in their own error).
      const p = suspended as Pending | null
      if (p === null) {
        for (const [data, t] of uploads) commitUpload(data, t)
        for (const [a, values] of reads) a.adoptHost(values)
        if (!run.ok) throw run.error
        return run.value
      }
      // a kernel's first run waits for its build and reads its arguments then: release this
      // pass's buffers only once the pending work (and any dropped work) has settled
      const release = () => {
        for (const a of created) a.release()
        for (const t of uploads.values()) releaseTexture(t)
      }
      let value: unknown
      try {
        value = await p.result
      } finally {
        await Promise.allSettled(dropped)
        release()
      }
      const out = outcome(p, value)
      if (p.kind === "upload") countUpload(p.size)
      else if (p.kind === "download") countDownload(p.size)
      known.push({ key: p.key, out })
    }
  } finally {
    for (const k of known) if (!(k.out instanceof Float32Array)) releaseTexture(k.out)
  }
}

/**
 * Runs a synchronous computation of kernel ops (or tensors and transforms built on them) with
 * a backend whose kernels are asynchronous, awaiting each kernel. Calls are queued, so
 * concurrent `runAsync` calls never interleave their launches. With a synchronous backend it
 * simply runs `f` once.
 *
 * @example
 * jax.setBackend("webgpu")
 * const y = yield* Effect.promise(() => jax.runAsync(() => jnp.exp(x)))
 */
export const runAsync = <T>(f: () => T): Promise<T> => {
  const next = queue.then(() => drive(f))
  queue = next.then(
    () => undefined,
    () => undefined
  )
  return next
}

