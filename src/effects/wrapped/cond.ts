/**
 * `hk.cond` and `hk.switch`: `jax.lax.cond` / `jax.lax.switch` over Haiku-effectful branches.
 *
 * - **state / rng**: every branch receives the current state and rng sequence and returns the
 *   parts any branch changes (found by one abstract run of each branch), so the taken branch's
 *   updates win.
 * - **params**: read as constants. During init, parameters (and state) created by a branch are
 *   outputs of the cond too, so every branch must create the same ones (`BranchStructureError`
 *   otherwise, suggesting `hk.runningInit()`).
 * - **names**: each branch resolves module names from the same counters; afterwards the names
 *   any branch reserved count as reserved.
 */
import { Effect } from "effect"
import type { Tensor } from "../../transforms/core/Tensor.js"
import { cond as rawCond, switchCase as rawSwitch } from "../../transforms/raw/control.js"
import type { Params } from "../services.js"
import type { ContextOf, ErrorOf, ValueOf } from "../transform.js"
import { BranchStructureError } from "./errors.js"
import { adoptNames, carriedStep, carryOf, carryValues, narrow, runStep, type Carry, type CarryLayout, type Step } from "./carry.js"
import { finishRaw, freezeNames, snapshot, type Snapshot } from "./wrap.js"

type Fn = (...args: any[]) => any
type RawSwitch = (index: Tensor | number, branches: ReadonlyArray<(...a: any[]) => unknown>, ...operands: unknown[]) => unknown
type RawCond = (pred: Tensor | boolean, t: (...a: any[]) => unknown, f: (...a: any[]) => unknown, ...operands: unknown[]) => unknown
const runSwitch = rawSwitch as unknown as RawSwitch
const runCond = rawCond as unknown as RawCond

/** What a branch returns besides its output: the carry, plus the params and state it created (init only). */
interface BranchOut {
  readonly carry: Carry
  readonly newParams: Tensor[]
  readonly newState: Tensor[]
}

interface Created {
  readonly params: Array<readonly [string, string]>
  readonly state: Array<readonly [string, string]>
}

const key = ([b, n]: readonly [string, string, ...unknown[]]) => `${b}/${n}`
const byKey = <T extends readonly [string, string, ...unknown[]]>(a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0)

/** Run one branch in its own carried step; split what it created from the carry. */
const runBranch = (snap: Snapshot, layout: CarryLayout, carry0: Carry, f: Fn, args: unknown[], api: string, steps: Step[]): [unknown, BranchOut, Created] => {
  const step = carriedStep(snap, layout, carry0, api)
  steps.push(step)
  const out = runStep(snap, step, f, args)
  const params = step.frame.params.ownEntries().sort(byKey)
  const known = new Set(layout.entries.map(key))
  const fresh = (step.frame.state?.ownEntries() ?? []).filter((e) => !known.has(key(e))).sort(byKey)
  return [
    out,
    { carry: carryValues(step, layout, carry0, api), newParams: params.map((e) => e[2]), newState: fresh.flatMap(([, , p]) => [p.initial, p.current]) },
    { params: params.map(([b, n]) => [b, n] as const), state: fresh.map(([b, n]) => [b, n] as const) }
  ]
}

const sameCreated = (a: Created, b: Created) =>
  a.params.length === b.params.length && a.state.length === b.state.length && a.params.every((p, i) => key(p) === key(b.params[i]!)) && a.state.every((p, i) => key(p) === key(b.state[i]!))

/** Shared by `hk.cond` and `hk.switch`: `run(wrapped branches)` calls the raw transform. */
const branched = (
  api: string,
  jaxName: string,
  names: ReadonlyArray<string>,
  branches: ReadonlyArray<Fn>,
  operands: unknown[],
  run: (wrapped: Array<(...ops: unknown[]) => unknown>) => unknown
) =>
  Effect.withFiber((fiber) => {
    const snap = freezeNames(snapshot(fiber, api, jaxName))
    const probes = branches.map((f) => (step: Step, ops: unknown[]) => void runStep(snap, step, f, ops))
    return Effect.flatMap(narrow(snap, carryOf(snap.outer)[0], probes, operands, api, { allowCreation: true }), ([layout, carry0]) => {
      const steps: Step[] = []
      const created: Array<Created | null> = branches.map(() => null)
      const wrapped = branches.map((f, k) => (...ops: unknown[]) => {
        const [out, threaded, made] = runBranch(snap, layout, carry0, f, ops, api, steps)
        created[k] = made
        const first = created.find((c) => c !== null)!
        if (!sameCreated(first, made)) {
          const report: Record<string, string[]> = {}
          created.forEach((c, j) => {
            if (c !== null) report[names[j]!] = [...c.params, ...c.state].map(key)
          })
          throw BranchStructureError.make(api, report)
        }
        return [out, threaded]
      })
      return Effect.map(finishRaw(() => run(wrapped) as [unknown, BranchOut]), ([out, t]) => {
        const made = created.find((c) => c !== null)!
        const outer = snap.outer
        made.params.forEach(([b, n], i) => outer.params.set(b, n, t.newParams[i]!))
        made.state.forEach(([b, n], i) => outer.state!.set(b, n, { initial: t.newState[2 * i]!, current: t.newState[2 * i + 1]! }))
        layout.carried.forEach((i, j) => outer.state!.setCurrent(layout.entries[i]![0], layout.entries[i]![1], t.carry[0][j]!))
        if (layout.hasRng && outer.rng !== null) {
          const [k, ...subs] = t.carry[1]
          outer.rng.key = k as typeof outer.rng.key
          outer.rng.subkeys = subs as typeof outer.rng.subkeys
        }
        adoptNames(snap, steps)
        return out
      })
    })
  })

/**
 * `trueFn(...operands)` if `pred`, else `falseFn(...operands)`, with Haiku-effectful branches.
 * Each branch receives and returns the Haiku state; both must return the same types and, during
 * init, create the same parameters.
 *
 * Haiku: `hk.cond`.
 *
 * @example
 * declare const lin: (x: Tensor) => Effect.Effect<Tensor, never, hk.Params | hk.Rng>
 * const out = yield* hk.cond(jnp.greater(jnp.sum(x), 0), (x: Tensor) => lin(x), (x: Tensor) => Effect.succeed(x), x)
 */
export const cond = <T extends Fn, F extends Fn>(
  pred: Tensor | boolean,
  trueFn: T,
  falseFn: F,
  ...operands: Parameters<T>
): Effect.Effect<ValueOf<ReturnType<T>>, ErrorOf<ReturnType<T>> | ErrorOf<ReturnType<F>>, ContextOf<ReturnType<T>> | ContextOf<ReturnType<F>> | Params> =>
  branched("hk.cond", "jax.lax.cond", ["falseFn", "trueFn"], [falseFn, trueFn], operands, ([f, t]) => runCond(pred, t!, f!, ...operands)) as any

/**
 * Run `branches[index](...operands)` (index clamped into range) with Haiku-effectful branches;
 * each receives and returns the Haiku state.
 *
 * Haiku: `hk.switch`.
 *
 * @example
 * declare const i: Tensor, a: (x: Tensor) => Effect.Effect<Tensor, never, hk.Params | hk.Rng>, b: typeof a
 * const out = yield* hk.switch(i, [(x: Tensor) => a(x), (x: Tensor) => b(x)], x)
 */
export const switch_ = <F extends Fn>(
  index: Tensor | number,
  branches: ReadonlyArray<F>,
  ...operands: Parameters<F>
): Effect.Effect<ValueOf<ReturnType<F>>, ErrorOf<ReturnType<F>>, ContextOf<ReturnType<F>> | Params> =>
  branched("hk.switch", "jax.lax.switch", branches.map((_, i) => `branch ${i}`), branches, operands, (ws) => runSwitch(index, ws, ...operands)) as any

export { switch_ as switch }
