/**
 * `hk.whileLoop`: `jax.lax.whileLoop` over a Haiku-effectful body.
 *
 * - **init**: rejected, as in Haiku — whether the loop runs at least once (and so whether the
 *   body's parameters get created) cannot be known statically.
 * - **params**: read-only constants of the body.
 * - **state / rng**: carried through the body; `cond` must not change them.
 * - Forward-mode differentiable only (as `jax.lax.whileLoop`).
 */
import { Effect } from "effect"
import { Tensor } from "../../transforms/core/Tensor.js"
import { whileLoop as rawWhileLoop } from "../../transforms/raw/control.js"
import { WrappedTransformError } from "../errors.js"
import type { Params } from "../services.js"
import type { ContextOf, ErrorOf } from "../transform.js"
import { carriedStep, carryOf, carryOut, narrow, runStep, stepChanged, writeCarry, type Carry, type Step } from "./carry.js"
import { finishRaw, freezeNames, snapshot } from "./wrap.js"

type RawWhile = (cond: (val: any) => unknown, body: (val: any) => unknown, init: unknown) => unknown
const runWhile = rawWhileLoop as unknown as RawWhile

const API = "hk.whileLoop"

/**
 * `while (cond(val)) val = body(val)` with Haiku-effectful `cond` and `body`. Not allowed during
 * init: run the body unconditionally there (see the error). `cond` must not set state or draw
 * keys.
 *
 * Haiku: `hk.while_loop`.
 *
 * @example
 * const f = (x: Tensor) => Effect.gen(function* () {
 *   const lin = yield* hk.Linear(2)
 *   if (yield* hk.runningInit()) return yield* lin(x)
 *   return yield* hk.whileLoop((v: Tensor) => jnp.less(jnp.sum(v), 10), (v: Tensor) => lin(v), x)
 * })
 * @typeParam C - the condition's type, inferred
 * @typeParam B - the body's type, inferred (both may use Haiku services)
 */
export const whileLoop = <T, C extends (val: T) => any, B extends (val: T) => any>(
  cond: C,
  body: B,
  init: T
): Effect.Effect<T, ErrorOf<ReturnType<C>> | ErrorOf<ReturnType<B>>, ContextOf<ReturnType<C>> | ContextOf<ReturnType<B>> | Params> =>
  Effect.withFiber((fiber) => {
    const snap = freezeNames(snapshot(fiber, API, "jax.lax.whileLoop"))
    if (!snap.outer.frozen) {
      throw new WrappedTransformError({
        transform: API,
        message:
          "hk.whileLoop does not support initialization (since we cannot statically determine if your loop will run at least once). " +
          "Please use `hk.runningInit` to run the body unconditionally: if (yield* hk.runningInit()) { val = yield* body(val) } else { val = yield* hk.whileLoop(cond, body, val) }."
      })
    }
    const [full] = carryOf(snap.outer)
    const probe = (step: Step, [v]: unknown[]) => void runStep(snap, step, body, [v])
    return Effect.flatMap(narrow(snap, full, [probe], [init], API), ([layout, carry0]) => {
      const steps: Step[] = []
      const pureCond = ([v, hs]: [T, Carry]): Tensor | boolean => {
        const step = carriedStep(snap, layout, hs, API)
        const out = runStep(snap, step, cond, [v])
        if (stepChanged(step, layout, hs)) {
          throw new WrappedTransformError({
            transform: API,
            message: "`hk.whileLoop` does not support `hk.setState`, `hk.nextRngKey` (et al) in `cond`: it runs once per iteration outside the carried state. Move the state change or key draw into `body`."
          })
        }
        return out as Tensor | boolean
      }
      const pureBody = ([v, hs]: [T, Carry]) => {
        const step = carriedStep(snap, layout, hs, API)
        steps.push(step)
        const v2 = runStep(snap, step, body, [v])
        return [v2, carryOut(step, layout, hs, API)]
      }
      return Effect.map(
        finishRaw(() => runWhile(pureCond, pureBody, [init, carry0]) as [T, Carry]),
        ([v, hs]) => {
          writeCarry(snap, layout, hs, steps)
          return v
        }
      )
    })
  })
