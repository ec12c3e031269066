/**
 * Haiku's hidden state as Effect services. `R` is the documentation: a module body reads
 * `Effect<Tensor, never, Params | Rng>`, and a handler's type removes what it provides.
 * All four services are views of the same {@link Frame}; handlers and `hk.*` wrappers provide
 * them together (one context built once per frame).
 */
import { Context, Effect, type Fiber } from "effect"
import { UnexpectedTracerError } from "../transforms/core/errors.js"
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

/** Set by `hk.lift`/`hk.unregistered` for exactly the inner init they run. */
export const NestedInitAllowed = Context.Reference<boolean>("tanka/hk/NestedInitAllowed", { defaultValue: () => false })

const FIX: Record<string, string> = {
  "jax.vmap": "hk.vmap(f, { splitRng })",
  "jax.evalShape": "hk.evalShape(f, ...args)",
  "jax.grad": "hk.grad(f)",
  "jax.valueAndGrad": "hk.valueAndGrad(f)",
  "jax.jvp": "hk.jvp(f, primals, tangents)",
  "jax.vjp": "hk.grad / hk.valueAndGrad",
  "jax.linearize": "hk.jvp",
  "jax.jit": "hk.transform(f) and jit its init/apply",
  "jax.makeJaxpr": "hk.transform(f) and trace its init/apply",
  "jax.lax.scan": "hk.scan",
  "jax.lax.cond": "hk.cond",
  "jax.lax.switch": "hk.switch",
  "jax.lax.whileLoop": "hk.whileLoop",
  "jax.lax.foriLoop": "hk.foriLoop",
  "jax.checkpoint": "hk.remat"
}

/** The Haiku wrapper that replaces a raw transform, for messages. */
export const fixFor = (raw: string): string => FIX[raw] ?? "the hk.* version of the transform"

/** The UnexpectedTracerError a Haiku operation raises when it runs inside a raw transform. */
export const rawTransformError = (api: string, raw: string): UnexpectedTracerError =>
  new UnexpectedTracerError({
    transform: raw,
    message:
      `${api} was called inside the raw ${raw}: this function is Haiku-effectful (it reads or writes params/state/rng/module names), ` +
      `and ${raw} traces its function as if it were pure, so the Haiku state would leak as tracers. ` +
      `Use ${fixFor(raw)} instead, or hk.transform(f) + hk.lift(init) and pass the pure apply to ${raw}.`
  })

/**
 * The frame of the running handler, for the Haiku operation `api`. Throws (a defect) when there
 * is none, or when a raw transform is running the caller's Effect.
 */
export const frameOf = (fiber: Fiber.Fiber<unknown, unknown>, service: typeof Params | typeof State | typeof Rng | typeof Naming, api: string): Frame => {
  const raw = fiber.getRef(RawTransformScope)
  if (raw !== null) throw rawTransformError(api, raw)
  const frame = Context.getOrUndefined(fiber.context as Context.Context<never>, service as typeof Params)
  if (frame === undefined) throw HaikuContextError.make(api)
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
