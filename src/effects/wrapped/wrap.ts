/**
 * The one recipe every `hk.*` wrapper follows: snapshot the outer frame, run a pure closure
 * `(args) => [out, threaded]` under the raw transform (the closure builds an inner frame over
 * the snapshot and returns every value it created or changed as an output, so nothing leaks),
 * then write the difference back into the outer frame.
 *
 * Haiku: `haiku._src.stateful` (`temporary_internal_state`, `difference`, `update_internal_state`).
 */
import { Cause, Effect, Exit, type Fiber } from "effect"
import type { Tensor } from "../../transforms/core/Tensor.js"
import { AsyncBodyError } from "../../transforms/core/errors.js"
import { EffectBodyFailure } from "../../transforms/raw/effectful.js"
import { Frame, NameTable, ParamStore, PRNGSequence, StateStore } from "../Frame.js"
import { CurrentModuleScope, Params, frameContext, frameOf, runIn, type ModuleScope } from "../services.js"
import { HaikuContextError } from "../errors.js"

/** What a body created or changed, as flat tensor lists (a pytree the raw transforms carry). */
export interface Threaded {
  /** New parameters (init only). */
  readonly p: Tensor[]
  /** State pairs, `[initial, current]` per entry. */
  readonly s: Tensor[]
  /** The rng sequence after the body: `[key, ...subkeys]` (empty if there is none). */
  readonly r: Tensor[]
}

/** The names behind a {@link Threaded} value, recorded while the body is traced. */
export interface Layout {
  params: Array<readonly [string, string]>
  state: Array<readonly [string, string]>
  hasRng: boolean
}

/** The outer frame and scope a wrapper runs in. */
export interface Snapshot {
  readonly outer: Frame
  readonly scope: ModuleScope | null
  readonly fiber: Fiber.Fiber<unknown, unknown>
  /** Module-name counters to start inner frames from (default: the outer frame's, as they are when the inner frame is built). */
  readonly names?: NameTable
  /** Likewise for the current module scope's counters. */
  readonly scopeNames?: NameTable
  /** The wrapper (`hk.vmap`, …), for messages. */
  readonly api?: string
}

/** Take the snapshot for wrapper `api` (dies outside a transform, as Haiku's ValueError). */
export const snapshot = (fiber: Fiber.Fiber<unknown, unknown>, api: string, jaxName: string): Snapshot => {
  try {
    return { outer: frameOf(fiber, Params, api), scope: fiber.getRef(CurrentModuleScope), fiber, api }
  } catch (e) {
    if (e instanceof HaikuContextError) {
      throw new HaikuContextError({ api, message: `${api}() should not be used outside of hk.transform(). Use ${jaxName}() instead: outside a transform there is no Haiku state to thread.` })
    }
    throw e
  }
}

/**
 * An inner frame over the snapshot: parameters and state read through to the outer frame and
 * are recorded when created or set; the rng is `rng`; module-name counters are copied (Haiku's
 * `share_python_state=False`), so names resolved inside match those outside.
 */
export const innerFrame = (snap: Snapshot, rng: PRNGSequence | null, handler: string, options: { frozen?: boolean } = {}): Frame =>
  new Frame(
    options.frozen ?? snap.outer.frozen,
    new ParamStore(snap.outer.params),
    snap.outer.state === null ? null : new StateStore(snap.outer.state),
    [rng],
    (snap.names ?? snap.outer.names).clone(),
    handler
  )

/**
 * The snapshot with the module-name counters (top level and current scope) frozen as they are
 * now, so bodies traced later resolve the same names as a first step run now (Haiku's
 * `share_python_state=False`, taken before `hk.scan`'s unrolled first step).
 */
export const freezeNames = (snap: Snapshot): Snapshot => ({ ...snap, names: snap.outer.names.clone(), ...(snap.scope === null ? {} : { scopeNames: snap.scope.names.clone() }) })

/** Merge `source`'s counters and used names into `target` (max counter, union of names). */
export const mergeNames = (target: NameTable, source: NameTable): void => {
  for (const [k, v] of source.counters) target.counters.set(k, Math.max(target.counters.get(k) ?? 0, v))
  for (const n of source.used) target.used.add(n)
}

/** The scope an inner body runs in: the snapshot's, with its own copy of the name counters. */
export const innerScope = (snap: Snapshot): ModuleScope | null => (snap.scope === null ? null : { ...snap.scope, names: (snap.scopeNames ?? snap.scope.names).clone() })

/** Collect what `inner` created or changed, recording the names in `layout`. */
export const collect = (inner: Frame, layout: Layout): Threaded => {
  const params = inner.params.ownEntries()
  const state = inner.state?.ownEntries() ?? []
  layout.params = params.map(([b, n]) => [b, n] as const)
  layout.state = state.map(([b, n]) => [b, n] as const)
  layout.hasRng = inner.rng !== null
  return { p: params.map((e) => e[2]), s: state.flatMap(([, , pair]) => [pair.initial, pair.current]), r: inner.rng?.tensors() ?? [] }
}

/** Run an Effect synchronously in the snapshot's fiber context (the raw transform is tracing). */
export const runSyncIn = <A>(snap: Snapshot, effect: Effect.Effect<A, unknown, unknown>): A => {
  const exit = Effect.runSyncExitWith(snap.fiber.context as any)(effect as Effect.Effect<A, unknown, never>)
  if (Exit.isSuccess(exit)) return exit.value
  if (Cause.hasFails(exit.cause)) throw new EffectBodyFailure(exit.cause)
  const defect = Cause.squash(exit.cause)
  if (Cause.isAsyncFiberError(defect)) throw AsyncBodyError.make(snap.api ?? "the hk.* transform")
  throw defect
}

/**
 * The pure closure: run `f(...args)` in `inner` (built fresh on every call) and return
 * `[out, threaded]`. Raw transforms may call it once (tracing) or per element.
 */
export const pureBody =
  (snap: Snapshot, f: (...args: any[]) => unknown, makeInner: (args: unknown[]) => [Frame, unknown[]], layout: Layout) =>
  (...args: unknown[]): [unknown, Threaded] => {
    const [inner, userArgs] = makeInner(args)
    const out = runSyncIn(snap, runIn(frameContext(inner, innerScope(snap)), f as any, userArgs))
    return [out, collect(inner, layout)]
  }

/** Write the threaded values back into the outer frame: new params, state `current` (keeping `initial`), and optionally the rng. */
export const writeBack = (outer: Frame, layout: Layout, t: Threaded, options: { params?: boolean; state?: boolean; rng?: boolean }): void => {
  if (options.params !== false) layout.params.forEach(([b, n], i) => outer.params.set(b, n, t.p[i]!))
  if (options.state !== false && outer.state !== null) {
    layout.state.forEach(([b, n], i) => {
      const prev = outer.state!.get(b, n)
      outer.state!.set(b, n, { initial: prev ? prev.initial : t.s[2 * i]!, current: t.s[2 * i + 1]! })
    })
  }
  if (options.rng && layout.hasRng && outer.rng !== null) {
    const seq = PRNGSequence.fromTensors(t.r)
    outer.rng.key = seq.key
    outer.rng.subkeys = seq.subkeys
  }
}

/** Run a raw-transform thunk; a typed failure of the body becomes this Effect's failure. */
export const finishRaw = <A>(thunk: () => A): Effect.Effect<A, any, never> => {
  try {
    const out = thunk()
    // a raw transform reports a typed failure of an Effect body as a failed Effect
    return Effect.isEffect(out) ? (out as Effect.Effect<A, any, never>) : Effect.succeed(out)
  } catch (e) {
    if (e instanceof EffectBodyFailure) return Effect.failCause(e.cause as Cause.Cause<any>)
    throw e
  }
}

/** An empty layout to be filled while tracing. */
export const newLayout = (): Layout => ({ params: [], state: [], hasRng: false })
