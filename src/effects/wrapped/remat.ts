/**
 * `hk.remat`: `jax.checkpoint` over a Haiku-effectful function. Its intermediate values are
 * recomputed in the backward pass instead of stored.
 *
 * - **params**: read as constants (so gradients w.r.t. them flow); created in init and
 *   returned as outputs of the checkpoint.
 * - **state / rng**: changes are outputs, written back.
 * - **names**: shared with the outer frame (Haiku's `share_python_state=True`): a module created
 *   inside advances the outer counters exactly as if `f` were called directly.
 */
import { Effect } from "effect"
import { checkpoint as rawCheckpoint } from "../../transforms/raw/control.js"
import type { Params } from "../services.js"
import type { ContextOf, ErrorOf, ValueOf } from "../transform.js"
import { Frame, ParamStore, StateStore } from "../Frame.js"
import { collect, finishRaw, newLayout, runSyncIn, snapshot, writeBack, type Threaded } from "./wrap.js"
import { frameContext, runIn } from "../services.js"

type RawCheckpoint = (f: (...args: any[]) => unknown) => (...args: unknown[]) => unknown
const runCheckpoint = rawCheckpoint as unknown as RawCheckpoint

/**
 * `f` with its activations rematerialised during the backward pass; same values and gradients.
 *
 * Haiku: `hk.remat`.
 *
 * @example
 * const mlp = yield* hk.nets.MLP([8, 8])
 * const block = hk.remat((x: Tensor) => mlp(x))
 * const out = yield* block(x)
 * @typeParam F - the function's type, inferred (it may use Haiku services)
 */
export const remat =
  <F extends (...args: any[]) => any>(f: F) =>
  (...args: Parameters<F>): Effect.Effect<ValueOf<ReturnType<F>>, ErrorOf<ReturnType<F>>, ContextOf<ReturnType<F>> | Params> =>
    Effect.withFiber((fiber) => {
      const snap = snapshot(fiber, "hk.remat", "jax.checkpoint")
      const outer = snap.outer
      const layout = newLayout()
      const pure = (...a: unknown[]): [unknown, Threaded] => {
        // the module-name counters and scope are the outer ones themselves (shared, not copied)
        const inner = new Frame(outer.frozen, new ParamStore(outer.params), outer.state === null ? null : new StateStore(outer.state), [outer.rng?.clone() ?? null], outer.names, "hk.remat")
        const out = runSyncIn(snap, runIn(frameContext(inner, snap.scope), f as any, a))
        return [out, collect(inner, layout)]
      }
      return Effect.map(finishRaw(() => runCheckpoint(pure)(...args) as [unknown, Threaded]), ([out, t]) => {
        writeBack(outer, layout, t, { rng: true })
        return out as ValueOf<ReturnType<F>>
      })
    })
