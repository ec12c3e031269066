/**
 * Handlers: `hk.transform`, `hk.transformWithState`, `hk.withoutApplyRng`, `hk.multiTransform`.
 * Each run of `init`/`apply` builds a fresh frame, provides it as the four Haiku services and
 * removes them from `R`; `init` and `apply` are pure functions of their arguments.
 */
import { Effect, type Fiber } from "effect"
import { Frame, NameTable, ParamStore, StateStore, buildTree, toSequence, type KeyLike, type ParamTree, type StateTree } from "./Frame.js"
import { NestedInitAllowed, frameContext, maybeFrame, runIn, type HaikuServices, type State } from "./services.js"
import { InvalidParamsError, NestedTransformError, NonEmptyStateError } from "./errors.js"

type Fn = (...args: any[]) => any
/** The success type of `f`'s result (a value or an Effect). */
export type ValueOf<O> = O extends Effect.Effect<infer A, any, any> ? A : O
/** The error type of `f`'s result. */
export type ErrorOf<O> = O extends Effect.Effect<any, infer E, any> ? E : never
/** The requirements of `f`'s result. */
export type ContextOf<O> = O extends Effect.Effect<any, any, infer R> ? R : never
/** `R` without the Haiku services a handler provides. */
export type Outer<O> = Exclude<ContextOf<O>, HaikuServices>

/**
 * A pair of pure functions from `hk.transform(f)`.
 *
 * Haiku: `hk.Transformed`.
 */
export interface Transformed<Args extends any[], A, E, R> {
  readonly kind: "Transformed"
  /** Runs `f` and returns the parameters it created. */
  readonly init: (key: KeyLike, ...args: Args) => Effect.Effect<ParamTree, E, R>
  /** Runs `f` with the given parameters (frozen: none are created). */
  readonly apply: (params: ParamTree | null, key: KeyLike, ...args: Args) => Effect.Effect<A, E, R>
}

/**
 * A pair of pure functions from `hk.transformWithState(f)`.
 *
 * Haiku: `hk.TransformedWithState`.
 */
export interface TransformedWithState<Args extends any[], A, E, R> {
  readonly kind: "TransformedWithState"
  /** Runs `f`; returns the params and the *initial* state. */
  readonly init: (key: KeyLike, ...args: Args) => Effect.Effect<readonly [ParamTree, StateTree], E, R>
  /** Runs `f`; returns its output and the *current* state. */
  readonly apply: (params: ParamTree | null, state: StateTree | null, key: KeyLike, ...args: Args) => Effect.Effect<readonly [A, StateTree], E, R>
}

/** `F` if it does not need `hk.State`, else an inline error type naming the fix. */
export type Stateless<F> = F extends (...args: any[]) => infer O
  ? [Extract<ContextOf<O>, State>] extends [never]
    ? F
    : { readonly __hkError: "hk.transform: f uses hk.State (hk.getState / hk.setState, or a stateful module such as hk.BatchNorm), which hk.transform cannot return; use hk.transformWithState(f)."; readonly offendingServices: State }
  : F

const INIT_KEY = "Init must be called with an RNG as the first argument, the required signature is: `init(key, ...args)`."
const applyKey = (n: string) => `Apply must be called with an RNG as the ${n} argument, the required signature is: \`apply(params, ${n === "third" ? "state, " : ""}key, ...args)\`.`

/** Dies when an `init` runs inside another transform without `hk.lift` (Haiku is silent here). */
export const checkNested = (fiber: Fiber.Fiber<unknown, unknown>, what: string): void => {
  if (maybeFrame(fiber) !== undefined && !fiber.getRef(NestedInitAllowed)) throw NestedTransformError.make(what)
}

const checkTree = (tree: unknown, what: "params" | "state", signature: string): void => {
  if (tree === null || tree === undefined) return
  if (typeof tree !== "object" || Array.isArray(tree) || ![Object.prototype, null].includes(Object.getPrototypeOf(tree))) {
    throw new InvalidParamsError({
      message: `${what} argument does not appear valid. It should be a two-level object { [module]: { [name]: Tensor } } but is ${Array.isArray(tree) ? "an array" : typeof tree === "object" ? `a ${(tree as object).constructor?.name ?? "object"}` : typeof tree}. For reference the arguments are ${signature}.`
    })
  }
}

const stateTree = (store: StateStore, which: "initial" | "current"): StateTree => buildTree(store.entries().map(([b, n, p]) => [b, n, p[which]] as const))

/** Run `f` in a fresh frame. */
const runFrame = (frame: Frame, f: Fn, args: ReadonlyArray<unknown>) => runIn(frameContext(frame), f, args)

const newFrame = (frozen: boolean, params: ParamTree | null, state: StateTree | null | false, key: KeyLike, keyMsg: string, handler: string): Frame =>
  new Frame(frozen, new ParamStore(params ?? null), state === false ? null : state === null ? new StateStore(null) : StateStore.fromTree(state), [toSequence(key, keyMsg)], new NameTable(), handler)

/**
 * Turns a Haiku-effectful function into a pair of pure functions `init`/`apply`. `init` returns
 * the parameters `f` creates; `apply` runs `f` with given parameters. A function that uses
 * `hk.State` does not type-check (use `hk.transformWithState`).
 *
 * Haiku: `hk.transform`.
 *
 * @example
 * const f = (x: Tensor) => Effect.map(hk.getParameter("w", [2, 2], jnp.ones), (w) => jnp.matmul(w, x))
 * const { init, apply } = hk.transform(f)
 * const params = Effect.runSync(init(jax.random.key(0), jnp.ones([2, 2])))
 * const y = Effect.runSync(apply(params, null, jnp.ones([2, 2])))
 */
export const transform = <F extends Fn>(f: Stateless<F>): Transformed<Parameters<F>, ValueOf<ReturnType<F>>, ErrorOf<ReturnType<F>>, Outer<ReturnType<F>>> => {
  const fn = f as unknown as Fn
  return {
    kind: "Transformed",
    init: (key, ...args) =>
      Effect.withFiber((fiber) => {
        checkNested(fiber, "hk.transform(f).init")
        const frame = newFrame(false, null, false, key, INIT_KEY, "hk.transform")
        return Effect.map(runFrame(frame, fn, args), () => buildTree(frame.params.ownEntries()))
      }),
    apply: (params, key, ...args) =>
      Effect.withFiber(() => {
        checkTree(params, "params", "apply(params, key, ...args) for hk.transform and apply(params, state, key, ...args) for hk.transformWithState")
        return runFrame(newFrame(true, params, false, key, applyKey("second"), "hk.transform"), fn, args)
      })
  } as Transformed<any, any, any, any>
}

/**
 * Like {@link transform}, for functions that also use state: `init` returns `[params, initialState]`,
 * `apply(params, state, key, ...args)` returns `[out, currentState]`. State is created by
 * `getState` in init or apply; `setState` keeps `initial`, replacing `current`.
 *
 * Haiku: `hk.transform_with_state`.
 *
 * @example
 * const counter = () => Effect.flatMap(hk.getState("n", [], jnp.zeros), (n) => hk.setState("n", jnp.add(n, 1)))
 * const { init, apply } = hk.transformWithState(counter)
 * const [params, state] = Effect.runSync(init(null))
 * const [, state1] = Effect.runSync(apply(params, state, null)) // n = 1
 */
export const transformWithState = <F extends Fn>(f: F): TransformedWithState<Parameters<F>, ValueOf<ReturnType<F>>, ErrorOf<ReturnType<F>>, Outer<ReturnType<F>>> => ({
  kind: "TransformedWithState",
  init: ((key: KeyLike, ...args: unknown[]) =>
    Effect.withFiber((fiber) => {
      checkNested(fiber, "hk.transformWithState(f).init")
      const frame = newFrame(false, null, null, key, INIT_KEY, "hk.transformWithState")
      return Effect.map(runFrame(frame, f, args), () => [buildTree(frame.params.ownEntries()), stateTree(frame.state!, "initial")] as const)
    })) as any,
  apply: ((params: ParamTree | null, state: StateTree | null, key: KeyLike, ...args: unknown[]) =>
    Effect.withFiber(() => {
      const sig = "apply(params, key, ...args) for hk.transform and apply(params, state, key, ...args) for hk.transformWithState"
      checkTree(params, "params", sig)
      checkTree(state, "state", sig)
      const frame = newFrame(true, params, state ?? null, key, applyKey("third"), "hk.transformWithState")
      return Effect.map(runFrame(frame, f, args), (out) => [out, stateTree(frame.state!, "current")] as const)
    })) as any
})

/** Any transformed pair `withoutApplyRng` accepts. */
export type AnyTransformed = Transformed<any, any, any, any> | TransformedWithState<any, any, any, any> | MultiTransformed<any, any, any, any>

type DropKey<T> = T extends { kind: "Transformed"; init: infer I; apply: (params: infer P, key: KeyLike, ...args: infer A) => infer O }
  ? { readonly kind: "Transformed"; readonly init: I; readonly apply: (params: P, ...args: A) => O }
  : T extends { kind: "TransformedWithState"; init: infer I; apply: (params: infer P, state: infer S, key: KeyLike, ...args: infer A) => infer O }
    ? { readonly kind: "TransformedWithState"; readonly init: I; readonly apply: (params: P, state: S, ...args: A) => O }
    : T extends { kind: "MultiTransformed"; init: infer I; apply: infer Fs }
      ? { readonly kind: "MultiTransformed"; readonly init: I; readonly apply: { readonly [K in keyof Fs]: Fs[K] extends (params: infer P, key: KeyLike, ...args: infer A) => infer O ? (params: P, ...args: A) => O : never } }
      : never

/**
 * Drops the key argument of `apply` (passing `null`), for functions that use no randomness in apply.
 *
 * Haiku: `hk.without_apply_rng`.
 *
 * @example
 * const { apply } = hk.withoutApplyRng(hk.transform(f))
 * apply(params, x)
 */
export const withoutApplyRng = <T extends AnyTransformed>(t: T): DropKey<T> => {
  if (t.kind === "Transformed") return { ...t, apply: (params: ParamTree | null, ...args: any[]) => t.apply(params, null, ...args) } as unknown as DropKey<T>
  if (t.kind === "TransformedWithState") return { ...t, apply: (params: ParamTree | null, state: StateTree | null, ...args: any[]) => t.apply(params, state, null, ...args) } as unknown as DropKey<T>
  const applies = t.apply as Record<string, Fn>
  return { ...t, apply: new Proxy({}, { get: (_, k) => (params: ParamTree | null, ...args: any[]) => applies[k as string]!(params, null, ...args) }) } as unknown as DropKey<T>
}

/**
 * Several apply functions sharing parameters, from `f() => Effect<[templateFn, { name: fn }]>`:
 * `init` runs `templateFn` (which must create every parameter), and `apply.name` runs `fn`.
 *
 * Haiku: `hk.multi_transform`.
 */
export interface MultiTransformed<TArgs extends any[], Fs, E, R> {
  readonly kind: "MultiTransformed"
  readonly init: (key: KeyLike, ...args: TArgs) => Effect.Effect<ParamTree, E, R>
  readonly apply: { readonly [K in keyof Fs]: Fs[K] extends (...args: infer A) => infer O ? (params: ParamTree | null, key: KeyLike, ...args: A) => Effect.Effect<ValueOf<O>, E | ErrorOf<O>, R | Outer<O>> : never }
}

/**
 * Several pure functions sharing parameters: `f` builds the modules once and returns a template
 * function (used by `init`) and an object of functions (each becomes an `apply`).
 *
 * Haiku: `hk.multi_transform`.
 *
 * @example
 * const t = hk.multiTransform(() => Effect.map(hk.nets.MLP([4, 2]), (mlp) => [(x: Tensor) => mlp(x), { encode: (x: Tensor) => mlp(x) }] as const))
 * const params = Effect.runSync(t.init(0, x))
 * Effect.runSync(t.apply.encode(params, null, x))
 */
export const multiTransform = <T extends Fn, Fs extends Record<string, Fn>, E, R>(
  f: () => Effect.Effect<readonly [T, Fs], E, R>
): MultiTransformed<Parameters<T>, Fs, E | ErrorOf<ReturnType<T>>, Exclude<R, HaikuServices> | Outer<ReturnType<T>>> => {
  const stateless = (frame: Frame) => {
    if (frame.state !== null && frame.state.ownEntries().length > 0) throw new NonEmptyStateError({ message: "If your transformed function uses `hk.getState`/`hk.setState` then use `hk.multiTransformWithState`." })
  }
  return {
    kind: "MultiTransformed",
    init: ((key: KeyLike, ...args: unknown[]) =>
      Effect.withFiber((fiber) => {
        checkNested(fiber, "hk.multiTransform(f).init")
        const frame = newFrame(false, null, false, key, INIT_KEY, "hk.multiTransform")
        return runIn(frameContext(frame), () => Effect.flatMap(f(), ([template]) => Effect.suspend(() => toEffect(template(...args)))), []).pipe(
          Effect.map(() => {
            stateless(frame)
            return buildTree(frame.params.ownEntries())
          })
        )
      })) as any,
    apply: new Proxy(
      {},
      {
        get: (_, k) =>
          (params: ParamTree | null, key: KeyLike, ...args: unknown[]) =>
            Effect.withFiber(() => {
              checkTree(params, "params", "apply.name(params, key, ...args)")
              const frame = newFrame(true, params, false, key, applyKey("second"), "hk.multiTransform")
              return runIn(frameContext(frame), () => Effect.flatMap(f(), ([, fns]) => Effect.suspend(() => toEffect(fns[k as string]!(...args)))), [])
            })
      }
    ) as any
  } as MultiTransformed<any, any, any, any>
}

const toEffect = (x: unknown): Effect.Effect<unknown, unknown, unknown> => (Effect.isEffect(x) ? x : Effect.succeed(x))
