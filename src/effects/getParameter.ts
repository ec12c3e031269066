/**
 * The parameter and state effects: `getParameter`, `getState`, `setState`, `runningInit`,
 * `currentName`. Hot primitives: written with `Effect.withFiber`, no generator per call.
 */
import { Effect } from "effect"
import { Tensor } from "../transforms/core/Tensor.js"
import { sameShape } from "../transforms/core/aval.js"
import type { DType } from "../kernels/dtype.js"
import { CurrentModuleScope, Params, State, frameOf } from "./services.js"
import { MissingInitializerError, MissingParameterError, MissingStateError, NonEmptyStateError, ParameterShapeError } from "./errors.js"
import { buildTree, type Frame, type ParamTree } from "./Frame.js"
import type { Here, ParamSlot } from "./paths.js"
import { DO_NOT_STORE, Interceptors, LiftPrefix, runCreators, runGetters, runSetters, type AnyInitializer, type DoNotStore, type ValueContext } from "./interceptors.js"

/**
 * Makes an initial value for a parameter or state: a tensor, or an Effect (random
 * initializers need `hk.Rng`). `jnp.zeros` and `jnp.ones` are initializers.
 *
 * Haiku: `hk.initializers.Initializer`.
 *
 * @example
 * const init: hk.Initializer = (shape, dtype) => jnp.full(shape, 0.5, dtype)
 */
export type Initializer<R = never> = (shape: ReadonlyArray<number>, dtype: DType) => Tensor | Effect.Effect<Tensor, never, R>

/** Options of `getParameter` / `getState`. */
export interface ValueOptions {
  /** The dtype to create the value with (default float32). Not checked on reuse, as in Haiku. */
  readonly dtype?: DType
}

const showShape = (s: ReadonlyArray<number>) => `[${s.join(",")}]`

const runInit = <R>(init: Initializer<R>, shape: ReadonlyArray<number>, dtype: DType, fullName: string, then: (t: Tensor) => Tensor): Effect.Effect<Tensor, never, R> => {
  const v = init(shape, dtype)
  const check = (t: Tensor): Tensor => {
    if (!(t instanceof Tensor)) throw new MissingInitializerError({ fullName, message: `The initializer of '${fullName}' returned ${t === null ? "null" : typeof t}, not a Tensor. Parameters cannot be null: return a Tensor of shape ${showShape(shape)}.` })
    if (!sameShape(t.shape, shape)) throw ParameterShapeError.make(fullName, t.shape, shape, dtype)
    return then(t)
  }
  return Effect.isEffect(v) ? Effect.map(v, check) : Effect.sync(() => check(v))
}

/** The bundle (module path) values created here go to: the current module, or `"~"` at the top level. */
export const bundleOf = (scope: { readonly moduleName: string } | null): string => (scope === null ? "~" : scope.moduleName)

/**
 * Creates (in init) or reuses a parameter of the current module. In apply a missing parameter
 * is a `MissingParameterError`; a shape mismatch is a `ParameterShapeError`. The same name in
 * the same scope returns the identical tensor. Its requirement names the parameter
 * (`hk.ParamSlot`), so a literal name types the key of `init`'s result (see `hk.module`).
 *
 * Haiku: `hk.get_parameter`.
 *
 * @example
 * const net = (x: Tensor) => Effect.map(hk.getParameter("w", [2, 2], jnp.ones), (w) => jnp.matmul(w, x))
 */
export const getParameter = <R = never, const N extends string = string>(
  name: N,
  shape: ReadonlyArray<number>,
  init?: Initializer<R>,
  options?: ValueOptions
): Effect.Effect<Tensor, never, ParamSlot<Here, N> | R> =>
  Effect.withFiber((fiber) => {
    const frame = frameOf(fiber, Params, "hk.getParameter")
    const bundle = bundleOf(fiber.getRef(CurrentModuleScope))
    const existing = frame.params.get(bundle, name)
    const dtype = options?.dtype ?? "float32"
    const chains = fiber.getRef(Interceptors)
    if (chains.paramCreators.length > 0 || chains.paramGetters.length > 0) {
      return intercepted(frame, fiber.getRef(LiftPrefix), chains, bundle, name, shape, dtype, init, existing)
    }
    if (existing !== undefined) {
      if (!sameShape(existing.shape, shape)) throw ParameterShapeError.make(`${bundle}/${name}`, existing.shape, shape, dtype)
      return Effect.succeed(existing)
    }
    if (frame.frozen) throw MissingParameterError.make(name, bundle)
    if (init === undefined) throw missingInit(bundle, name, shape)
    return runInit(init, shape, dtype, `${bundle}/${name}`, (t) => {
      frame.params.set(bundle, name, t)
      return t
    })
  })

const missingInit = (bundle: string, name: string, shape: ReadonlyArray<number>) =>
  new MissingInitializerError({
    fullName: `${bundle}/${name}`,
    message: `Initializer must be specified. Parameter '${bundle}/${name}' does not exist yet, so it has to be created, and no init was given: pass one, e.g. hk.getParameter("${name}", ${showShape(shape)}, jnp.zeros).`
  })

/** `getParameter` with creators and getters in the fiber: Haiku's order — creators (only when missing), store, getters, shape check. */
const intercepted = (
  frame: Frame,
  liftPrefix: string | null,
  chains: { readonly paramCreators: ReadonlyArray<any>; readonly paramGetters: ReadonlyArray<any> },
  bundle: string,
  name: string,
  shape: ReadonlyArray<number>,
  dtype: DType,
  init: Initializer<any> | undefined,
  existing: Tensor | undefined
): Effect.Effect<Tensor, never, any> => {
  const ctx: ValueContext = {
    collection: "param",
    fullName: `${bundle}/${name}`,
    moduleName: bundle,
    name,
    originalShape: [...shape],
    originalDtype: dtype,
    originalInit: init,
    liftedPrefixName: frame.frozen ? null : liftPrefix
  }
  let value: Effect.Effect<Tensor | DoNotStore, never, any>
  if (existing !== undefined) value = Effect.succeed(existing)
  else {
    if (frame.frozen && chains.paramCreators.length === 0) throw MissingParameterError.make(name, bundle)
    const ini: AnyInitializer = init ?? (() => {
      throw missingInit(bundle, name, shape)
    })
    value = Effect.map(runCreators(chains.paramCreators, ctx, shape, dtype, ini), (v) => {
      if (v === DO_NOT_STORE) return v
      // Haiku: a parameter that has to be created in apply is missing, even if a creator could make it
      if (frame.frozen) throw MissingParameterError.make(name, bundle)
      frame.params.set(bundle, name, v)
      return v
    })
  }
  return Effect.flatMap(value, (v) => {
    if (chains.paramGetters.length > 0) return runGetters(chains.paramGetters, ctx, v)
    if (v === DO_NOT_STORE) return runGetters([], ctx, v) // dies: nothing supplies the value
    if (!sameShape(v.shape, shape)) throw ParameterShapeError.make(`${bundle}/${name}`, v.shape, shape, dtype)
    return Effect.succeed(v)
  })
}

/**
 * The parameters visible in the running transform, as a two-level tree (runs no getter).
 *
 * Haiku: `hk.experimental.get_params`.
 *
 * @example
 * const shared: hk.Getter<hk.Params> = (next, v, ctx) => ctx.moduleName === "dec" ? Effect.map(hk.getParams(), (p) => p["enc"]!["w"]!) : next(v)
 */
export const getParams = (): Effect.Effect<ParamTree, never, Params> =>
  Effect.withFiber((fiber) => Effect.succeed(buildTree(frameOf(fiber, Params, "hk.getParams").params.entries())))

/** The stateful handler that replaces the one whose frame keeps no state. */
const statefulFix = (handler: string): string =>
  handler === "hk.transform" ? "`hk.transformWithState`" : handler === "hk.multiTransform" ? "`hk.multiTransformWithState`" : "`hk.transformWithState` (`hk.multiTransformWithState` for hk.multiTransform)"

const stateFrame = (frame: Frame, api: string) => {
  if (frame.state === null) {
    throw new NonEmptyStateError({
      message:
        `If your transformed function uses \`hk.getState\`/\`hk.setState\` then use ${statefulFix(frame.handler)}: ${api} was called under ${frame.handler}, ` +
        `which has nowhere to keep state (its init returns params only).`
    })
  }
  return frame.state
}

/**
 * Reads a state value of the current module, creating it with `init` if missing (in init and
 * in apply, unlike parameters).
 *
 * Haiku: `hk.get_state`.
 *
 * @example
 * const counter = Effect.flatMap(hk.getState("n", [], jnp.zeros), (n) => hk.setState("n", jnp.add(n, 1)))
 */
export const getState = <R = never>(
  name: string,
  shape?: ReadonlyArray<number>,
  init?: Initializer<R>,
  options?: ValueOptions
): Effect.Effect<Tensor, never, State | R> =>
  Effect.withFiber((fiber) => {
    const frame = frameOf(fiber, State, "hk.getState")
    const state = stateFrame(frame, "hk.getState")
    const bundle = bundleOf(fiber.getRef(CurrentModuleScope))
    const chains = fiber.getRef(Interceptors)
    const dtype = options?.dtype ?? "float32"
    const ctx = (): ValueContext => ({
      collection: "state",
      fullName: `${bundle}/${name}`,
      moduleName: bundle,
      name,
      originalShape: shape === undefined ? [] : [...shape],
      originalDtype: dtype,
      originalInit: init,
      liftedPrefixName: frame.frozen ? null : fiber.getRef(LiftPrefix)
    })
    const read = (v: Tensor | DoNotStore): Effect.Effect<Tensor, never, any> =>
      chains.stateGetters.length > 0 ? runGetters(chains.stateGetters, ctx(), v) : v === DO_NOT_STORE ? runGetters([], ctx(), v) : Effect.succeed(v)
    const pair = state.get(bundle, name)
    if (pair !== undefined) return read(pair.current)
    if (init === undefined) {
      throw new MissingStateError({ name, module: bundle, message: `No value for '${name}' in '${bundle}', perhaps set an init function? State is created by the first hk.getState(name, shape, init) or hk.setState(name, value).` })
    }
    if (shape === undefined) {
      throw new MissingStateError({ name, module: bundle, message: `Must provide shape and dtype to initialize '${name}' in '${bundle}': hk.getState("${name}", shape, init).` })
    }
    const store = (t: Tensor) => {
      state.set(bundle, name, { initial: t, current: t })
      return t
    }
    if (chains.stateCreators.length === 0) return runInit(init, shape, dtype, `${bundle}/${name}`, store)
    return Effect.flatMap(runCreators(chains.stateCreators, ctx(), shape, dtype, init as AnyInitializer), (v) => read(v === DO_NOT_STORE ? v : store(v)))
  })

/**
 * Sets a state value of the current module: keeps its `initial` if it exists, else creates it
 * with `initial = current = value`.
 *
 * Haiku: `hk.set_state`.
 *
 * @example
 * hk.setState("n", jnp.array(3))
 */
export const setState = (name: string, value: Tensor): Effect.Effect<void, never, State> =>
  Effect.withFiber((fiber) => {
    const frame = frameOf(fiber, State, "hk.setState")
    const state = stateFrame(frame, "hk.setState")
    const bundle = bundleOf(fiber.getRef(CurrentModuleScope))
    if (!(value instanceof Tensor)) throw new MissingStateError({ name, module: bundle, message: `hk.setState("${name}", value): value must be a Tensor, got ${value === null ? "null" : typeof value}.` })
    const setters = fiber.getRef(Interceptors).setters
    if (setters.length === 0) {
      state.setCurrent(bundle, name, value)
      return Effect.void
    }
    const ctx: ValueContext = {
      collection: "state",
      fullName: `${bundle}/${name}`,
      moduleName: bundle,
      name,
      originalShape: value.shape,
      originalDtype: value.dtype,
      originalInit: undefined,
      liftedPrefixName: frame.frozen ? null : fiber.getRef(LiftPrefix)
    }
    return Effect.map(runSetters(setters, ctx, value), (v) => {
      if (v !== DO_NOT_STORE) state.setCurrent(bundle, name, v)
    })
  })

/**
 * `true` inside `init`, `false` inside `apply`.
 *
 * Haiku: `hk.running_init`.
 *
 * @example
 * const f = () => Effect.map(hk.runningInit(), (init) => (init ? "init" : "apply"))
 */
export const runningInit = (): Effect.Effect<boolean, never, Params> =>
  Effect.withFiber((fiber) => Effect.succeed(!frameOf(fiber, Params, "hk.runningInit").frozen))

/**
 * The current module name (`"~"` at the top level).
 *
 * Haiku: `hk.experimental.current_name`.
 *
 * @example
 * hk.currentName() // Effect<"~">
 */
export const currentName = (): Effect.Effect<string, never, Params> =>
  Effect.withFiber((fiber) => {
    frameOf(fiber, Params, "hk.currentName")
    return Effect.succeed(bundleOf(fiber.getRef(CurrentModuleScope)))
  })
