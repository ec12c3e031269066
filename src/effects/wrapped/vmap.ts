/**
 * `hk.vmap`: `jax.vmap` over a Haiku-effectful function. Parameters and state are never
 * mapped (shared across the batch, as in Haiku); the rng is broadcast (`splitRng: false`: every
 * element sees the same keys and the outer sequence advances as if the body ran once) or split
 * (`splitRng: true`: one key per element from `nextRngKeys(axisSize)`, inner advances discarded).
 */
import { Effect } from "effect"
import { Tensor } from "../../transforms/core/Tensor.js"
import { BatchTracer } from "../../transforms/core/batching.js"
import { currentLevel } from "../../transforms/core/trace.js"
import * as lax from "../../transforms/core/lax.js"
import { vmap as rawVmap, broadcastPrefix, type VmapOptions } from "../../transforms/raw/vmap.js"
import { flattenTensors } from "../../transforms/raw/args.js"
import { PRNGSequence } from "../Frame.js"
import type { Key } from "../../transforms/random/random.js"
import { WrappedTransformError } from "../errors.js"
import type { ContextOf, ErrorOf, ValueOf } from "../transform.js"
import { finishRaw, innerFrame, newLayout, pureBody, snapshot, writeBack, type Threaded } from "./wrap.js"

/** Options of `hk.vmap`: those of `jax.vmap` plus the required `splitRng`. */
export interface HkVmapOptions extends VmapOptions {
  /** `true`: each batch element gets its own key; `false`: all see the same keys. Required (Haiku made it required after users were surprised by identical keys). */
  readonly splitRng: boolean
}

// the body below is pure by construction (the Haiku state is threaded through it)
const runVmap = rawVmap as unknown as (f: (...a: unknown[]) => unknown, options: VmapOptions) => (...args: unknown[]) => unknown

const err = (message: string) => new WrappedTransformError({ transform: "hk.vmap", message })

/**
 * Vectorise a Haiku-effectful function inside a transform. `splitRng` is required.
 *
 * Haiku: `hk.vmap`.
 *
 * @example
 * const f = (x: Tensor) => Effect.gen(function* () {
 *   const net = yield* hk.nets.MLP([300, 100])
 *   return yield* hk.vmap(net, { splitRng: false })(x)
 * })
 */
export const vmap =
  <F extends (...args: any[]) => any>(f: F, options: HkVmapOptions) =>
  (...args: Parameters<F>): Effect.Effect<ValueOf<ReturnType<F>>, ErrorOf<ReturnType<F>>, ContextOf<ReturnType<F>>> =>
    Effect.withFiber((fiber) => {
      if (options === undefined || typeof options.splitRng !== "boolean") {
        throw err("Haiku requires the splitRng option of hk.vmap: pass { splitRng: false } to give every batch element the same keys, or { splitRng: true } to split one key per element.")
      }
      const snap = snapshot(fiber, "hk.vmap", "jax.vmap")
      const inAxes = options.inAxes === undefined ? 0 : options.inAxes
      const axesList: unknown[] = Array.isArray(inAxes) ? [...inAxes] : args.map(() => inAxes)
      const [flat] = flattenTensors(args, "hk.vmap")
      const dims = broadcastPrefix(axesList, args, "inAxes")
      const sizes = dims.flatMap((d, i) => (d === null ? [] : [flat[i]!.shape[d < 0 ? d + flat[i]!.ndim : d]!]))
      if (sizes.length === 0 && options.axisSize === undefined) {
        throw err(`${f.name || "f"} must have at least one non-null value in inAxes to use with hk.vmap.`)
      }
      const axisSize = options.axisSize ?? sizes[0]!
      const layout = newLayout()
      const outAxes = options.outAxes === undefined ? 0 : options.outAxes
      const outer = snap.outer.rng
      const split = options.splitRng && outer !== null
      const keys = split ? (lax.concatenate(outer.take(axisSize).map((k) => lax.reshape(k, [1, 2])), 0) as Key) : null
      const body = pureBody(
        snap,
        f,
        (a) =>
          split
            ? [innerFrame(snap, new PRNGSequence(a[a.length - 1] as Key), "hk.vmap"), a.slice(0, -1)]
            : [innerFrame(snap, outer?.clone() ?? null, "hk.vmap"), a],
        layout
      )
      // Params and state are never mapped: unbatched results are lowered out of the vmap trace
      // (a BatchTracer with no batch dim holds the enclosing level's value); batched ones are an error.
      let threaded: Threaded | null = null
      const pure = (...a: unknown[]) => {
        const level = currentLevel()
        const [out, t] = body(...a)
        const lower = (x: Tensor): Tensor => {
          if (!(x instanceof BatchTracer) || x.trace.main.level !== level) return x
          if (x.batchDim !== null) throw new Error("outAxes null varies over the mapped axis")
          return x.val
        }
        threaded = { p: t.p.map(lower), s: t.s.map(lower), r: split ? [] : t.r.map(lower) }
        return out
      }
      return Effect.map(
        finishRaw(() => {
          try {
            const mapped = runVmap(pure, { inAxes: split ? [...axesList, 0] : axesList, outAxes, axisSize })
            return split ? mapped(...args, keys!) : mapped(...args)
          } catch (e) {
            if (e instanceof Error && e.message.includes("outAxes null varies over the mapped axis")) {
              throw err(
                split && !snap.outer.frozen
                  ? "hk.vmap does not support setting splitRng to true during initialization because it assumes parameters are always shared along the mapped dimension. Consider switching the value of `splitRng` to false during initialization through `splitRng: !(yield* hk.runningInit())`."
                  : "a parameter or state value set inside hk.vmap varies over the mapped axis, but hk.vmap shares params and state across the batch (they are never mapped). Reduce it over the batch before hk.setState, or use hk.lift + jax.vmap for per-element params/state."
              )
            }
            throw e
          }
        }),
        (out) => {
          writeBack(snap.outer, layout, threaded!, { rng: !split })
          return out as ValueOf<ReturnType<F>>
        }
      )
    })

export { Tensor }
