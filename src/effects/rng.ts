/**
 * The rng effects: keys come from the `PRNGSequence` on top of the frame's rng stack.
 */
import { Effect } from "effect"
import * as lax from "../transforms/core/lax.js"
import type { Key } from "../transforms/random/random.js"
import { Rng, frameOf } from "./services.js"
import { MissingRngError } from "./errors.js"
import { PRNGSequence } from "./Frame.js"

const sequence = (fiber: Parameters<Parameters<typeof Effect.withFiber>[0]>[0], api: string): PRNGSequence => {
  const seq = frameOf(fiber, Rng, api).rng
  if (seq === null) throw MissingRngError.make(api)
  return seq
}

/**
 * A fresh key from the frame's sequence (the first from key `k` is `split(k, 2)[1]`).
 *
 * Haiku: `hk.next_rng_key`.
 *
 * @example
 * const noise = (x: Tensor) => Effect.map(hk.nextRngKey(), (k) => jnp.add(x, jax.random.normal(k, x.shape)))
 */
export const nextRngKey = (): Effect.Effect<Key, never, Rng> => Effect.withFiber((fiber) => Effect.succeed(sequence(fiber, "hk.nextRngKey").next()))

/**
 * `n` fresh keys stacked as `[n, 2]`.
 *
 * Haiku: `hk.next_rng_keys`.
 *
 * @example
 * hk.nextRngKeys(4) // Effect<Key> of shape [4, 2]
 */
export const nextRngKeys = (n: number): Effect.Effect<Key, never, Rng> =>
  Effect.withFiber((fiber) => {
    const keys = sequence(fiber, "hk.nextRngKeys").take(n)
    return Effect.succeed(lax.concatenate(keys.map((k) => lax.reshape(k, [1, 2])), 0) as Key)
  })

/**
 * `nextRngKey()` if the run has a key, else `null`.
 *
 * Haiku: `hk.maybe_next_rng_key`.
 *
 * @example
 * hk.maybeNextRngKey() // Effect<Key | null>
 */
export const maybeNextRngKey = (): Effect.Effect<Key | null, never, Rng> =>
  Effect.withFiber((fiber) => {
    const seq = frameOf(fiber, Rng, "hk.maybeNextRngKey").rng
    return Effect.succeed(seq === null ? null : seq.next())
  })

/**
 * Pre-split `n` keys that later `nextRngKey` calls consume (fewer splits when drawing many).
 *
 * Haiku: `hk.reserve_rng_keys`.
 *
 * @example
 * hk.reserveRngKeys(8)
 */
export const reserveRngKeys = (n: number): Effect.Effect<void, never, Rng> =>
  Effect.withFiber((fiber) => {
    sequence(fiber, "hk.reserveRngKeys").reserve(n)
    return Effect.void
  })

/**
 * Run `effect` with keys drawn from `PRNGSequence(key)` instead of the frame's (`null`: no rng).
 *
 * Haiku: `hk.with_rng`.
 *
 * @example
 * hk.withRng(jax.random.key(0), hk.nextRngKey())
 */
export const withRng = <A, E, R>(key: Key | null, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R | Rng> =>
  Effect.withFiber((fiber) => {
    const frame = frameOf(fiber, Rng, "hk.withRng")
    frame.rngStack.push(key === null ? null : PRNGSequence.from(key))
    return Effect.ensuring(
      effect,
      Effect.sync(() => {
        frame.rngStack.pop()
      })
    )
  })
