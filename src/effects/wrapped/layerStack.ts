/**
 * `hk.layerStack`: apply a Haiku-effectful layer `numLayers` times with **unshared**
 * parameters, as one `jax.lax.scan` over stacked parameters.
 *
 * - **params / state**: the layer is an inner `hk.transformWithState`; its init runs once per
 *   layer (inside a scan) and the results are stacked with a leading `numLayers` axis. They are
 *   registered through `hk.liftWithState` (`hk.lift` under `hk.transform`) with
 *   `allowReuse: true`, under `__layer_stack_no_per_layer/…` (or
 *   `__layer_stack_with_per_layer/…`, or `name/…`), uniquified like a module name.
 * - **apply**: one `jax.lax.scan` whose scanned inputs are the stacked params, state and keys.
 * - **rng**: one key is drawn for init (split per layer inside the scan: init key, next key,
 *   apply key), and one for apply, split into `numLayers` keys.
 */
import { Effect, type Fiber } from "effect"
import { Tensor } from "../../transforms/core/Tensor.js"
import * as tree from "../../transforms/core/tree.js"
import * as lax from "../../transforms/core/lax.js"
import { scan as rawScan } from "../../transforms/raw/control.js"
import * as random from "../../transforms/random/random.js"
import type { Key } from "../../transforms/random/random.js"
import { asTensor } from "../../transforms/raw/args.js"
import { maybeNextRngKey } from "../rng.js"
import { transformWithState, type TransformedWithState } from "../transform.js"
import { NestedInitAllowed, type Naming, type Params, type Rng } from "../services.js"
import { NonEmptyStateError, WrappedTransformError } from "../errors.js"
import type { ParamTree, StateTree } from "../Frame.js"
import type { ContextOf, ErrorOf, ValueOf } from "../transform.js"
import type { Erase } from "../paths.js"
import { lift, liftWithState } from "../lift.js"
import { callHere } from "./carry.js"
import { finishRaw, runSyncIn, snapshot } from "./wrap.js"

/** Options of {@link layerStack}. */
export interface LayerStackOptions {
  /**
   * `false` (default): `f(...args)` returns the next `args` (a single value if it takes one).
   * `true`: `f(x, ...ys)` returns `[x, z]`, each `ys` leaf has a leading `numLayers` axis (layer
   * `i` gets row `i`), and the stack returns `[x, zs]`.
   */
  readonly withPerLayerInputs?: boolean
  /** The name the stacked params live under (default `__layer_stack_no_per_layer` / `__layer_stack_with_per_layer`). */
  readonly name?: string
}

type Fn = (...args: any[]) => any
type RawScan = (f: (c: any, x: any) => unknown, init: unknown, xs: unknown, options: { length?: number }) => unknown
const runScan = rawScan as unknown as RawScan
type Layer = TransformedWithState<any[], [unknown, unknown], any, never>

const API = "hk.layerStack"
const err = (message: string) => new WrappedTransformError({ transform: API, message: `${API}: ${message}` })

const keyRow = (keys: Tensor, i: number): Key => lax.reshape(lax.slice(keys, [i, 0], [i + 1, 2]), [2]) as Key

const runSync = <A>(fiber: Fiber.Fiber<unknown, unknown>, effect: Effect.Effect<A, any, any>): A => runSyncIn({ fiber, api: "hk.layerStack" } as any, effect)

/** Init every layer inside a scan: carry `[x, rng]`, outputs the stacked `[params, state]`. */
const initLayers = (inner: Layer, numLayers: number, x: unknown, ys: unknown[], key: Key | null, withState: boolean) =>
  Effect.withFiber((fiber) => {
    const body = ([c, r]: [unknown, Key[]], y: unknown[]) => {
      let keys: [Key | null, Key[], Key | null] = [null, [], null]
      if (r.length > 0) {
        const ks = random.split(r[0]!, 3)
        keys = [keyRow(ks, 0), [keyRow(ks, 1)], keyRow(ks, 2)]
      }
      const [p, s] = runSync(fiber, Effect.provideService(inner.init(keys[0], c, ...y), NestedInitAllowed, true))
      const [[c2]] = runSync(fiber, inner.apply(p, s, keys[2], c, ...y))
      return [[c2, keys[1]], [p, s]]
    }
    return Effect.map(
      finishRaw(() => runScan(body, [x, key === null ? [] : [key]], ys, { length: numLayers }) as [unknown, [ParamTree, StateTree]]),
      ([, [params, state]]) => {
        if (!withState && tree.leaves(state).length > 0) {
          throw new NonEmptyStateError({
            message: `${API}: the layer uses Haiku state (hk.getState / hk.setState), which hk.transform cannot keep. Use hk.transformWithState for the outer function.`
          })
        }
        return withState ? ([params, state] as const) : params
      }
    )
  })

/** Apply every layer in a scan over the stacked params, state and keys. */
const applyLayers = (inner: Layer, numLayers: number, params: ParamTree, state: StateTree, x: unknown, ys: unknown[]) =>
  Effect.flatMap(maybeNextRngKey(), (key) =>
    Effect.withFiber((fiber) => {
      const keys = key === null ? null : random.split(key, numLayers)
      const body = (c: unknown, [p, s, k, y]: [ParamTree, StateTree, Key | null, unknown[]]) => {
        const [[c2, z], s2] = runSync(fiber, inner.apply(p, s, k ?? null, c, ...y))
        return [c2, [z, s2]]
      }
      return finishRaw(() => runScan(body, x, [params, state, keys, ys], { length: numLayers }) as [unknown, [unknown, StateTree]])
    })
  )

/**
 * Wraps a Haiku-effectful layer `f` so it is applied `numLayers` times in sequence, each time
 * with its own parameters (and state), stored stacked with a leading `numLayers` axis.
 *
 * Haiku: `hk.layer_stack` (`hk.experimental.layer_stack`).
 *
 * @example
 * const block = (x: Tensor) => Effect.flatMap(hk.Linear(64), (lin) => Effect.map(lin(x), jax.nn.relu))
 * const y = yield* hk.layerStack(4)(block)(x)   // params "__layer_stack_no_per_layer/linear": { w: [4, 64, 64], b: [4, 64] }
 */
export const layerStack =
  (numLayers: number, options: LayerStackOptions = {}) =>
  <F extends Fn>(f: F) =>
  (...args: Parameters<F>): Effect.Effect<ValueOf<ReturnType<F>>, ErrorOf<ReturnType<F>>, Erase<ContextOf<ReturnType<F>>> | Params | Rng | Naming> =>
    Effect.withFiber((fiber) => {
      const snap = snapshot(fiber, API, "jax.lax.scan")
      if (!Number.isInteger(numLayers) || numLayers < 1) throw err(`numLayers must be a positive integer, got ${numLayers}.`)
      const perLayer = options.withPerLayerInputs ?? false
      const name = options.name ?? (perLayer ? "__layer_stack_with_per_layer" : "__layer_stack_no_per_layer")
      if (perLayer && args.length === 0) throw err("withPerLayerInputs: the stack must be called with the carry x first, then the per-layer inputs.")
      const single = args.length === 1
      // one layer as (carry, ...perLayerInputs) -> [carry, z]
      const layerFn = perLayer
        ? (c: unknown, ...y: unknown[]) =>
            Effect.map(callHere(f, [c, ...y]), (out) => {
              if (!Array.isArray(out) || out.length !== 2) throw err("with withPerLayerInputs, f(x, ...ys) must return [x, z].")
              return out
            })
        : (c: unknown[]) => Effect.map(callHere(f, c), (out) => [single ? [out] : out, null])
      const inner = transformWithState(layerFn as any) as unknown as Layer
      const x = perLayer ? args[0] : [...args]
      const ys = perLayer ? args.slice(1) : []
      for (const leaf of tree.leaves(ys).map((l) => asTensor(l, API, "output"))) {
        if (leaf.ndim === 0 || leaf.shape[0] !== numLayers) throw err(`every per-layer input needs a leading axis of size numLayers = ${numLayers}; got ${leaf.aval}.`)
      }
      const finish = ([c, zs]: [unknown, unknown]) => (perLayer ? [c, zs] : single ? (c as unknown[])[0] : c) as ValueOf<ReturnType<F>>
      return Effect.flatMap(maybeNextRngKey(), (initKey) => {
        if (snap.outer.state === null) {
          const lifted = lift(() => initLayers(inner, numLayers, x, ys, initKey, false) as Effect.Effect<ParamTree, any, never>, { name, allowReuse: true })
          return Effect.flatMap(lifted(), (params) =>
            Effect.map(applyLayers(inner, numLayers, params, {}, x, ys), ([c, [zs, states]]) => {
              if (tree.leaves(states).length > 0) {
                throw new NonEmptyStateError({ message: `${API}: the layer created Haiku state in apply, which hk.transform cannot keep. Use hk.transformWithState for the outer function.` })
              }
              return finish([c, zs])
            })
          )
        }
        const lifted = liftWithState(() => initLayers(inner, numLayers, x, ys, initKey, true) as Effect.Effect<readonly [ParamTree, StateTree], any, never>, { name, allowReuse: true })
        return Effect.map(
          lifted([], (params, state) => Effect.map(applyLayers(inner, numLayers, params, state, x, ys), ([c, [zs, states]]) => [[c, zs] as [unknown, unknown], states] as const)),
          finish
        )
      })
    }) as any
