/**
 * The asynchronous launch path, for gpu.js modes whose kernels return Promises (`webgpu`).
 *
 * The kernel ops stay synchronous. `runAsync(f)` runs `f` in passes: in each pass every
 * launch whose result is already known is answered from the results of earlier passes, and the
 * first unknown launch starts its kernel and ends the pass (its Promise is handed to the
 * driver, which awaits it). Then `f` runs again from the start. Kernel ops are pure and
 * deterministic, so every pass issues the same launches in the same order, and the pass that
 * meets no unknown launch returns `f`'s value. A computation with `n` launches runs `n`
 * kernels and `n + 1` passes of host code: cheap for single ops and short computations, not
 * a training loop (use `webgl2` for that).
 */
import { setLaunchHook } from "./backend.js"

interface Pending {
  readonly key: string
  readonly size: number
  readonly result: PromiseLike<unknown>
}

/** Thrown through `f` to end a pass at the first launch whose result is not known yet. */
class Suspend {
  constructor(readonly pending: Pending) {}
}

let queue: Promise<unknown> = Promise.resolve()

const toFloat32 = (key: string, size: number, value: unknown): Float32Array => {
  if (value instanceof Float32Array && value.length === size) return Float32Array.from(value)
  throw new Error(`internal: async kernel ${key} resolved to ${Object.prototype.toString.call(value)} instead of Float32Array(${size})`)
}

const drive = async <T>(f: () => T): Promise<T> => {
  const known: Array<{ readonly key: string; readonly out: Float32Array }> = []
  for (;;) {
    let cursor = 0
    let suspended: Pending | null = null
    setLaunchHook({
      replay: (key) => {
        if (cursor >= known.length) return undefined
        const hit = known[cursor++]!
        if (hit.key !== key) {
          throw new Error(`internal: runAsync replay diverged at launch ${cursor - 1} (${hit.key.split("|")[0]} then ${key.split("|")[0]}): the computation is not deterministic`)
        }
        return hit.out.slice()
      },
      pending: (key, size, result) => {
        // the first unknown launch of the pass; a later one (after code that swallowed the
        // Suspend) is dropped: this pass's outcome is discarded anyway
        if (suspended === null) suspended = { key, size, result }
        else (result as Promise<unknown>).then(undefined, () => undefined)
        throw new Suspend(suspended)
      }
    })
    let value: T | undefined
    let error: unknown = undefined
    let threw = false
    try {
      value = f()
    } catch (e) {
      threw = true
      error = e
    } finally {
      setLaunchHook(null)
    }
    // A pass that met an unknown launch is discarded whatever became of the Suspend
    // (callers such as Effect.runSync may wrap it in their own error).
    const p = suspended as Pending | null
    if (p === null) {
      if (threw) throw error
      return value as T
    }
    known.push({ key: p.key, out: toFloat32(p.key, p.size, await p.result) })
  }
}

/**
 * Runs a synchronous computation of kernel ops (or tensors and transforms built on them) with
 * a backend whose kernels are asynchronous, awaiting each kernel. Calls are queued, so
 * concurrent `runAsync` calls never interleave their launches. With a synchronous backend it
 * simply runs `f` once.
 *
 * @example
 * setBackend("webgpu")
 * const y = await runAsync(() => unary("exp", x))
 */
export const runAsync = <T>(f: () => T): Promise<T> => {
  const next = queue.then(() => drive(f))
  queue = next.then(
    () => undefined,
    () => undefined
  )
  return next
}

