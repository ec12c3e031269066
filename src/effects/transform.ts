/**
 * Handlers: `hk.transform`, `hk.transformWithState`, `hk.withoutApplyRng`. Each run of
 * `init`/`apply` builds a fresh frame, provides it as the four Haiku services and removes them
 * from `R`; `init` and `apply` are pure functions of their arguments. Errors caused by those
 * arguments are typed failures in `E`; errors in the code stay defects (see `errors.ts`).
 */
import { Effect, Fiber } from "effect"
import { Tensor } from "../transforms/core/Tensor.js"
import { Tracer } from "../transforms/core/trace.js"
import { UnexpectedTracerError } from "../transforms/core/errors.js"
import type { HaikuService } from "../transforms/raw/purity.js"
import { Frame, NameTable, ParamStore, StateStore, buildTree, toSequence, type KeyLike, type ParamTree, type StateTree } from "./Frame.js"
import { NestedInitAllowed, frameContext, maybeFrame, runIn, type HaikuServices, type State } from "./services.js"
import type { ParamsOf } from "./paths.js"
import {
  APPLY_ERRORS,
  APPLY_WITH_STATE_ERRORS,
  INIT_ERRORS,
  InvalidParamsError,
  NestedTransformError,
  failWith,
  type ApplyError,
  type ApplyWithStateError,
  type InitError
} from "./errors.js"

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
 * A pair of pure functions from `hk.transform(f)`. Besides `f`'s own errors, `init` fails with
 * {@link InitError} and `apply` with {@link ApplyError} (errors caused by their arguments).
 *
 * Haiku: `hk.Transformed`.
 */
export interface Transformed<Args extends any[], A, E, R, P = ParamTree> {
  readonly kind: "Transformed"
  /** Runs `f` and returns the parameters it created (typed by path where the modules say: see `hk.ParamSlot`). */
  readonly init: (key: KeyLike, ...args: Args) => Effect.Effect<P, E | InitError, R>
  /** Runs `f` with the given parameters (frozen: none are created). */
  readonly apply: (params: ParamTree | null, key: KeyLike, ...args: Args) => Effect.Effect<A, E | ApplyError, R>
}

/**
 * A pair of pure functions from `hk.transformWithState(f)`. Besides `f`'s own errors, `init`
 * fails with {@link InitError} and `apply` with {@link ApplyWithStateError}.
 *
 * Haiku: `hk.TransformedWithState`.
 */
export interface TransformedWithState<Args extends any[], A, E, R, P = ParamTree> {
  readonly kind: "TransformedWithState"
  /** Runs `f`; returns the params (typed by path where the modules say) and the *initial* state. */
  readonly init: (key: KeyLike, ...args: Args) => Effect.Effect<readonly [P, StateTree], E | InitError, R>
  /** Runs `f`; returns its output and the *current* state. */
  readonly apply: (params: ParamTree | null, state: StateTree | null, key: KeyLike, ...args: Args) => Effect.Effect<readonly [A, StateTree], E | ApplyWithStateError, R>
}

type IsAny<T> = 0 extends 1 & T ? true : false
/** The return types of every overload of `F` (up to four). */
type ReturnsOf<F> = F extends { (...a: any[]): infer R1; (...a: any[]): infer R2; (...a: any[]): infer R3; (...a: any[]): infer R4 } ? R1 | R2 | R3 | R4 : F extends (...a: any[]) => infer R ? R : never
/** The requirements of every Effect member of a union. */
type ContextOfAll<O> = O extends Effect.Effect<any, any, infer R> ? R : never

/**
 * The error type `api` shows for functions returning `Out` when `hk.State` is used or cannot be
 * ruled out (a return typed `any`/`unknown`, an `R` widened to `any`/`unknown`/`object`/`{}`),
 * else `never`. `Fix` is the stateful handler to use instead.
 */
export type StateError<Out, Api extends string, Fix extends string> =
  IsAny<Out> extends true
    ? { readonly __hkError: `${Api}: f returns \`any\`, so hk.State cannot be ruled out; give f a precise return type, or use ${Fix}.` }
    : unknown extends Out
      ? { readonly __hkError: `${Api}: f returns \`unknown\`, so hk.State cannot be ruled out; give f a precise return type, or use ${Fix}.` }
      : HaikuService extends ContextOfAll<Out>
        ? { readonly __hkError: `${Api}: f's Effect has R = any, unknown, object or {}, so hk.State cannot be ruled out; give f a precise Effect type (a list of layers: hk.Layer<…> names what they need), or use ${Fix}.` }
        : [Extract<ContextOfAll<Out>, State>] extends [never]
          ? never
          : { readonly __hkError: `${Api}: f uses hk.State (hk.getState / hk.setState, or a stateful module such as hk.BatchNorm); use ${Fix}, which returns the state from init and apply.`; readonly offendingServices: State }

/** `F` if it does not need `hk.State` (under every overload), else an inline error type naming the fix. */
export type Stateless<F> = [StateError<ReturnsOf<F>, "hk.transform", "hk.transformWithState(f)">] extends [never] ? F : StateError<ReturnsOf<F>, "hk.transform", "hk.transformWithState(f)">

const INIT_KEY = "Init must be called with an RNG as the first argument, the required signature is: `init(key, ...args)`."
const applyKey = (n: string) => `Apply must be called with an RNG as the ${n} argument, the required signature is: \`apply(params, ${n === "third" ? "state, " : ""}key, ...args)\`.`

/** The frame of the fiber that is running now (when an `init` Effect is being built), if any. */
export const enclosingFrame = (): Frame | undefined => {
  const fiber = Fiber.getCurrent()
  return fiber === undefined ? undefined : maybeFrame(fiber)
}

/**
 * Dies when an `init` runs inside another transform without `hk.lift` (Haiku is silent here).
 * The enclosing transform is found in the running fiber's context, or — when the init runs in
 * a fiber of its own (`Effect.runSync(inner.init(…))` in the outer body) — as the frame of the
 * fiber that built the init Effect (`enclosing`), if that run has not finished.
 */
export const checkNested = (fiber: Fiber.Fiber<unknown, unknown>, enclosing: Frame | undefined, what: string): void => {
  if (fiber.getRef(NestedInitAllowed)) return
  if (maybeFrame(fiber) !== undefined || (enclosing !== undefined && enclosing.active)) throw NestedTransformError.make(what)
}

const describeValue = (x: unknown): string =>
  x === null ? "null" : x === undefined ? "undefined" : Array.isArray(x) ? "an array" : typeof x === "object" ? `a ${(x as object).constructor?.name ?? "object"}` : `a ${typeof x}`

/**
 * Fails (`InvalidParamsError`) unless `tree` is null or a two-level plain object: every module
 * entry an object, and every params leaf a Tensor (state leaves may be other pytrees). Names the
 * first offending path.
 */
export const checkTree = (tree: unknown, what: "params" | "state", signature: string): void => {
  if (tree === null || tree === undefined) return
  const shape = "a two-level object { [module]: { [name]: Tensor } }"
  if (!isPlain(tree)) {
    throw new InvalidParamsError({
      message: `${what} argument does not appear valid. It should be ${shape} but is ${describeValue(tree)}. For reference the arguments are ${signature}.`
    })
  }
  for (const module of Object.keys(tree)) {
    const bundle = tree[module]
    if (!isPlain(bundle)) {
      throw new InvalidParamsError({
        message: `${what}[${JSON.stringify(module)}] is ${describeValue(bundle)}, not an object { [name]: Tensor }: ${what} must be ${shape}. Pass the tree init returned (or one loaded with loadCheckpoint). For reference the arguments are ${signature}.`
      })
    }
    if (what !== "params") continue
    for (const name of Object.keys(bundle)) {
      const leaf = bundle[name]
      if (!(leaf instanceof Tensor)) {
        throw new InvalidParamsError({
          message:
            `params[${JSON.stringify(module)}][${JSON.stringify(name)}] is ${describeValue(leaf)}, not a Tensor: every leaf of params must be a Tensor. ` +
            `Pass the tree init returned (or one loaded with loadCheckpoint); to build a value by hand use jnp.array(...). For reference the arguments are ${signature}.`
        })
      }
    }
  }
}

const isPlain = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === "object" && [Object.prototype, null].includes(Object.getPrototypeOf(x))

/**
 * Dies if `value` (a returned param/state tree or output, walked through arrays and plain
 * objects) holds a tracer that cannot belong to this run: one whose transform has returned, or
 * one from a deeper level than the frame's. Names the path of the first such leaf.
 */
export const checkNoLeakedTracers = (value: unknown, frame: Frame, what: string, root: string): void => {
  const visit = (x: unknown, path: string): void => {
    if (x instanceof Tensor) {
      if (x instanceof Tracer && (!x.trace.main.alive || x.trace.main.level > frame.level)) {
        const t = x.trace.main.transform
        throw new UnexpectedTracerError({
          transform: t,
          message:
            `${what} returned a value traced by ${t} at ${path} (${x.aval}), after ${t} returned: a Haiku operation ran inside the raw ${t} and its result leaked into the Haiku state. ` +
            `Use the hk.* version of the transform (hk.vmap, hk.evalShape, hk.grad, …), or hk.transform(f) + hk.lift(init) and pass the pure apply to ${t}.`
        })
      }
      return
    }
    if (Array.isArray(x)) x.forEach((v, i) => visit(v, `${path}[${i}]`))
    else if (isPlain(x)) for (const k of Object.keys(x)) visit(x[k], `${path}[${JSON.stringify(k)}]`)
  }
  visit(value, root)
}

const stateTree = (store: StateStore, which: "initial" | "current"): StateTree => buildTree(store.entries().map(([b, n, p]) => [b, n, p[which]] as const))

/** Run `f` in `frame` (marking the frame active while it runs). */
export const runFrame = (frame: Frame, f: Fn, args: ReadonlyArray<unknown>): Effect.Effect<unknown, unknown, unknown> =>
  Effect.suspend(() => {
    frame.active = true
    return Effect.ensuring(
      runIn(frameContext(frame), f, args),
      Effect.sync(() => {
        frame.active = false
      })
    )
  })

export const newFrame = (frozen: boolean, params: ParamTree | null, state: StateTree | null | false, key: KeyLike, keyMsg: string, handler: string): Frame =>
  new Frame(frozen, new ParamStore(params ?? null), state === false ? null : state === null ? new StateStore(null) : StateStore.fromTree(state), [toSequence(key, keyMsg)], new NameTable(), handler)

/**
 * The shared shape of every handler's `init`: check for an enclosing transform, build the frame,
 * run, collect the result and check it for leaked tracers; argument errors become failures.
 */
export const initHandler = <T>(what: string, handler: string, withState: boolean, run: (frame: Frame) => Effect.Effect<unknown, unknown, unknown>, collect: (frame: Frame) => T, key: KeyLike) => {
  const enclosing = enclosingFrame()
  return failWith(
    Effect.withFiber((fiber) => {
      checkNested(fiber, enclosing, what)
      const frame = newFrame(false, null, withState ? null : false, key, INIT_KEY, handler)
      return Effect.map(run(frame), () => {
        const out = collect(frame)
        checkNoLeakedTracers(out, frame, what, withState ? "[params, state]" : "params")
        return out
      })
    }),
    INIT_ERRORS
  )
}

/** The shared shape of every handler's `apply`: argument checks, a frozen frame, the leak check of the result. */
export const applyHandler = <T>(what: string, frame: () => Frame, run: (frame: Frame) => Effect.Effect<unknown, unknown, unknown>, collect: (frame: Frame, out: unknown) => T, withState: boolean) =>
  failWith(
    Effect.withFiber(() => {
      const fr = frame()
      return Effect.map(run(fr), (out) => {
        const result = collect(fr, out)
        checkNoLeakedTracers(result, fr, what, withState ? "[output, state]" : "output")
        return result
      })
    }),
    withState ? APPLY_WITH_STATE_ERRORS : APPLY_ERRORS
  )

const SIG = "apply(params, key, ...args) for hk.transform and apply(params, state, key, ...args) for hk.transformWithState"

/**
 * Turns a Haiku-effectful function into a pair of pure functions `init`/`apply`. `init` returns
 * the parameters `f` creates; `apply` runs `f` with given parameters. A function that uses
 * `hk.State` (or whose type cannot rule it out) does not type-check: use `hk.transformWithState`.
 *
 * Haiku: `hk.transform`.
 *
 * @example
 * const f = (x: Tensor) => Effect.map(hk.getParameter("w", [2, 2], jnp.ones), (w) => jnp.matmul(w, x))
 * const { init, apply } = hk.transform(f)
 * const params = Effect.runSync(init(jax.random.key(0), jnp.ones([2, 2])))
 * const y = Effect.runSync(apply(params, null, jnp.ones([2, 2])))
 */
export const transform = <F extends Fn>(f: Stateless<F>): Transformed<Parameters<F>, ValueOf<ReturnType<F>>, ErrorOf<ReturnType<F>>, Outer<ReturnType<F>>, ParamsOf<ContextOf<ReturnType<F>>>> => {
  const fn = f as unknown as Fn
  return {
    kind: "Transformed",
    init: (key: KeyLike, ...args: unknown[]) => initHandler("hk.transform(f).init", "hk.transform", false, (frame) => runFrame(frame, fn, args), (frame) => buildTree(frame.params.ownEntries()), key),
    apply: (params: ParamTree | null, key: KeyLike, ...args: unknown[]) =>
      applyHandler(
        "hk.transform(f).apply",
        () => {
          checkTree(params, "params", SIG)
          return newFrame(true, params, false, key, applyKey("second"), "hk.transform")
        },
        (frame) => runFrame(frame, fn, args),
        (_, out) => out,
        false
      )
  } as unknown as Transformed<Parameters<F>, ValueOf<ReturnType<F>>, ErrorOf<ReturnType<F>>, Outer<ReturnType<F>>, ParamsOf<ContextOf<ReturnType<F>>>>
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
export const transformWithState = <F extends Fn>(f: F): TransformedWithState<Parameters<F>, ValueOf<ReturnType<F>>, ErrorOf<ReturnType<F>>, Outer<ReturnType<F>>, ParamsOf<ContextOf<ReturnType<F>>>> =>
  ({
    kind: "TransformedWithState",
    init: (key: KeyLike, ...args: unknown[]) =>
      initHandler("hk.transformWithState(f).init", "hk.transformWithState", true, (frame) => runFrame(frame, f, args), (frame) => [buildTree(frame.params.ownEntries()), stateTree(frame.state!, "initial")] as const, key),
    apply: (params: ParamTree | null, state: StateTree | null, key: KeyLike, ...args: unknown[]) =>
      applyHandler(
        "hk.transformWithState(f).apply",
        () => {
          checkTree(params, "params", SIG)
          checkTree(state, "state", SIG)
          return newFrame(true, params, state ?? null, key, applyKey("third"), "hk.transformWithState")
        },
        (frame) => runFrame(frame, f, args),
        (frame, out) => [out, stateTree(frame.state!, "current")] as const,
        true
      )
  }) as unknown as TransformedWithState<Parameters<F>, ValueOf<ReturnType<F>>, ErrorOf<ReturnType<F>>, Outer<ReturnType<F>>, ParamsOf<ContextOf<ReturnType<F>>>>

/** Any transformed pair `withoutApplyRng` accepts. */
export type AnyTransformed = Transformed<any, any, any, any, any> | TransformedWithState<any, any, any, any, any> | { readonly kind: "MultiTransformed" | "MultiTransformedWithState"; readonly init: Fn; readonly apply: Record<string, Fn> }

type DropKey<T> = T extends { kind: "Transformed"; init: infer I; apply: (params: infer P, key: KeyLike, ...args: infer A) => infer O }
  ? { readonly kind: "Transformed"; readonly init: I; readonly apply: (params: P, ...args: A) => O }
  : T extends { kind: "TransformedWithState"; init: infer I; apply: (params: infer P, state: infer S, key: KeyLike, ...args: infer A) => infer O }
    ? { readonly kind: "TransformedWithState"; readonly init: I; readonly apply: (params: P, state: S, ...args: A) => O }
    : T extends { kind: "MultiTransformed"; init: infer I; apply: infer Fs }
      ? { readonly kind: "MultiTransformed"; readonly init: I; readonly apply: { readonly [K in keyof Fs]: Fs[K] extends (params: infer P, key: KeyLike, ...args: infer A) => infer O ? (params: P, ...args: A) => O : never } }
      : T extends { kind: "MultiTransformedWithState"; init: infer I; apply: infer Fs }
        ? { readonly kind: "MultiTransformedWithState"; readonly init: I; readonly apply: { readonly [K in keyof Fs]: Fs[K] extends (params: infer P, state: infer S, key: KeyLike, ...args: infer A) => infer O ? (params: P, state: S, ...args: A) => O : never } }
        : never

/**
 * Drops the key argument of `apply` (passing `null`), for functions that use no randomness in apply.
 *
 * Haiku: `hk.without_apply_rng`.
 *
 * @example
 * declare const net: (x: Tensor) => Effect.Effect<Tensor, never, hk.Params | hk.Rng | hk.Naming>
 * const { apply } = hk.withoutApplyRng(hk.transform(net))
 * apply(params, x)
 */
export const withoutApplyRng = <T extends AnyTransformed>(t: T): DropKey<T> => {
  if (t.kind === "Transformed") return { ...t, apply: (params: ParamTree | null, ...args: any[]) => t.apply(params, null, ...args) } as unknown as DropKey<T>
  if (t.kind === "TransformedWithState") return { ...t, apply: (params: ParamTree | null, state: StateTree | null, ...args: any[]) => t.apply(params, state, null, ...args) } as unknown as DropKey<T>
  const applies = t.apply as Record<string, Fn>
  const withState = t.kind === "MultiTransformedWithState"
  return {
    ...t,
    apply: new Proxy(
      {},
      {
        get: (_, k) =>
          withState
            ? (params: ParamTree | null, state: StateTree | null, ...args: any[]) => applies[k as string]!(params, state, null, ...args)
            : (params: ParamTree | null, ...args: any[]) => applies[k as string]!(params, null, ...args)
      }
    )
  } as unknown as DropKey<T>
}
