/**
 * `hk.dropout` / `hk.Dropout`: zero a random fraction `rate` of the elements in training and
 * scale the rest by `1 / (1 - rate)`; the identity otherwise.
 */
import { Effect } from "effect"
import { Tensor } from "../../transforms/core/Tensor.js"
import * as jnp from "../../transforms/numpy/ops.js"
import { zerosLike } from "../../transforms/numpy/creation.js"
import * as random from "../../transforms/random/random.js"
import { nextRngKey } from "../../effects/rng.js"
import { attach, module, type Module } from "../../effects/module.js"
import type { Naming, Rng } from "../../effects/services.js"
import { ModuleConfigError } from "./errors.js"
import { checkInput } from "./inputs.js"

/** Options of {@link dropout} and {@link Dropout}. */
export interface DropoutOptions {
  /** Axes along which one mask value is shared (Haiku's `broadcast_dims`), e.g. `[0]`. */
  readonly broadcastDims?: ReadonlyArray<number>
}

const checkRate = (api: string, rate: number): void => {
  if (typeof rate !== "number" || !(rate >= 0 && rate < 1)) throw ModuleConfigError.make(api, "rate", `rate must be in [0, 1), got ${rate}. It is the fraction of elements dropped.`)
}

/** The dropout of `x` with key `key`: Haiku's `hk.dropout(rng, rate, x, broadcast_dims)`. */
const drop = (key: random.Key, rate: number, x: Tensor, broadcastDims: ReadonlyArray<number>): Tensor => {
  if (rate === 0) return x
  const keepRate = 1 - rate
  const dims = broadcastDims.map((d) => (d < 0 ? d + x.ndim : d))
  const maskShape = x.shape.map((n, i) => (dims.includes(i) ? 1 : n))
  const keep = jnp.broadcastTo(random.bernoulli(key, keepRate, maskShape), x.shape)
  return jnp.where(keep, jnp.divide(x, keepRate), zerosLike(x))
}

/**
 * In training, draws a key with `hk.nextRngKey()` and keeps each element with probability
 * `1 - rate`, scaled by `1 / (1 - rate)`; when not training, returns `x` and draws no key.
 *
 * Haiku: `hk.dropout(hk.next_rng_key(), rate, x)` (the key is drawn for you; `isTraining: false`
 * is the identity).
 *
 * @example
 * const f = (x: Tensor) => hk.dropout(0.5, x, true)
 * hk.transform(f).apply({}, jax.random.key(0), jnp.ones([4]))  // some 0s, the rest 2s
 */
export const dropout = (rate: number, x: Tensor, isTraining: boolean, options: DropoutOptions = {}): Effect.Effect<Tensor, never, Rng> =>
  Effect.suspend(() => {
    checkRate("hk.dropout", rate)
    if (!(x instanceof Tensor)) checkInput("hk.dropout", "~", x, "a Tensor")
    if (!isTraining) return Effect.succeed(x)
    return Effect.map(nextRngKey(), (key) => drop(key, rate, x, options.broadcastDims ?? []))
  })

/** A constructed `hk.Dropout`: `yield* drop(x, isTraining)`. */
export type Dropout = Module<(x: Tensor, isTraining: boolean) => Effect.Effect<Tensor, never, Rng>, { readonly rate: number }>

/**
 * {@link dropout} with its rate fixed, as a module (it has no parameters) so it can sit in an
 * `hk.Sequential` or be built once in a constructor.
 *
 * Haiku: no module of this name; it wraps `hk.dropout`.
 *
 * @example
 * const f = (x: Tensor, isTraining: boolean) => Effect.flatMap(hk.Dropout(0.1), (drop) => drop(x, isTraining))
 */
export const Dropout = (rate: number, options: DropoutOptions & { readonly name?: string } = {}): Effect.Effect<Dropout, never, Naming> =>
  module(options.name ?? "dropout", (self) => {
    checkRate("hk.Dropout", rate)
    return attach((x: Tensor, isTraining: boolean) => self.call(dropout(rate, x, isTraining, options)), { moduleName: self.moduleName, name: self.name, rate })
  },
    { kind: "Dropout", config: { rate, ...options } }
  )
