/**
 * `hk.lift`, `hk.transparentLift`, `hk.liftWithState`, `hk.unregistered`: nest an inner
 * transform's `init` inside an outer transform, registering the inner parameters (and state)
 * in the outer tree under a prefix.
 */
import { Effect } from "effect"
import { buildTree, treeEntries, type Frame, type ParamTree, type StateTree } from "../../effects/Frame.js"
import { CurrentModuleScope, Naming, NestedInitAllowed, Params, State, frameOf } from "../../effects/services.js"
import { uniqueName } from "../../effects/module.js"
import { LiftKeyCollisionError, NonEmptyStateError } from "../../effects/errors.js"

/** Options of `hk.lift`. */
export interface LiftOptions {
  /** The name of the lifting module (uniquified like a module name; default `"lifted"`). */
  readonly name?: string
  /** Allow lifted bundles to merge into existing outer bundles (e.g. a lift run twice). Default false. */
  readonly allowReuse?: boolean
}

const prefixed = (prefix: string, bundle: string) => (prefix === "" ? bundle : `${prefix}/${bundle}`)

const register = (frame: Frame, prefix: string, inner: ParamTree, allowReuse: boolean): void => {
  if (Array.isArray(inner)) throw new NonEmptyStateError({ message: "For stateful lifted functions use `hk.liftWithState`: the lifted init returned [params, state]." })
  const entries = treeEntries(inner)
  if (!allowReuse) {
    for (const b of new Set(entries.map((e) => e[0]))) if (frame.params.hasBundle(prefixed(prefix, b))) throw LiftKeyCollisionError.make(prefixed(prefix, b))
  }
  for (const [b, n, v] of entries) frame.params.set(prefixed(prefix, b), n, v)
}

/** The outer bundles under `prefix`, prefix stripped (everything when the prefix is empty). */
const readBack = <T extends { entries(): Array<[string, string, any]> }>(store: T, prefix: string, pick: (v: any) => any = (v) => v): ParamTree =>
  buildTree(
    store
      .entries()
      .filter(([b]) => prefix === "" || b.startsWith(`${prefix}/`))
      .map(([b, n, v]) => [prefix === "" ? b : b.slice(prefix.length + 1), n, pick(v)] as const)
  )

const liftImpl =
  <Args extends any[], E, R>(init: (...args: Args) => Effect.Effect<ParamTree, E, R>, options: LiftOptions, transparent: boolean, api: string) =>
  (...args: Args): Effect.Effect<ParamTree, E, R | Params | Naming> =>
    Effect.withFiber((fiber) => {
      const frame = frameOf(fiber, Params, api)
      const scope = fiber.getRef(CurrentModuleScope)
      const prefix = transparent ? (scope?.moduleName ?? "") : uniqueName(frameOf(fiber, Naming, api), scope, options.name ?? "lifted")
      if (frame.frozen) return Effect.succeed(readBack(frame.params, prefix))
      return Effect.map(Effect.provideService(init(...args), NestedInitAllowed, true), (inner) => {
        register(frame, prefix, inner, options.allowReuse ?? false)
        return inner
      })
    })

/**
 * Registers the parameters of an inner `init` in the outer transform under `name/`. In the outer
 * init it runs `init` and stores each inner bundle `m` as `name/m`; in the outer apply it does
 * not run `init` and returns the stored bundles, prefix stripped. Feed the result to the inner
 * (pure) `apply`, which any raw `jax.*` transform accepts.
 *
 * Haiku: `hk.lift`.
 *
 * @example
 * const f = (x: Tensor) => Effect.gen(function* () {
 *   const inner = hk.transform(net)
 *   const params = yield* hk.lift(inner.init, { name: "inner" })(yield* hk.nextRngKey(), x)
 *   return yield* jax.vmap(inner.apply, { inAxes: [null, null, 0] })(params, null, x)
 * })
 */
export const lift = <Args extends any[], E, R>(init: (...args: Args) => Effect.Effect<ParamTree, E, R>, options: LiftOptions = {}) =>
  liftImpl(init, options, false, "hk.lift")

/**
 * Like {@link lift} without an extra name level: inner bundles are registered under the
 * current module (or at the top level as they are).
 *
 * Haiku: `hk.transparent_lift`.
 *
 * @example
 * hk.transparentLift(hk.transform(net).init)(key, x) // registers "mlp/~/linear_0", not "lifted/mlp/~/linear_0"
 */
export const transparentLift = <Args extends any[], E, R>(init: (...args: Args) => Effect.Effect<ParamTree, E, R>, options: Omit<LiftOptions, "name"> = {}) =>
  liftImpl(init, options, true, "hk.transparentLift")

/**
 * The explicit escape hatch for running an inner `init` inside an outer transform without
 * registering its parameters (they are discarded, and re-created on every outer run).
 *
 * @example
 * const throwaway = yield* hk.unregistered(inner.init)(key, x)
 */
export const unregistered =
  <Args extends any[], A, E, R>(init: (...args: Args) => Effect.Effect<A, E, R>) =>
  (...args: Args): Effect.Effect<A, E, R> =>
    Effect.provideService(Effect.suspend(() => init(...args)), NestedInitAllowed, true)

/**
 * The body of a {@link liftWithState} call: gets the lifted params and state, returns the
 * output and the new state (`null` keeps the state unchanged, Haiku's `ignore_update`).
 */
export type LiftedBody<A, E, R> = (params: ParamTree, state: StateTree) => Effect.Effect<readonly [A, StateTree | null], E, R>

/**
 * Lifts a stateful inner init. The state update is structural: the body receives the lifted
 * params and state and returns `[out, newState]`, which is written back exactly once, under the
 * same (uniquified) prefix the params use.
 *
 * Haiku: `hk.lift_with_state` (its `LiftWithStateUpdater` must be used exactly once; here that
 * is the shape of the call).
 *
 * @example
 * const inner = hk.transformWithState(counterNet)
 * const lifted = hk.liftWithState(inner.init, { name: "inner" })
 * const out = yield* lifted([key, x], (params, state) => inner.apply(params, state, null, x))
 */
export const liftWithState =
  <Args extends any[], E, R>(init: (...args: Args) => Effect.Effect<readonly [ParamTree, StateTree], E, R>, options: LiftOptions = {}) =>
  <A, E2, R2>(args: Args, body: LiftedBody<A, E2, R2>): Effect.Effect<A, E | E2, R | R2 | Params | State | Naming> =>
    Effect.withFiber((fiber) => {
      const frame = frameOf(fiber, Params, "hk.liftWithState")
      frameOf(fiber, State, "hk.liftWithState")
      const state = frame.state
      if (state === null) throw new NonEmptyStateError({ message: "hk.liftWithState must be used inside hk.transformWithState: the outer transform has nowhere to keep the lifted state." })
      const prefix = uniqueName(frame, fiber.getRef(CurrentModuleScope), options.name ?? "lifted")
      const allowReuse = options.allowReuse ?? false
      const writeState = (s: StateTree | null) => {
        if (s !== null) for (const [b, n, v] of treeEntries(s)) state.setCurrent(prefixed(prefix, b), n, v)
      }
      const run = (p: ParamTree, s: StateTree) =>
        Effect.map(body(p, s), ([out, s2]) => {
          writeState(s2)
          return out
        })
      if (frame.frozen) return run(readBack(frame.params, prefix), readBack(state, prefix, (pair) => pair.current))
      return Effect.flatMap(Effect.provideService(init(...args), NestedInitAllowed, true), ([p, s]) => {
        register(frame, prefix, p, allowReuse)
        const entries = treeEntries(s)
        if (!allowReuse) {
          for (const [b, n] of entries) if (state.get(prefixed(prefix, b), n) !== undefined) throw LiftKeyCollisionError.make(prefixed(prefix, b))
        }
        for (const [b, n, v] of entries) state.set(prefixed(prefix, b), n, { initial: v, current: v })
        return run(p, s)
      })
    })
