/**
 * Interceptors: middleware over the `Params` and `State` services and over module methods.
 * Each combinator runs a body with one more layer in a chain kept in the fiber (a Reference,
 * so it reaches every wrapped transform, lifted init and module the body runs); a layer gets
 * the next layer as a function and may change what goes in, what comes out, or not call it.
 * Layers run in registration order: the outermost combinator runs first (Haiku's order).
 *
 * - `customCreator(creator, body)`: runs when a parameter (or, with `state: true`, a state
 *   value) is created — in init, and in apply for a parameter that a creator declines to store.
 * - `customGetter(getter, body)`: runs on every `getParameter` (and `getState` with `state: true`).
 * - `customSetter(setter, body)`: runs on every `setState`.
 * - `interceptMethods(interceptor, body)`: runs around every module method call.
 *
 * Haiku: `hk.custom_creator`, `hk.custom_getter`, `hk.custom_setter`, `hk.intercept_methods`.
 */
import { Context, Effect } from "effect"
import { Tensor } from "../transforms/core/Tensor.js"
import { sameShape } from "../transforms/core/aval.js"
import type { DType } from "../kernels/dtype.js"
import { Params, frameOf } from "./services.js"
import { ParameterShapeError } from "./errors.js"

/**
 * Returned by a creator (or setter) to say "do not store this value": a creator that returns it
 * must be paired with a getter that supplies the value.
 *
 * Haiku: `hk.experimental.DO_NOT_STORE`.
 *
 * @example
 * declare const pretrained: hk.ParamTree
 * const skipPretrained: hk.Creator = (next, shape, dtype, init, ctx) => (ctx.moduleName in pretrained ? hk.DO_NOT_STORE : next(shape, dtype, init))
 */
export const DO_NOT_STORE: unique symbol = Symbol.for("tanka/hk/DO_NOT_STORE")
/** The type of {@link DO_NOT_STORE}. */
export type DoNotStore = typeof DO_NOT_STORE

/** An initializer as interceptors see it (`getParameter`'s `init`, possibly needing any service). */
export type AnyInitializer = (shape: ReadonlyArray<number>, dtype: DType) => Tensor | Effect.Effect<Tensor, never, any>

/**
 * Where a parameter or state value lives and how it was asked for.
 *
 * Haiku: `hk.GetterContext`.
 */
export interface ValueContext {
  /** `"param"` for `getParameter`, `"state"` for `getState` / `setState`. */
  readonly collection: "param" | "state"
  /** The full name, e.g. `"mlp/~/linear_0/w"` (`"~/w"` at the top level). */
  readonly fullName: string
  /** The module (bundle) name, e.g. `"mlp/~/linear_0"`; `"~"` at the top level. */
  readonly moduleName: string
  /** The value's own name, e.g. `"w"`. */
  readonly name: string
  /** The shape `getParameter` / `getState` was called with (`setState`: the value's). */
  readonly originalShape: ReadonlyArray<number>
  /** The dtype it was called with. */
  readonly originalDtype: DType
  /** The initializer it was called with (`undefined` for `setState`, or when none was given). */
  readonly originalInit: AnyInitializer | undefined
  /** During a lifted init: the prefix the outer transform stores this value under (e.g. `"outer/"`); `null` otherwise. */
  readonly liftedPrefixName: string | null
}

/** The next layer of a creator chain: create with these (possibly changed) arguments. */
export type NextCreator = (shape: ReadonlyArray<number>, dtype: DType, init: AnyInitializer) => Effect.Effect<Tensor | DoNotStore>
/**
 * A creator layer: gets the next layer and what `getParameter`/`getState` asked for; returns the
 * value to store (or `DO_NOT_STORE`). Haiku: `hk.custom_creator`'s `creator`.
 */
export type Creator<R = never> = (next: NextCreator, shape: ReadonlyArray<number>, dtype: DType, init: AnyInitializer, context: ValueContext) => Tensor | DoNotStore | Effect.Effect<Tensor | DoNotStore, never, R>

/** The next layer of a getter chain. */
export type NextGetter = (value: Tensor | DoNotStore) => Effect.Effect<Tensor | DoNotStore>
/**
 * A getter layer: gets the next layer and the stored value (`DO_NOT_STORE` when a creator did not
 * store one); returns the value `getParameter` returns. Haiku: `hk.custom_getter`'s `getter`.
 */
export type Getter<R = never> = (next: NextGetter, value: Tensor | DoNotStore, context: ValueContext) => Tensor | DoNotStore | Effect.Effect<Tensor | DoNotStore, never, R>

/** The next layer of a setter chain. */
export type NextSetter = (value: Tensor | DoNotStore) => Effect.Effect<Tensor | DoNotStore>
/** A setter layer: gets the value `setState` was called with; returns what to store (or `DO_NOT_STORE`). Haiku: `hk.custom_setter`'s `setter`. */
export type Setter<R = never> = (next: NextSetter, value: Tensor | DoNotStore, context: ValueContext) => Tensor | DoNotStore | Effect.Effect<Tensor | DoNotStore, never, R>

/** What a method interceptor learns about the call. Haiku: `hk.MethodContext`. */
export interface MethodContext {
  /** The module: its full name, last name segment, and (for stock modules) its kind and constructor options. */
  readonly module: ModuleInfo
  /** `"__call__"` for calling the module, else the method's name (e.g. `"attend"`, `"initialState"`). */
  readonly methodName: string
  /** The method itself: calling it skips the interceptors after this one. */
  readonly origMethod: (...args: any[]) => Effect.Effect<any, any, any>
}

/** A module's identity as interceptors and `hk.summary` see it. */
export interface ModuleInfo {
  readonly moduleName: string
  readonly name: string
  /** The module's kind (Haiku's class name), e.g. `"Linear"`; `undefined` for `hk.module` definitions without one. */
  readonly kind: string | undefined
  /** The constructor options (for display), if the module gave them. */
  readonly config: Readonly<Record<string, unknown>> | undefined
}

/** The next layer of a method-interceptor chain. */
export type NextMethod = (...args: any[]) => Effect.Effect<any, any, any>
/** A method interceptor. Haiku: `hk.intercept_methods`'s `interceptor`. */
export type MethodInterceptor<R = never> = (next: NextMethod, args: ReadonlyArray<any>, context: MethodContext) => unknown

/** Which collections a creator or getter applies to (Haiku: `params=True, state=False`), and a name for messages. */
export interface InterceptorOptions {
  /** Intercept parameters (default true). */
  readonly params?: boolean
  /** Intercept state (default false). */
  readonly state?: boolean
  /** The name errors use (default: the function's name). */
  readonly name?: string
}

interface Layer<F> {
  readonly fn: F
  readonly name: string
}

/** Every active layer, outermost first. */
export interface Chains {
  readonly paramCreators: ReadonlyArray<Layer<Creator<any>>>
  readonly stateCreators: ReadonlyArray<Layer<Creator<any>>>
  readonly paramGetters: ReadonlyArray<Layer<Getter<any>>>
  readonly stateGetters: ReadonlyArray<Layer<Getter<any>>>
  readonly setters: ReadonlyArray<Layer<Setter<any>>>
  readonly methods: ReadonlyArray<Layer<MethodInterceptor<any>>>
}

const NONE: Chains = Object.freeze({ paramCreators: [], stateCreators: [], paramGetters: [], stateGetters: [], setters: [], methods: [] })

/** The interceptor chains of the running body (a Reference: never in `R`). */
export const Interceptors = Context.Reference<Chains>("tanka/hk/Interceptors", { defaultValue: () => NONE })

/** During a lifted init: the prefix its values get in the outer tree (`hk.lift` sets it). */
export const LiftPrefix = Context.Reference<string | null>("tanka/hk/LiftPrefix", { defaultValue: () => null })

const nameOf = (f: Function, options: InterceptorOptions | undefined, what: string): string => options?.name ?? (f.name && f.name !== "anonymous" ? f.name : `an anonymous ${what}`)

const push = <A, E, R>(api: string, body: Effect.Effect<A, E, R>, add: (c: Chains) => Chains): Effect.Effect<A, E, R | Params> =>
  Effect.withFiber((fiber) => {
    frameOf(fiber, Params, api)
    return Effect.provideService(body, Interceptors, add(fiber.getRef(Interceptors)))
  })

/**
 * Run `body` with `creator` intercepting the creation of parameters (and, with `state: true`,
 * state values). The creator gets `next(shape, dtype, init)` and may change the initializer, the
 * dtype, or return `hk.DO_NOT_STORE`.
 *
 * Haiku: `hk.custom_creator`.
 *
 * @example
 * const zeros: hk.Creator = (next, shape, dtype) => next(shape, dtype, jnp.zeros)
 * const f = (x: Tensor) => hk.customCreator(zeros, Effect.flatMap(hk.Linear(3), (l) => l(x)))  // every w and b starts at 0
 */
export const customCreator = <A, E, R, R2 = never>(creator: Creator<R2>, body: Effect.Effect<A, E, R>, options?: InterceptorOptions): Effect.Effect<A, E, R | R2 | Params> => {
  const layer = { fn: creator, name: nameOf(creator, options, "creator") }
  return push("hk.customCreator", body, (c) => ({
    ...c,
    paramCreators: options?.params === false ? c.paramCreators : [...c.paramCreators, layer],
    stateCreators: options?.state ? [...c.stateCreators, layer] : c.stateCreators
  }))
}

/**
 * Run `body` with `getter` intercepting every parameter read (and, with `state: true`, every
 * `getState`). The getter gets `next(value)` and the stored value; what it returns is what
 * `getParameter` returns (its shape must stay the requested one).
 *
 * Haiku: `hk.custom_getter`.
 *
 * @example
 * declare const body: Effect.Effect<Tensor, never, hk.Params | hk.Rng | hk.Naming>
 * const frozen: hk.Getter = (next, w) => next(w === hk.DO_NOT_STORE ? w : jax.lax.stopGradient(w))
 * hk.customGetter(frozen, body) // no gradient reaches the parameters read in body
 */
export const customGetter = <A, E, R, R2 = never>(getter: Getter<R2>, body: Effect.Effect<A, E, R>, options?: InterceptorOptions): Effect.Effect<A, E, R | R2 | Params> => {
  const layer = { fn: getter, name: nameOf(getter, options, "getter") }
  return push("hk.customGetter", body, (c) => ({
    ...c,
    paramGetters: options?.params === false ? c.paramGetters : [...c.paramGetters, layer],
    stateGetters: options?.state ? [...c.stateGetters, layer] : c.stateGetters
  }))
}

/**
 * Run `body` with `setter` intercepting every `setState`: it gets `next(value)` and the value,
 * and returns what to store (or `hk.DO_NOT_STORE` to drop the write).
 *
 * Haiku: `hk.custom_setter`.
 *
 * @example
 * declare const body: Effect.Effect<Tensor, never, hk.Params | hk.Rng | hk.Naming>
 * const clip: hk.Setter = (next, v) => next(v === hk.DO_NOT_STORE ? v : jnp.clip(v, -1, 1))
 * hk.customSetter(clip, body)
 */
export const customSetter = <A, E, R, R2 = never>(setter: Setter<R2>, body: Effect.Effect<A, E, R>, options?: Pick<InterceptorOptions, "name">): Effect.Effect<A, E, R | R2 | Params> => {
  const layer = { fn: setter, name: nameOf(setter, options, "setter") }
  return push("hk.customSetter", body, (c) => ({ ...c, setters: [...c.setters, layer] }))
}

/**
 * Run `body` with `interceptor` around every module method call: it gets `next(...args)`, the
 * arguments and a context (module, method name, the original method), and returns the result
 * (a value or an Effect). With `+1` registered outside `**2`, an identity module gives `x**2 + 1`.
 *
 * Haiku: `hk.intercept_methods`.
 *
 * @example
 * declare const body: Effect.Effect<Tensor, never, hk.Params | hk.Rng | hk.Naming>
 * const log: hk.MethodInterceptor = (next, args, ctx) => { console.log(ctx.module.moduleName); return next(...args) }
 * hk.interceptMethods(log, body)
 */
export const interceptMethods = <A, E, R, R2 = never>(interceptor: MethodInterceptor<R2>, body: Effect.Effect<A, E, R>, options?: Pick<InterceptorOptions, "name">): Effect.Effect<A, E, R | R2 | Params> => {
  const layer = { fn: interceptor, name: nameOf(interceptor, options, "method interceptor") }
  return push("hk.interceptMethods", body, (c) => ({ ...c, methods: [...c.methods, layer] }))
}

const asEffect = <A>(v: A | Effect.Effect<A, any, any>): Effect.Effect<A, any, any> => (Effect.isEffect(v) ? v : Effect.succeed(v))

const show = (s: ReadonlyArray<number>) => `[${s.join(",")}]`

/** The value a layer returned, checked: a Tensor of the requested shape (or DO_NOT_STORE where allowed). */
const checked = (layer: string, kind: string, v: unknown, ctx: ValueContext, allowSkip: boolean): Tensor | DoNotStore => {
  if (v === DO_NOT_STORE) {
    if (allowSkip) return v
    throw new ParameterShapeError({
      fullName: ctx.fullName,
      expected: ctx.originalShape,
      actual: [],
      message: `The ${kind} '${layer}' returned DO_NOT_STORE for '${ctx.fullName}', and no later getter supplied a value: a creator that does not store a value needs a getter that provides one.`
    })
  }
  if (!(v instanceof Tensor)) {
    throw new ParameterShapeError({
      fullName: ctx.fullName,
      expected: ctx.originalShape,
      actual: [],
      message: `The ${kind} '${layer}' returned ${v === null ? "null" : typeof v} for '${ctx.fullName}', not a Tensor: return next(...) or a Tensor of shape ${show(ctx.originalShape)}.`
    })
  }
  if (ctx.collection === "param" && !sameShape(v.shape, ctx.originalShape)) {
    throw new ParameterShapeError({
      fullName: ctx.fullName,
      expected: ctx.originalShape,
      actual: v.shape,
      message:
        `The ${kind} '${layer}' returned shape ${show(v.shape)} for '${ctx.fullName}', but the module asked for shape=${show(ctx.originalShape)} dtype=${ctx.originalDtype}. ` +
        `An interceptor may change a value's dtype or contents, not its shape: fix '${layer}' to keep the shape it is given.`
    })
  }
  return v
}

/** Run the creator chain, ending in `init`; each layer's result is checked and named. */
export const runCreators = (
  layers: ReadonlyArray<Layer<Creator<any>>>,
  ctx: ValueContext,
  shape: ReadonlyArray<number>,
  dtype: DType,
  init: AnyInitializer
): Effect.Effect<Tensor | DoNotStore, never, any> => {
  const step =
    (i: number): NextCreator =>
    (s, d, ini) =>
      i === layers.length
        ? (asEffect(ini(s, d)) as Effect.Effect<Tensor>)
        : (Effect.map(asEffect(layers[i]!.fn(step(i + 1), s, d, ini, ctx)), (v) => checked(layers[i]!.name, "custom creator", v, ctx, true)) as Effect.Effect<Tensor | DoNotStore>)
  return step(0)(shape, dtype, init)
}

/** Run the getter chain on `value`; the final result must be a Tensor of the requested shape. */
export const runGetters = (layers: ReadonlyArray<Layer<Getter<any>>>, ctx: ValueContext, value: Tensor | DoNotStore): Effect.Effect<Tensor, never, any> => {
  const step =
    (i: number): NextGetter =>
    (v) =>
      i === layers.length ? Effect.succeed(v) : (Effect.map(asEffect(layers[i]!.fn(step(i + 1), v, ctx)), (out) => checked(layers[i]!.name, "custom getter", out, ctx, true)) as Effect.Effect<Tensor | DoNotStore>)
  return Effect.map(step(0)(value), (v) => checked(layers.length > 0 ? layers[0]!.name : "creator", layers.length > 0 ? "custom getter" : "custom creator", v, ctx, false) as Tensor)
}

/** Run the setter chain on `value`. */
export const runSetters = (layers: ReadonlyArray<Layer<Setter<any>>>, ctx: ValueContext, value: Tensor): Effect.Effect<Tensor | DoNotStore, never, any> => {
  const step =
    (i: number): NextSetter =>
    (v) =>
      i === layers.length ? Effect.succeed(v) : (Effect.map(asEffect(layers[i]!.fn(step(i + 1), v, ctx)), (out) => checked(layers[i]!.name, "custom setter", out, ctx, true)) as Effect.Effect<Tensor | DoNotStore>)
  return step(0)(value)
}

/**
 * Call method `methodName` of `info` with `args` through the method interceptors of the
 * running fiber (none: a plain call).
 */
export const callMethod = (info: ModuleInfo, methodName: string, method: (...args: any[]) => unknown, args: ReadonlyArray<unknown>): Effect.Effect<any, any, any> =>
  Effect.withFiber((fiber) => {
    const layers = fiber.getRef(Interceptors).methods
    const orig = (...a: any[]) => asEffect(method(...a))
    if (layers.length === 0) return orig(...args)
    const context: MethodContext = { module: info, methodName, origMethod: orig }
    const step =
      (i: number): NextMethod =>
      (...a) =>
        i === layers.length ? orig(...a) : Effect.suspend(() => asEffect(layers[i]!.fn(step(i + 1), a, context)))
    return step(0)(...args)
  })
