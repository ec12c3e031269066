/**
 * `hk.evalShape`: `jax.evalShape` over a Haiku-effectful function. Every state change is
 * discarded: no parameter is created, no state set, no key drawn from the outer sequence; and
 * no kernel runs.
 */
import { Effect } from "effect"
import type { ShapeOf } from "../../transforms/raw/purity.js"
import { evalShape as rawEvalShape } from "../../transforms/raw/jit.js"
import type { ContextOf, ErrorOf, ValueOf } from "../transform.js"
import { finishRaw, innerFrame, newLayout, pureBody, snapshot } from "./wrap.js"

export type { ShapeOf }

/**
 * The shapes and dtypes `f(...args)` would return, by abstract evaluation on a copy of the
 * Haiku state that is then thrown away.
 *
 * Haiku: `hk.eval_shape`.
 *
 * @example
 * const f = (x: Tensor) => Effect.gen(function* () {
 *   const net = yield* hk.nets.MLP([300, 100])
 *   const shape = yield* hk.evalShape(net, x)   // { shape: [100, 100], dtype: "float32" }
 *   return yield* net(x)
 * })
 * @typeParam F - the function's type, inferred (it may use Haiku services)
 */
export const evalShape = <F extends (...args: any[]) => any>(f: F, ...args: Parameters<F>): Effect.Effect<ShapeOf<ValueOf<ReturnType<F>>>, ErrorOf<ReturnType<F>>, ContextOf<ReturnType<F>>> =>
  Effect.withFiber((fiber) => {
    const snap = snapshot(fiber, "hk.evalShape", "jax.evalShape")
    const pure = pureBody(snap, f, (a) => [innerFrame(snap, snap.outer.rng?.clone() ?? null, "hk.evalShape"), a], newLayout())
    return finishRaw(() => (rawEvalShape(pure, ...args) as [unknown, unknown])[0] as ShapeOf<ValueOf<ReturnType<F>>>)
  })
