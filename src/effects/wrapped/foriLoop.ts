/**
 * `hk.foriLoop`: `jax.lax.foriLoop` over a Haiku-effectful body.
 *
 * - **params**: during init the first iteration runs unrolled in the outer frame (creating the
 *   parameters); the rest is one `jax.lax.foriLoop` whose body may only read them. During apply
 *   it is one `jax.lax.foriLoop`. Number bounds lower to a scan (reverse-mode differentiable);
 *   tensor bounds to a while loop (forward mode only), as in JAX.
 * - **state / rng**: carried, written back after the loop (see `carry.ts`).
 */
import { Effect } from "effect"
import { Tensor } from "../../transforms/core/Tensor.js"
import * as lax from "../../transforms/core/lax.js"
import { foriLoop as rawForiLoop } from "../../transforms/raw/control.js"
import { WrappedTransformError } from "../errors.js"
import type { Params } from "../services.js"
import type { ContextOf, ErrorOf, ValueOf } from "../transform.js"
import { callHere, carriedStep, carryOf, carryOut, narrow, runStep, writeCarry, type Carry, type Step } from "./carry.js"
import { finishRaw, freezeNames, snapshot, type Snapshot } from "./wrap.js"

type RawFori = (lower: number | Tensor, upper: number | Tensor, body: (i: Tensor, val: any) => unknown, init: unknown) => unknown
const runFori = rawForiLoop as unknown as RawFori

const API = "hk.foriLoop"

const checkBound = (b: unknown, which: string): number | Tensor => {
  if (typeof b === "number" ? Number.isInteger(b) : b instanceof Tensor && b.ndim === 0 && b.dtype === "int32") return b as number | Tensor
  throw new WrappedTransformError({ transform: API, message: `${API}: ${which} must be an integer or an int32 scalar tensor, got ${b instanceof Tensor ? b.aval.toString() : String(b)}.` })
}

const carried = (snap: Snapshot, body: (i: Tensor, val: any) => unknown, lower: number | Tensor, upper: number | Tensor, init: unknown): Effect.Effect<unknown, any, never> => {
  const [full] = carryOf(snap.outer)
  const probe = (step: Step, [i, v]: unknown[]) => void runStep(snap, step, body, [i, v])
  return Effect.flatMap(narrow(snap, full, [probe], [{ shape: [], dtype: "int32" }, init], API), ([layout, carry0]) => {
    const steps: Step[] = []
    const pure = (i: Tensor, [v, hs]: [unknown, Carry]) => {
      const step = carriedStep(snap, layout, hs, API)
      steps.push(step)
      const v2 = runStep(snap, step, body, [i, v])
      return [v2, carryOut(step, layout, hs, API)]
    }
    return Effect.map(
      finishRaw(() => runFori(lower, upper, pure, [init, carry0]) as [unknown, Carry]),
      ([v, hs]) => {
        writeCarry(snap, layout, hs, steps)
        return v
      }
    )
  })
}

/**
 * `for (i = lower; i < upper; i++) val = body(i, val)` with a Haiku-effectful body; `i` is an
 * int32 scalar tensor. During init the first iteration is unrolled so it can create parameters.
 *
 * Haiku: `hk.fori_loop`.
 *
 * @example
 * declare const lin: (x: Tensor) => Effect.Effect<Tensor, never, hk.Params | hk.Rng>
 * const out = yield* hk.foriLoop(0, 3, (i: Tensor, x: Tensor) => lin(x), x)   // lin applied 3 times, one set of params
 * @typeParam F - the body's type, inferred (it may use Haiku services)
 */
export const foriLoop = <F extends (i: Tensor, val: any) => any>(
  lower: number | Tensor,
  upper: number | Tensor,
  body: F,
  init: Parameters<F>[1]
): Effect.Effect<ValueOf<ReturnType<F>>, ErrorOf<ReturnType<F>>, ContextOf<ReturnType<F>> | Params> =>
  Effect.withFiber((fiber) => {
    const snap = freezeNames(snapshot(fiber, API, "jax.lax.foriLoop"))
    const lo = checkBound(lower, "lower")
    const hi = checkBound(upper, "upper")
    if (snap.outer.frozen) return carried(snap, body, lo, hi, init)
    // init: unroll the first iteration so it creates the parameters and state
    const loT = typeof lo === "number" ? lax.scalar(lo, "int32") : lo
    const empty = typeof lo === "number" && typeof hi === "number" && hi <= lo
    return Effect.flatMap(callHere(body, [loT, init]), (v1) => {
      // no iterations: the body ran for its parameters only (Haiku would return its value; the loop's value is init)
      if (empty) return Effect.succeed(init)
      const next = typeof lo === "number" ? lo + 1 : lax.add(lo, lax.scalar(1, "int32"))
      if (typeof next === "number" && typeof hi === "number" && next >= hi) return Effect.succeed(v1)
      return carried(snap, body, next, hi, v1)
    })
  }) as any
