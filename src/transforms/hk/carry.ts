/**
 * Haiku state as a loop carry, for the wrapped control flow. A carried body gets the current
 * state values and the rng sequence as traced inputs and returns them as outputs; parameters are
 * never carried (they are read as closed-over constants, so gradients w.r.t. them flow).
 *
 * Haiku: `stateful.py` (`internal_state(params=False)` as the carry of `hk.scan`,
 * `hk.fori_loop`, `hk.while_loop`; `reserve_up_to_full_rng_block`).
 */
import { Effect } from "effect"
import type { Tensor } from "../core/Tensor.js"
import { Frame, ParamStore, PRNGSequence, StateStore } from "../../effects/Frame.js"
import { frameContext, runIn, type ModuleScope } from "../../effects/services.js"
import { WrappedTransformError } from "../../effects/errors.js"
import { NewParametersError } from "./errors.js"
import { innerScope, mergeNames, runSyncIn, type Snapshot } from "./wrap.js"

/** The state and rng threaded through a carried body: `[stateCurrents, rngTensors]`. */
export type Carry = [Tensor[], Tensor[]]

/** What is carried: the state entries (names, fixed `initial`s) and how many rng subkeys the sequence holds. */
export interface CarryLayout {
  readonly keys: ReadonlyArray<readonly [string, string]>
  readonly initial: ReadonlyArray<Tensor>
  readonly hasRng: boolean
  readonly reserve: number
}

/** The carry layout and initial carry of the outer frame as it is now. */
export const carryOf = (outer: Frame): [CarryLayout, Carry] => {
  const entries = outer.state?.entries() ?? []
  const rng = outer.rng
  return [
    { keys: entries.map(([b, n]) => [b, n] as const), initial: entries.map((e) => e[2].initial), hasRng: rng !== null, reserve: rng?.subkeys.length ?? 0 },
    [entries.map((e) => e[2].current), rng?.tensors() ?? []]
  ]
}

/** One run of a carried body: the inner frame and the scope to run it in. */
export interface Step {
  readonly frame: Frame
  readonly scope: ModuleScope | null
}

/**
 * An inner frame whose state is the carried values and whose rng is the carried sequence;
 * parameters read through to the outer frame. Name counters start from the snapshot's.
 */
export const carriedStep = (snap: Snapshot, layout: CarryLayout, [state, rng]: Carry, handler: string): Step => {
  let store: StateStore | null = null
  if (snap.outer.state !== null) {
    store = new StateStore(null)
    layout.keys.forEach(([b, n], i) => store!.set(b, n, { initial: layout.initial[i]!, current: state[i]! }))
  }
  const seq = layout.hasRng ? PRNGSequence.fromTensors(rng) : null
  const frame = new Frame(snap.outer.frozen, new ParamStore(snap.outer.params), store, [seq], (snap.names ?? snap.outer.names).clone(), handler)
  return { frame, scope: innerScope(snap) }
}

/** Run `f(...args)` (a value or an Effect) in the step's frame, synchronously (a raw transform is tracing). */
export const runStep = (snap: Snapshot, step: Step, f: (...args: any[]) => unknown, args: ReadonlyArray<unknown>): unknown =>
  runSyncIn(snap, runIn(frameContext(step.frame, step.scope), f as any, args))

/** `f(...args)` in the current fiber (the outer frame): a value or an Effect, as an Effect. */
export const callHere = (f: (...args: any[]) => unknown, args: ReadonlyArray<unknown>): Effect.Effect<any, any, never> =>
  Effect.suspend(() => {
    const out = f(...args)
    return (Effect.isEffect(out) ? out : Effect.succeed(out)) as Effect.Effect<any, any, never>
  })

/** The rng sequence topped up to `reserve` subkeys (Haiku's `reserve_up_to_full_rng_block`), so the carry keeps its shape. */
const rngOut = (seq: PRNGSequence | null, layout: CarryLayout, api: string): Tensor[] => {
  if (!layout.hasRng || seq === null) return []
  if (seq.subkeys.length < layout.reserve) seq.reserve(layout.reserve - seq.subkeys.length)
  if (seq.subkeys.length > layout.reserve) {
    throw new WrappedTransformError({
      transform: api,
      message: `${api}: the body reserved rng keys (hk.reserveRngKeys), which would change the shape of the rng carry between steps. Reserve the keys before ${api}, or draw them with hk.nextRngKeys(n) inside the body.`
    })
  }
  return seq.tensors()
}

/** The carry after a step: the current value of every carried state entry, and the rng topped up. */
export const carryValues = (step: Step, layout: CarryLayout, api: string): Carry => [
  layout.keys.map(([b, n]) => step.frame.state!.get(b, n)!.current),
  rngOut(step.frame.rng, layout, api)
]

/**
 * The carry after a loop step. Dies if the body created parameters (`NewParametersError`) or
 * created state that did not exist before the loop (the carry's structure would change).
 */
export const carryOut = (step: Step, layout: CarryLayout, api: string): Carry => {
  const created = step.frame.params.ownEntries()
  if (created.length > 0) throw NewParametersError.make(api, created.map(([b, n]) => `${b}/${n}`))
  const store = step.frame.state
  if (store !== null && store.ownEntries().length > layout.keys.length) {
    const known = new Set(layout.keys.map(([b, n]) => `${b}/${n}`))
    const fresh = store.ownEntries().map(([b, n]) => `${b}/${n}`).filter((k) => !known.has(k))
    throw new WrappedTransformError({
      transform: api,
      message: `${api}: the body created state [${fresh.join(", ")}] that did not exist before the loop, so the loop carry would change structure between steps. Create the state before ${api} (hk.getState with an init), or during init, where the first step is unrolled.`
    })
  }
  return carryValues(step, layout, api)
}

/** Write a final carry back into the outer frame (state `current`, rng) and adopt the body's module names. */
export const writeCarry = (snap: Snapshot, layout: CarryLayout, [state, rng]: Carry, names: ReadonlyArray<Step>): void => {
  const outer = snap.outer
  layout.keys.forEach(([b, n], i) => outer.state!.setCurrent(b, n, state[i]!))
  if (layout.hasRng && outer.rng !== null) {
    const seq = PRNGSequence.fromTensors(rng)
    outer.rng.key = seq.key
    outer.rng.subkeys = seq.subkeys
  }
  adoptNames(snap, names)
}

/**
 * Module names reserved by traced bodies count as reserved outside (as if the body ran once), so
 * a module created after the loop gets the same name in init and apply.
 */
export const adoptNames = (snap: Snapshot, steps: ReadonlyArray<Step>): void => {
  for (const s of steps) {
    mergeNames(snap.outer.names, s.frame.names)
    if (snap.scope !== null && s.scope !== null) mergeNames(snap.scope.names, s.scope.names)
  }
}
