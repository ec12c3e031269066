/**
 * Raw transforms accept functions returning a value or an `Effect<A, E, never>`. The Effect is
 * run synchronously while the transform traces, inside the caller's fiber context with
 * `RawTransformScope` set, so a Haiku operation reached from it (a plain-JS caller that bypassed
 * the types) fails with an UnexpectedTracerError naming this transform's Haiku wrapper instead
 * of silently leaking. User code can overwrite the reference (by providing a captured context
 * again); the Haiku frame's trace level is the check that cannot be bypassed (`effects/services.ts`).
 */
import { Cause, Context, Effect, Exit, Fiber } from "effect"
import { AsyncBodyError } from "../core/errors.js"

/** The raw transform currently running an Effect body (`null` outside any). */
export const RawTransformScope = Context.Reference<string | null>("tanka/RawTransformScope", { defaultValue: () => null })

/** Carries a typed failure of an Effect body out through the tracer machinery. */
export class EffectBodyFailure {
  constructor(readonly cause: Cause.Cause<unknown>) {}
}

/** Call `f`; if it returns an Effect, run it under the raw transform `name`. */
export const callBody = (f: (...args: any[]) => unknown, args: ReadonlyArray<unknown>, name: string, seen: { effectful: boolean }): unknown => {
  const out = f(...args)
  if (!Effect.isEffect(out)) return out
  seen.effectful = true
  const fiber = Fiber.getCurrent()
  const base = fiber ? (fiber.context as Context.Context<never>) : Context.empty()
  const exit = Effect.runSyncExitWith(Context.add(base, RawTransformScope, name))(out as Effect.Effect<unknown, unknown, never>)
  if (Exit.isSuccess(exit)) return exit.value
  const defect = Cause.squash(exit.cause)
  // defects (thrown errors) propagate as themselves; typed failures are re-raised as the Effect's E
  if (Cause.hasFails(exit.cause)) throw new EffectBodyFailure(exit.cause)
  if (Cause.isAsyncFiberError(defect)) throw AsyncBodyError.make(name)
  throw defect
}

/** Wrap a transform's result back into an Effect when the body was effectful. */
export const finish = <A>(seen: { effectful: boolean }, run: () => A): A | Effect.Effect<A, unknown> => {
  try {
    const out = run()
    return seen.effectful ? Effect.succeed(out) : out
  } catch (e) {
    if (e instanceof EffectBodyFailure) return Effect.failCause(e.cause)
    throw e
  }
}
