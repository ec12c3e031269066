/**
 * Haiku's hidden state as Effect services. `R` is the documentation: a module body reads
 * `Effect<Tensor, never, Params | Rng>`, and a handler's type removes what it provides.
 * All four services are views of the same {@link Frame}; handlers and `hk.*` wrappers provide
 * them together (one context built once per frame).
 */
import { Context, Effect, Fiber } from "effect"
import { UnexpectedTracerError } from "../transforms/core/errors.js"
import { currentLevel, currentTransform } from "../transforms/core/trace.js"
import { setModulePathReader } from "../transforms/core/debugNans.js"
import type { RawFixes } from "../transforms/raw/purity.js"
import { RawTransformScope } from "../transforms/raw/effectful.js"
import { Frame, NameTable } from "./Frame.js"
import { HaikuContextError } from "./errors.js"

/**
 * Parameters: `hk.getParameter` needs it. Provided by `hk.transform*`.
 *
 * Haiku: the `params` of a frame (`hk.get_parameter`).
 *
 * @example
 * const w: Effect.Effect<Tensor, never, hk.Params> = hk.getParameter("w", [2], jnp.ones)
 */
export class Params extends Context.Service<Params, Frame>()("tanka/hk/Params") {
  declare readonly "~tanka/HaikuService": "Params"
}

/**
 * State (`{initial, current}` pairs): `hk.getState`/`hk.setState` need it. Provided by
 * `hk.transformWithState` only, so `hk.transform` of a stateful function does not type-check.
 *
 * Haiku: the `state` of a frame (`hk.get_state`).
 */
export class State extends Context.Service<State, Frame>()("tanka/hk/State") {
  declare readonly "~tanka/HaikuService": "State"
}

/**
 * The rng stack: `hk.nextRngKey` and random initializers need it.
 *
 * Haiku: the `rng_stack` of a frame (`hk.next_rng_key`).
 */
export class Rng extends Context.Service<Rng, Frame>()("tanka/hk/Rng") {
  declare readonly "~tanka/HaikuService": "Rng"
}

/**
 * Module names: constructing a module reserves a unique name through it.
 *
 * Haiku: the `counter_stack`/`used_names_stack` of a frame.
 */
export class Naming extends Context.Service<Naming, Frame>()("tanka/hk/Naming") {
  declare readonly "~tanka/HaikuService": "Naming"
}

/** Every Haiku service; handlers remove these from `R`. */
export type HaikuServices = Params | State | Rng | Naming

/**
 * The module method (or name scope) currently running: its full module name, the method, and
 * fresh name counters for children created during this call. `null` at the top level.
 */
export interface ModuleScope {
  readonly moduleName: string
  readonly methodName: string
  readonly names: NameTable
}

/** The current module scope (`null` = top level of the frame). A Reference: never in `R`. */
export const CurrentModuleScope = Context.Reference<ModuleScope | null>("tanka/hk/ModuleScope", { defaultValue: () => null })

// jax.config debugNans/debugInfs name the module a primitive ran in; read only when one raises
// (or while a flag is on and a jaxpr is traced), from the fiber running the module's method
setModulePathReader(() => Fiber.getCurrent()?.getRef(CurrentModuleScope)?.moduleName ?? null)

/** Set by `hk.lift`/`hk.unregistered` for exactly the inner init they run. */
export const NestedInitAllowed = Context.Reference<boolean>("tanka/hk/NestedInitAllowed", { defaultValue: () => false })

/** The Haiku wrapper that replaces each raw transform: the same strings the compile-time messages use. */
const FIX: RawFixes = {
  "jax.vmap": "hk.vmap(f, { splitRng })",
  "jax.evalShape": "hk.evalShape(f, ...args)",
  "jax.grad": "hk.grad(f)",
  "jax.valueAndGrad": "hk.valueAndGrad(f)",
  "jax.jvp": "hk.jvp(f, primals, tangents)",
  "jax.vjp": "hk.grad(f) or hk.valueAndGrad(f)",
  "jax.linearize": "hk.jvp(f, primals, tangents)",
  "jax.jit": "hk.transform(f) and jax.jit its init/apply",
  "jax.makeJaxpr": "hk.transform(f) and jax.makeJaxpr its init/apply",
  "jax.checkpoint": "hk.remat(f)",
  "jax.lax.scan": "hk.scan(f, init, xs)",
  "jax.lax.map": "hk.map(f, xs)",
  "jax.lax.cond": "hk.cond(pred, trueFn, falseFn, ...operands)",
  "jax.lax.switch": "hk.switch(index, branches, ...operands)",
  "jax.lax.whileLoop": "hk.whileLoop(condFn, bodyFn, init)",
  "jax.lax.foriLoop": "hk.foriLoop(lower, upper, bodyFn, init)"
}

/** The Haiku wrapper that replaces a raw transform, for messages. */
export const fixFor = (raw: string): string =>
  Object.prototype.hasOwnProperty.call(FIX, raw) ? FIX[raw as keyof RawFixes] : "the hk.* version of the transform (hk.vmap, hk.scan, …)"

/** The UnexpectedTracerError a Haiku operation raises when it runs inside a raw transform. */
export const rawTransformError = (api: string, raw: string): UnexpectedTracerError =>
  new UnexpectedTracerError({
    transform: raw,
    message:
      `${api} was called inside the raw ${raw}: use ${fixFor(raw)} instead, or hk.transform(f) + hk.lift(init) and pass the pure apply to ${raw}. ` +
      `The function is Haiku-effectful (it reads or writes params/state/rng/module names), and ${raw} traces it as if it were pure, so the Haiku state would leak as tracers.`
  })

/** A Haiku operation ran with the state of a run that a raw transform traced and that has since returned (its context was captured and provided again). */
const staleFrameError = (api: string, frame: Frame): UnexpectedTracerError =>
  new UnexpectedTracerError({
    transform: frame.handler,
    message:
      `${api} used the Haiku state of a ${frame.handler} run that a raw transform traced and that has returned (its context was captured, e.g. with Effect.context, and provided again later); ` +
      `that state holds tracers of the finished trace. Run Haiku operations only inside their own init/apply, and pass values out as the function's result.`
  })

/**
 * The frame of the running handler, for the Haiku operation `api`. Throws (a defect) when there
 * is none, or when a raw transform is tracing the caller: either the fiber says so
 * (`RawTransformScope`), or the trace level differs from the one the frame was built at. The
 * second check holds even when user code provides a captured context again
 * (`Effect.provideContext`, a module turned into a `Layer`), which overwrites the first.
 */
export const frameOf = (fiber: Fiber.Fiber<unknown, unknown>, service: typeof Params | typeof State | typeof Rng | typeof Naming, api: string): Frame => {
  const raw = fiber.getRef(RawTransformScope)
  if (raw !== null) throw rawTransformError(api, raw)
  const frame = Context.getOrUndefined(fiber.context as Context.Context<never>, service as typeof Params)
  if (frame === undefined) throw HaikuContextError.make(api)
  const level = currentLevel()
  if (level > frame.level) throw rawTransformError(api, currentTransform())
  if (level < frame.level) throw staleFrameError(api, frame)
  return frame
}

/** The running frame if any (no checks). */
export const maybeFrame = (fiber: Fiber.Fiber<unknown, unknown>): Frame | undefined =>
  Context.getOrUndefined(fiber.context as Context.Context<never>, Params as typeof Params)

/** The context that provides `frame` as all four services, at the top level, outside any raw transform. */
export const frameContext = (frame: Frame, scope: ModuleScope | null = null): Context.Context<never> =>
  Context.makeUnsafe(
    new Map<string, unknown>([
      [Params.key, frame],
      [State.key, frame],
      [Rng.key, frame],
      [Naming.key, frame],
      [CurrentModuleScope.key, scope],
      [NestedInitAllowed.key, false],
      [RawTransformScope.key, null]
    ])
  )

/** Run `f(...args)` (a value or an Effect) with `ctx` provided, also while `f` itself runs (a raw transform called synchronously by `f` sees the frame). */
export const runIn = <A, E, R>(ctx: Context.Context<never>, f: (...args: any[]) => A | Effect.Effect<A, E, R>, args: ReadonlyArray<unknown>): Effect.Effect<A, E, Exclude<R, HaikuServices>> =>
  Effect.provideContext(
    Effect.suspend(() => {
      const out = f(...args)
      return (Effect.isEffect(out) ? out : Effect.succeed(out)) as Effect.Effect<A, E, never>
    }),
    ctx
  )
