/**
 * `hk.Sequential`: call layers one after another.
 */
import { Effect } from "effect"
import type { Tensor } from "../../transforms/core/Tensor.js"
import { attach, module, type Module } from "../../effects/module.js"
import type { Naming, Params, Rng } from "../../effects/services.js"

/**
 * A layer: a function of a tensor (and, for the first layer, extra arguments) returning a tensor
 * or an Effect of one. `R` says which services its Effect may need: by default parameters,
 * randomness and module names, the services of a stateless module (`hk.Linear`, `hk.Conv2D`,
 * `hk.nets.MLP`), so a list typed `hk.Layer[]` still tells `hk.transform` and the raw `jax.*`
 * transforms what it needs. A list holding stateful layers says so:
 * `hk.Layer<hk.Params | hk.State | hk.Rng>`.
 *
 * @example
 * const layers: hk.Layer[] = []
 * for (const n of [8, 8, 2]) layers.push(yield* hk.Linear(n))
 * const net = yield* hk.Sequential(layers)   // hk.transform accepts it: no hk.State
 */
export type Layer<R = Params | Rng | Naming, E = never> = (x: Tensor, ...args: any[]) => Tensor | Effect.Effect<Tensor, E, R>

type ContextOf<O> = O extends Effect.Effect<any, any, infer R> ? R : never
type ErrorOf<O> = O extends Effect.Effect<any, infer E, any> ? E : never
type Rest<F> = F extends (x: Tensor, ...args: infer A) => any ? A : []

/** A constructed `hk.Sequential` of `L`: its first layer's extra arguments, the union of the layers' requirements. */
export type Sequential<L extends ReadonlyArray<Layer<any, any>>> = Module<
  (x: Tensor, ...args: Rest<L[0]>) => Effect.Effect<Tensor, ErrorOf<ReturnType<L[number]>>, ContextOf<ReturnType<L[number]>>>,
  { readonly layers: L }
>

/**
 * Runs `layers` in order; extra call arguments go to the first layer only, as in Haiku. Layers
 * may be modules or plain functions (`jax.nn.relu`).
 *
 * Haiku: `hk.Sequential`.
 *
 * @example
 * const f = (x: Tensor) => Effect.gen(function* () {
 *   const net = yield* hk.Sequential([yield* hk.Linear(8), jax.nn.relu, yield* hk.Linear(2)])
 *   return yield* net(x)
 * })
 */
export const Sequential = <const L extends ReadonlyArray<Layer<any, any>>>(layers: L, options: { readonly name?: string } = {}): Effect.Effect<Sequential<L>, never, Naming> =>
  module(options.name ?? "sequential", (self) => {
    const body = (x: Tensor, args: ReadonlyArray<unknown>) =>
      Effect.gen(function* () {
        let out = x
        for (let i = 0; i < layers.length; i++) {
          const r = i === 0 ? layers[i]!(out, ...args) : layers[i]!(out)
          out = Effect.isEffect(r) ? yield* r : r
        }
        return out
      })
    const call = (x: Tensor, ...args: unknown[]) => self.call(body(x, args))
    return attach(call, { moduleName: self.moduleName, name: self.name, layers }) as unknown as Sequential<L>
  },
    { kind: "Sequential", config: { layers: layers.length } }
  )
