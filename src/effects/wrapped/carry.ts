/**
 * Haiku state as a loop carry, for the wrapped control flow. A carried body gets the state
 * values it changes and the rng sequence (if it draws keys) as traced inputs and returns them as
 * outputs; everything else it reads — parameters above all — is a closed-over constant (so
 * gradients w.r.t. the params flow). Which state and rng a loop body changes is found by one
 * abstract run of the body (`narrow`, no kernels): carrying less keeps unchanged values
 * unbatched under `hk.vmap`.
 *
 * Haiku: `stateful.py` (`internal_state(params=False)` as the carry of `hk.scan`,
 * `hk.fori_loop`, `hk.while_loop`; `reserve_up_to_full_rng_block`).
 */
import { Effect } from "effect"
import type { Tensor } from "../../transforms/core/Tensor.js"
import { evalShape as rawEvalShape } from "../../transforms/raw/jit.js"
import { Frame, ParamStore, PRNGSequence, StateStore, type StatePair } from "../Frame.js"
import { frameContext, runIn, type ModuleScope } from "../services.js"
import { WrappedTransformError } from "../errors.js"
import { NewParametersError } from "./errors.js"
import { finishRaw, innerScope, mergeNames, runSyncIn, type Snapshot } from "./wrap.js"

/** The state and rng threaded through a carried body: `[carriedStateCurrents, rngTensors]`. */
export type Carry = [Tensor[], Tensor[]]

/** What the body sees and what is carried. */
export interface CarryLayout {
  /** Every state entry of the outer frame when the loop starts. */
  readonly entries: ReadonlyArray<readonly [string, string, StatePair]>
  /** Indices (into `entries`) of the entries carried; the others are constants. */
  readonly carried: ReadonlyArray<number>
  /** Whether the rng sequence is carried (else the body sees a constant copy and must not draw). */
  readonly hasRng: boolean
  /** The outer rng sequence when the loop starts. */
  readonly rng: PRNGSequence | null
}

const keyOf = (b: string, n: string) => `${b}/${n}`
const rawShape = rawEvalShape as unknown as (f: (...a: any[]) => unknown, ...args: unknown[]) => unknown

/** The carry of the given layout, from the values at the loop's start. */
const initialCarry = (l: CarryLayout): Carry => [l.carried.map((i) => l.entries[i]![2].current), l.hasRng ? l.rng!.tensors() : []]

/** The full layout (all state, and the rng if any) and its initial carry, from the outer frame as it is now. */
export const carryOf = (outer: Frame): [CarryLayout, Carry] => {
  const entries = outer.state?.entries() ?? []
  const layout: CarryLayout = { entries, carried: entries.map((_, i) => i), hasRng: outer.rng !== null, rng: outer.rng?.clone() ?? null }
  return [layout, initialCarry(layout)]
}

/** One run of a carried body: the inner frame and the scope to run it in. */
export interface Step {
  readonly frame: Frame
  readonly scope: ModuleScope | null
}

/**
 * An inner frame whose state holds the carried values (the rest as constants) and whose rng is
 * the carried sequence; parameters read through to the outer frame; name counters start from
 * the snapshot's.
 */
export const carriedStep = (snap: Snapshot, layout: CarryLayout, [state, rng]: Carry, handler: string): Step => {
  let store: StateStore | null = null
  if (snap.outer.state !== null) {
    store = new StateStore(null)
    for (const [b, n, pair] of layout.entries) store.set(b, n, pair)
    layout.carried.forEach((i, j) => {
      const [b, n, pair] = layout.entries[i]!
      store!.set(b, n, { initial: pair.initial, current: state[j]! })
    })
  }
  const seq = layout.hasRng ? PRNGSequence.fromTensors(rng) : (layout.rng?.clone() ?? null)
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

/** Which entries (indices into `layout.entries`) the step changed, and whether it drew from the rng. */
const changes = (step: Step, layout: CarryLayout, [state, rng]: Carry): { state: number[]; rng: boolean } => {
  const store = step.frame.state
  const carriedAt = new Map(layout.carried.map((i, j) => [i, j]))
  const stateChanged = layout.entries.flatMap(([b, n, pair], i) => {
    const before = carriedAt.has(i) ? state[carriedAt.get(i)!] : pair.current
    return store !== null && store.get(b, n)!.current !== before ? [i] : []
  })
  const seq = step.frame.rng
  const start = layout.hasRng ? rng : (layout.rng?.tensors() ?? [])
  const rngChanged = seq !== null && (seq.key !== start[0] || seq.subkeys.length !== start.length - 1 || seq.subkeys.some((k, i) => k !== start[i + 1]))
  return { state: stateChanged, rng: rngChanged }
}

/** Did the step change anything at all: state (set or created), the rng, or parameters (created)? */
export const stepChanged = (step: Step, layout: CarryLayout, hs: Carry): boolean => {
  const c = changes(step, layout, hs)
  const created = (step.frame.state?.ownEntries().length ?? 0) > layout.entries.length
  return c.state.length > 0 || c.rng || created || step.frame.params.ownEntries().length > 0
}

/**
 * The layout narrowed to what the `calls` (runs of a loop body, or of each branch, in a step)
 * change, found by running each once abstractly on the full carry (for loop bodies this also
 * checks that they create no parameters or state). `args` are the body's other arguments (tensors or
 * `{ shape, dtype }`).
 */
export const narrow = (
  snap: Snapshot,
  layout: CarryLayout,
  calls: ReadonlyArray<(step: Step, args: unknown[]) => void>,
  args: unknown[],
  api: string,
  options: { allowCreation?: boolean } = {}
): Effect.Effect<[CarryLayout, Carry], any, never> => {
  const state = new Set<number>()
  let rng = false
  const probe = (call: (step: Step, args: unknown[]) => void) => (hs: Carry, ...a: unknown[]) => {
    const step = carriedStep(snap, layout, hs, api)
    call(step, a)
    if (!options.allowCreation) checkNoCreation(step, layout, api)
    const c = changes(step, layout, hs)
    c.state.forEach((i) => state.add(i))
    rng ||= c.rng
    return null
  }
  return Effect.map(
    Effect.forEach(calls, (call) => finishRaw(() => rawShape(probe(call), initialCarry(layout), ...args))),
    () => {
      const found: CarryLayout = { ...layout, carried: [...state].sort((a, b) => a - b), hasRng: layout.hasRng && rng }
      return [found, initialCarry(found)] as [CarryLayout, Carry]
    }
  )
}

/** The rng sequence topped up to its starting number of subkeys (Haiku's `reserve_up_to_full_rng_block`), so the carry keeps its shape. */
const rngOut = (seq: PRNGSequence | null, layout: CarryLayout, api: string): Tensor[] => {
  if (!layout.hasRng || seq === null) return []
  const reserve = layout.rng?.subkeys.length ?? 0
  if (seq.subkeys.length < reserve) seq.reserve(reserve - seq.subkeys.length)
  if (seq.subkeys.length > reserve) {
    throw new WrappedTransformError({
      transform: api,
      message: `${api}: the body reserved rng keys (hk.reserveRngKeys), which would change the shape of the rng carry between steps. Reserve the keys before ${api}, or draw them with hk.nextRngKeys(n) inside the body.`
    })
  }
  return seq.tensors()
}

/** The carry after a step (carried state currents, the rng topped up). Dies if the step changed something not carried. */
export const carryValues = (step: Step, layout: CarryLayout, hs: Carry, api: string): Carry => {
  const c = changes(step, layout, hs)
  const carried = new Set(layout.carried)
  const stray = c.state.filter((i) => !carried.has(i))
  if (stray.length > 0 || (c.rng && !layout.hasRng)) {
    const what = [...stray.map((i) => keyOf(layout.entries[i]![0], layout.entries[i]![1])), ...(c.rng && !layout.hasRng ? ["the rng"] : [])]
    throw new WrappedTransformError({
      transform: api,
      message: `${api}: the body changed ${what.join(", ")} when traced, but not when probed, so it behaves differently on each run (it depends on JS state outside Haiku's). Make the body a function of its arguments and Haiku state only.`
    })
  }
  const store = step.frame.state
  return [layout.carried.map((i) => store!.get(layout.entries[i]![0], layout.entries[i]![1])!.current), rngOut(step.frame.rng, layout, api)]
}

/**
 * Dies if a loop step created parameters (`NewParametersError`) or created state that did not
 * exist before the loop (the carry's structure would change).
 */
const checkNoCreation = (step: Step, layout: CarryLayout, api: string): void => {
  const created = step.frame.params.ownEntries()
  if (created.length > 0) throw NewParametersError.make(api, created.map(([b, n]) => keyOf(b, n)))
  const store = step.frame.state
  if (store !== null && store.ownEntries().length > layout.entries.length) {
    const known = new Set(layout.entries.map(([b, n]) => keyOf(b, n)))
    const fresh = store.ownEntries().map(([b, n]) => keyOf(b, n)).filter((k) => !known.has(k))
    throw new WrappedTransformError({
      transform: api,
      message: `${api}: the body created state [${fresh.join(", ")}] that did not exist before the loop, so the loop carry would change structure between steps. Create the state before ${api} (hk.getState with an init), or during init, where the first step is unrolled.`
    })
  }
}

/** The carry after a loop step; dies if the step created parameters or state (see `checkNoCreation`). */
export const carryOut = (step: Step, layout: CarryLayout, hs: Carry, api: string): Carry => {
  checkNoCreation(step, layout, api)
  return carryValues(step, layout, hs, api)
}

/** Write a final carry back into the outer frame (state `current`, rng) and adopt the body's module names. */
export const writeCarry = (snap: Snapshot, layout: CarryLayout, [state, rng]: Carry, steps: ReadonlyArray<Step>): void => {
  const outer = snap.outer
  layout.carried.forEach((i, j) => outer.state!.setCurrent(layout.entries[i]![0], layout.entries[i]![1], state[j]!))
  if (layout.hasRng && outer.rng !== null) {
    const seq = PRNGSequence.fromTensors(rng)
    outer.rng.key = seq.key
    outer.rng.subkeys = seq.subkeys
  }
  adoptNames(snap, steps)
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
