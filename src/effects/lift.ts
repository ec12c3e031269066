/**
 * `hk.lift`, `hk.transparentLift`, `hk.liftWithState`, `hk.unregistered`: nest an inner
 * transform's `init` inside an outer transform, registering the inner parameters (and state)
 * in the outer tree under a prefix.
 */
import { type Context, Effect } from "effect"
import { buildTree, treeEntries, type Frame, type ParamTree, type StateTree } from "./Frame.js"
import { CurrentModuleScope, Naming, NestedInitAllowed, Params, State, frameOf } from "./services.js"
import { uniqueName } from "./module.js"
import { LiftKeyCollisionError, NonEmptyStateError } from "./errors.js"
import { LiftPrefix } from "./interceptors.js"

/** Options of `hk.lift`. */
export interface LiftOptions {
  /** The name of the lifting module (uniquified like a module name; default `"lifted"`). */
  readonly name?: string
  /** Allow lifted bundles to merge into existing outer bundles (e.g. a lift run twice). Default false. */
  readonly allowReuse?: boolean
}

type InitFn = (...args: any[]) => Effect.Effect<any, any, any>
type InitValue<I extends InitFn> = ReturnType<I> extends Effect.Effect<infer A, any, any> ? A : never
type InitError<I extends InitFn> = ReturnType<I> extends Effect.Effect<any, infer E, any> ? E : never
type InitContext<I extends InitFn> = ReturnType<I> extends Effect.Effect<any, any, infer R> ? R : never

/** `I` if it is the `init` of `hk.transform` (its Effect gives a param tree), else an inline error naming the right lift. */
export type LiftableInit<I extends InitFn, Api extends string> = [InitValue<I>] extends [readonly [any, any]]
  ? { readonly __hkError: `${Api}: this init returns [params, state] (it is the init of hk.transformWithState); use hk.liftWithState(init, { name }), which registers the state too.` }
  : [InitValue<I>] extends [ParamTree]
    ? I
    : { readonly __hkError: `${Api}: takes the init of hk.transform(f), whose Effect gives a param tree { [module]: { [name]: Tensor } }; pass hk.transform(f).init.` }

/** `I` if it is the `init` of `hk.transformWithState` (its Effect gives `[params, state]`), else an inline error naming `hk.lift`. */
export type LiftableStatefulInit<I extends InitFn> = [InitValue<I>] extends [readonly [ParamTree, StateTree]]
  ? I
  : [InitValue<I>] extends [ParamTree]
    ? { readonly __hkError: "hk.liftWithState: this init returns params only (it is the init of hk.transform); use hk.lift(init, { name })." }
    : { readonly __hkError: "hk.liftWithState: takes the init of hk.transformWithState(f), whose Effect gives [params, state]; pass hk.transformWithState(f).init." }

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

/** Run an inner init as lifted: allowed inside the outer transform, its values prefixed by `prefix/` (for interceptors' `liftedPrefixName`). */
const asLifted = <A, E, R>(fiber: { getRef: <T>(r: Context.Reference<T>) => T }, prefix: string, init: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.provideService(Effect.provideService(init, NestedInitAllowed, true), LiftPrefix, `${fiber.getRef(LiftPrefix) ?? ""}${prefix === "" ? "" : `${prefix}/`}`)

const liftImpl =
  <Args extends any[], E, R>(init: (...args: Args) => Effect.Effect<ParamTree, E, R>, options: LiftOptions, transparent: boolean, api: string) =>
  (...args: Args): Effect.Effect<ParamTree, E, R | Params | Naming> =>
    Effect.withFiber((fiber) => {
      const frame = frameOf(fiber, Params, api)
      const scope = fiber.getRef(CurrentModuleScope)
      const prefix = transparent ? (scope?.moduleName ?? "") : uniqueName(frameOf(fiber, Naming, api), scope, options.name ?? "lifted")
      if (frame.frozen) return Effect.succeed(readBack(frame.params, prefix))
      return Effect.map(asLifted(fiber, prefix, init(...args)), (inner) => {
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
 * declare const net: (x: Tensor) => Effect.Effect<Tensor, never, hk.Params | hk.Rng | hk.Naming>
 * const f = (x: Tensor) => Effect.gen(function* () {
 *   const inner = hk.transform(net)
 *   const params = yield* hk.lift(inner.init, { name: "inner" })(yield* hk.nextRngKey(), x)
 *   return yield* jax.vmap(inner.apply, { inAxes: [null, null, 0] })(params, null, x)
 * })
 */
export const lift = <I extends InitFn>(init: LiftableInit<I, "hk.lift">, options: LiftOptions = {}): ((...args: Parameters<I>) => Effect.Effect<ParamTree, InitError<I>, InitContext<I> | Params | Naming>) =>
  liftImpl(init as unknown as (...args: Parameters<I>) => Effect.Effect<ParamTree, InitError<I>, InitContext<I>>, options, false, "hk.lift")

/**
 * Like {@link lift} without an extra name level: inner bundles are registered under the
 * current module (or at the top level as they are).
 *
 * Haiku: `hk.transparent_lift`.
 *
 * @example
 * declare const net: (x: Tensor) => Effect.Effect<Tensor, never, hk.Params | hk.Rng | hk.Naming>
 * hk.transparentLift(hk.transform(net).init)(key, x) // registers "mlp/~/linear_0", not "lifted/mlp/~/linear_0"
 */
export const transparentLift = <I extends InitFn>(init: LiftableInit<I, "hk.transparentLift">, options: Omit<LiftOptions, "name"> = {}): ((...args: Parameters<I>) => Effect.Effect<ParamTree, InitError<I>, InitContext<I> | Params | Naming>) =>
  liftImpl(init as unknown as (...args: Parameters<I>) => Effect.Effect<ParamTree, InitError<I>, InitContext<I>>, options, true, "hk.transparentLift")

/**
 * The explicit escape hatch for running an inner `init` inside an outer transform without
 * registering its parameters (they are discarded, and re-created on every outer run).
 *
 * @example
 * declare const net: (x: Tensor) => Effect.Effect<Tensor, never, hk.Params | hk.Rng | hk.Naming>
 * const inner = hk.transform(net)
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
 * declare const counterNet: (x: Tensor) => Effect.Effect<Tensor, never, hk.Params | hk.State | hk.Naming>
 * const inner = hk.transformWithState(counterNet)
 * const lifted = hk.liftWithState(inner.init, { name: "inner" })
 * const out = yield* lifted([key, x], (params, state) => inner.apply(params, state, null, x))
 */
export const liftWithState =
  <I extends InitFn>(initFn: LiftableStatefulInit<I>, options: LiftOptions = {}) =>
  <A, E2, R2>(args: Parameters<I>, body: LiftedBody<A, E2, R2>): Effect.Effect<A, InitError<I> | E2, InitContext<I> | R2 | Params | State | Naming> =>
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
      const init = initFn as unknown as (...a: Parameters<I>) => Effect.Effect<readonly [ParamTree, StateTree], InitError<I>, InitContext<I>>
      return Effect.flatMap(asLifted(fiber, prefix, init(...args)), ([p, s]) => {
        register(frame, prefix, p, allowReuse)
        const entries = treeEntries(s)
        if (!allowReuse) {
          for (const [b, n] of entries) if (state.get(prefixed(prefix, b), n) !== undefined) throw LiftKeyCollisionError.make(prefixed(prefix, b))
        }
        for (const [b, n, v] of entries) state.set(prefixed(prefix, b), n, { initial: v, current: v })
        return run(p, s)
      })
    })
