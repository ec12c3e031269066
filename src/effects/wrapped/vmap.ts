/**
 * `hk.vmap`: `jax.vmap` over a Haiku-effectful function.
 *
 * - **rng**: broadcast (`splitRng: false` / `rng: "broadcast"`: every element sees the same keys
 *   and the outer sequence advances as if the body ran once) or split (`splitRng: true` /
 *   `rng: "split"`: one key per element from `nextRngKeys(axisSize)`, inner advances discarded).
 * - **params / state**: shared across the batch by default (never mapped, as in Haiku). With
 *   `axes: { params: 0 }` (or `state: 0`) they are mapped over their leading axis instead: every
 *   value the body reads from outside must have a leading axis of the mapped size (element `i`
 *   sees row `i`), and every value it creates or sets comes out stacked — in init, with
 *   `rng: "split"`, that is `axisSize` independently initialised copies (an ensemble inside a
 *   model; Flax's `variable_axes`, asked of Haiku in dm-haiku #557).
 */
import { Effect } from "effect"
import { Tensor } from "../../transforms/core/Tensor.js"
import { BatchTracer } from "../../transforms/core/batching.js"
import type { Trace } from "../../transforms/core/trace.js"
import { currentLevel } from "../../transforms/core/trace.js"
import { shapeError } from "../../transforms/core/errors.js"
import * as lax from "../../transforms/core/lax.js"
import { vmap as rawVmap, broadcastPrefix, type VmapOptions } from "../../transforms/raw/vmap.js"
import { flattenTensors } from "../../transforms/raw/args.js"
import { Frame, ParamStore, PRNGSequence, StateStore, type StatePair } from "../Frame.js"
import type { Key } from "../../transforms/random/random.js"
import { WrappedTransformError } from "../errors.js"
import type { ContextOf, ErrorOf, ValueOf } from "../transform.js"
import { finishRaw, innerFrame, newLayout, pureBody, snapshot, writeBack, type Snapshot, type Threaded } from "./wrap.js"

/**
 * How `hk.vmap` maps each Haiku collection: `params` / `state` over their leading axis (`0`) or
 * shared (`null`, the default), and the rng split per element or broadcast (required).
 */
export interface VmapAxes {
  /** `0`: parameters are stacked along axis 0 (read row `i`, created stacked); `null` (default): shared. */
  readonly params?: 0 | null
  /** `0`: state values are stacked along axis 0; `null` (default): shared. */
  readonly state?: 0 | null
  /** `"split"`: one key per element; `"broadcast"`: every element sees the same keys. */
  readonly rng: "split" | "broadcast"
}

/**
 * Options of `hk.vmap`: those of `jax.vmap`, plus how the Haiku state is mapped — either the
 * required `splitRng` (Haiku's option; params and state shared), or `axes` with one entry per
 * collection. A wrong spec (`params: 1`, `rng: "spilt"`, both `splitRng` and `axes`) does not
 * type-check.
 */
export type HkVmapOptions = VmapOptions &
  (
    | {
        /** `true`: each batch element gets its own key; `false`: all see the same keys. Required (Haiku made it required after users were surprised by identical keys). */
        readonly splitRng: boolean
        readonly axes?: never
      }
    | {
        /** Per-collection axes: `{ params: 0, state: null, rng: "split" }`. */
        readonly axes: VmapAxes
        readonly splitRng?: never
      }
  )

// the body below is pure by construction (the Haiku state is threaded through it)
const runVmap = rawVmap as unknown as (f: (...a: unknown[]) => unknown, options: VmapOptions) => (...args: unknown[]) => unknown

const err = (message: string) => new WrappedTransformError({ transform: "hk.vmap", message })

/** Outer values seen as mapped over their leading axis (row `i` in element `i`), cached so repeated reads give the same tracer. */
class MappedView {
  readonly cache = new Map<Tensor, Tensor>()
  trace: Trace | null = null
  constructor(
    readonly axisSize: number,
    readonly what: "params" | "state"
  ) {}
  wrap(t: Tensor, fullName: string): Tensor {
    const hit = this.cache.get(t)
    if (hit !== undefined) return hit
    if (t.ndim === 0 || t.shape[0] !== this.axisSize) {
      throw shapeError(
        "hk.vmap",
        `axes.${this.what} is 0, so '${fullName}' is mapped over its leading axis, but it is ${t.aval} and the mapped size is ${this.axisSize}. ` +
          `Create it inside the mapped function (it then comes out stacked), stack it to [${this.axisSize}, ...] first, or leave ${this.what} unmapped (axes.${this.what}: null).`
      )
    }
    const out = new BatchTracer(this.trace!, t, 0)
    this.cache.set(t, out)
    return out
  }
}

/** A parameter store whose reads of the outer store come out mapped. */
class MappedParams extends ParamStore {
  constructor(
    readonly outer: ParamStore,
    readonly view: MappedView
  ) {
    super(null)
  }
  override get(bundle: string, name: string): Tensor | undefined {
    const own = this.own.get(bundle)?.get(name)
    if (own !== undefined) return own
    const v = this.outer.get(bundle, name)
    return v === undefined ? undefined : this.view.wrap(v, `${bundle}/${name}`)
  }
  override hasBundle(bundle: string): boolean {
    return this.own.has(bundle) || this.outer.hasBundle(bundle)
  }
  override entries(): Array<[string, string, Tensor]> {
    const seen = new Map<string, [string, string, Tensor]>()
    for (const [b, n, v] of this.outer.entries()) seen.set(`${b}\u0000${n}`, [b, n, this.view.wrap(v, `${b}/${n}`)])
    for (const e of this.ownEntries()) seen.set(`${e[0]}\u0000${e[1]}`, e)
    return [...seen.values()]
  }
}

/** A state store whose reads of the outer store come out mapped. */
class MappedState extends StateStore {
  constructor(
    readonly outer: StateStore,
    readonly view: MappedView
  ) {
    super(null)
  }
  private mapPair(b: string, n: string, p: StatePair): StatePair {
    return { initial: this.view.wrap(p.initial, `${b}/${n}`), current: this.view.wrap(p.current, `${b}/${n}`) }
  }
  override get(bundle: string, name: string): StatePair | undefined {
    const own = this.own.get(bundle)?.get(name)
    if (own !== undefined) return own
    const p = this.outer.get(bundle, name)
    return p === undefined ? undefined : this.mapPair(bundle, name, p)
  }
  override entries(): Array<[string, string, StatePair]> {
    const seen = new Map<string, [string, string, StatePair]>()
    for (const [b, n, p] of this.outer.entries()) seen.set(`${b}\u0000${n}`, [b, n, this.mapPair(b, n, p)])
    for (const e of this.ownEntries()) seen.set(`${e[0]}\u0000${e[1]}`, e)
    return [...seen.values()]
  }
}

/** The inner frame of one mapped body: mapped or shared stores per collection. */
const mappedFrame = (snap: Snapshot, rng: PRNGSequence | null, params: MappedView | null, state: MappedView | null): Frame => {
  if (params === null && state === null) return innerFrame(snap, rng, "hk.vmap")
  const outer = snap.outer
  return new Frame(
    outer.frozen,
    params === null ? new ParamStore(outer.params) : new MappedParams(outer.params, params),
    outer.state === null ? null : state === null ? new StateStore(outer.state) : new MappedState(outer.state, state),
    [rng],
    (snap.names ?? outer.names).clone(),
    "hk.vmap"
  )
}

const collectionsOf = (options: HkVmapOptions): { split: boolean; params: boolean; state: boolean } => {
  const o = options as { splitRng?: unknown; axes?: VmapAxes }
  if (o === undefined || (o.axes === undefined && typeof o.splitRng !== "boolean")) {
    throw err("Haiku requires the splitRng option of hk.vmap: pass { splitRng: false } to give every batch element the same keys, or { splitRng: true } to split one key per element (or axes: { rng: \"split\" | \"broadcast\", params?, state? }).")
  }
  if (o.axes === undefined) return { split: o.splitRng as boolean, params: false, state: false }
  if (o.splitRng !== undefined) throw err("pass either splitRng or axes, not both: axes.rng says how the rng is mapped.")
  const { params = null, state = null, rng } = o.axes
  for (const [k, v] of [["params", params], ["state", state]] as const) {
    if (v !== 0 && v !== null) throw err(`axes.${k} must be 0 (mapped over the leading axis) or null (shared), got ${JSON.stringify(v)}.`)
  }
  if (rng !== "split" && rng !== "broadcast") throw err(`axes.rng must be "split" or "broadcast", got ${JSON.stringify(rng)}.`)
  return { split: rng === "split", params: params === 0, state: state === 0 }
}

/** The type of `hk.vmap`: with options, the vectorised function; without, a compile error naming `splitRng`. */
export interface HkVmap {
  <F extends (...args: any[]) => any>(f: F, options: HkVmapOptions): (...args: Parameters<F>) => Effect.Effect<ValueOf<ReturnType<F>>, ErrorOf<ReturnType<F>>, ContextOf<ReturnType<F>>>
  /** Without options: does not compile, and the error says why (Haiku made `split_rng` required). */
  (f: {
    readonly __hkError: "hk.vmap needs its options: { splitRng: true } gives each batch element its own rng key, { splitRng: false } gives all elements the same keys (Haiku requires split_rng)."
  }): never
}

/**
 * Vectorise a Haiku-effectful function inside a transform. Say how the rng is mapped with
 * `splitRng` (params and state shared, as Haiku) or, to map params and state too, with
 * `axes: { params, state, rng }`.
 *
 * Haiku: `hk.vmap` (`axes` goes beyond it: dm-haiku #557).
 *
 * @example
 * const f = (x: Tensor) => Effect.gen(function* () {
 *   const net = yield* hk.nets.MLP([300, 100])
 *   return yield* hk.vmap(net, { splitRng: false })(x)
 * })
 * // four independently initialised MLPs, stacked params [4, ...], applied one per row of x:
 * const ens = (x: Tensor) => Effect.flatMap(hk.nets.MLP([8]), (net) => hk.vmap(net, { axes: { params: 0, rng: "split" } })(x))
 */
export const vmap: HkVmap = (<F extends (...args: any[]) => any>(f: F, options: HkVmapOptions) =>
  (...args: Parameters<F>): Effect.Effect<ValueOf<ReturnType<F>>, ErrorOf<ReturnType<F>>, ContextOf<ReturnType<F>>> =>
    Effect.withFiber((fiber) => {
      const mode = collectionsOf(options)
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
      const split = mode.split && outer !== null
      const keys = split ? (lax.concatenate(outer.take(axisSize).map((k) => lax.reshape(k, [1, 2])), 0) as Key) : null
      const pView = mode.params ? new MappedView(axisSize, "params") : null
      const sView = mode.state ? new MappedView(axisSize, "state") : null
      const mapped = pView !== null || sView !== null
      // extra trailing arguments: the split keys, then (when a collection is mapped) an index whose tracer gives the mapped views their trace
      const extra = [...(split ? [keys!] : []), ...(mapped ? [lax.iota("int32", [axisSize], 0)] : [])]
      const body = pureBody(
        snap,
        f,
        (a) => {
          const user = a.slice(0, a.length - extra.length)
          const rng = split ? new PRNGSequence(a[user.length] as Key) : (outer?.clone() ?? null)
          return [mappedFrame(snap, rng, pView, sView), user]
        },
        layout
      )
      // Shared params and state are lowered out of the vmap trace (a BatchTracer with no batch dim
      // holds the enclosing level's value; a batched one is an error); mapped ones are outputs at axis 0.
      let threaded: Threaded | null = null
      const pure = (...a: unknown[]) => {
        const level = currentLevel()
        if (mapped) {
          const index = a[a.length - 1] as BatchTracer
          pView && (pView.trace = index.trace)
          sView && (sView.trace = index.trace)
        }
        const [out, t] = body(...a)
        const lower = (x: Tensor): Tensor => {
          if (!(x instanceof BatchTracer) || x.trace.main.level !== level) return x
          if (x.batchDim !== null) throw new Error("outAxes null varies over the mapped axis")
          return x.val
        }
        threaded = { p: mode.params ? [] : t.p.map(lower), s: mode.state ? [] : t.s.map(lower), r: split ? [] : t.r.map(lower) }
        return mapped ? [out, { p: mode.params ? t.p : [], s: mode.state ? t.s : [] }] : out
      }
      return Effect.map(
        finishRaw(() => {
          try {
            const run = runVmap(pure, { inAxes: [...axesList, ...extra.map(() => 0)], outAxes: mapped ? [outAxes, 0] : outAxes, axisSize })
            return run(...args, ...extra)
          } catch (e) {
            if (e instanceof Error && e.message.includes("outAxes null varies over the mapped axis")) {
              throw err(
                split && !snap.outer.frozen && !mode.params
                  ? "hk.vmap does not support setting splitRng to true during initialization because it assumes parameters are always shared along the mapped dimension. Consider switching the value of `splitRng` to false during initialization through `splitRng: !(yield* hk.runningInit())`, or map the parameters: axes: { params: 0, rng: \"split\" }."
                  : "a parameter or state value set inside hk.vmap varies over the mapped axis, but hk.vmap shares params and state across the batch unless told otherwise. Reduce it over the batch before hk.setState, or map the collection: axes: { params: 0 } / { state: 0 }."
              )
            }
            throw e
          }
        }),
        (result) => {
          let out = result
          if (mapped) {
            const [o, m] = result as [unknown, { p: Tensor[]; s: Tensor[] }]
            out = o
            threaded = { p: mode.params ? m.p : threaded!.p, s: mode.state ? m.s : threaded!.s, r: threaded!.r }
          }
          writeBack(snap.outer, layout, threaded!, { rng: !split })
          return out as ValueOf<ReturnType<F>>
        }
      )
    })) as HkVmap

export { Tensor }
