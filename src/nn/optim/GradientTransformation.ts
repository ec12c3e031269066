/**
 * The optax programming model: an optimizer is a pure pair `init(params) → state`,
 * `update(updates, state, params?) → [updates, state]` over pytrees of tensors. Optimizer
 * state is itself a pytree of tensors (the step count included), so a whole training step
 * can run under `jax.jit`.
 *
 * optax: `optax.GradientTransformation`, `optax.chain`, `optax.apply_updates`, `optax.identity`.
 */
import * as jnp from "../../jnp.js"
import * as jax from "../../jax.js"
import { Tensor } from "../../transforms/core/Tensor.js"
import { OptimizerError } from "./errors.js"
import { mapMatching } from "./matchTrees.js"

/** A pytree: tensors (or numbers) nested in arrays and plain objects. */
export type PyTree = unknown

/**
 * A pure gradient transformation. `update` returns the transformed updates (same tree
 * structure as the incoming `updates`) and the next state; nothing is mutated.
 *
 * optax: `optax.GradientTransformation`.
 *
 * @example
 * const opt = optax.adam(1e-3)
 * let p = params
 * let optState = opt.init(p)
 * const [updates, next] = opt.update(grads, optState, p)
 * p = optax.applyUpdates(p, updates)
 * optState = next
 */
export interface GradientTransformation<S = PyTree> {
  /** The initial optimizer state for `params` (a pytree of tensors). */
  readonly init: (params: PyTree) => S
  /** Transform `updates` (usually gradients); `params` is needed by transforms such as `addDecayedWeights`. */
  readonly update: <U>(updates: U, state: S, params?: PyTree) => readonly [U, S]
}

/** The state type of a gradient transformation. */
export type StateOf<T> = T extends GradientTransformation<infer S> ? S : never

/**
 * The state of a stateless transformation: an empty object (a pytree with no leaves).
 *
 * optax: `optax.EmptyState`.
 */
export type EmptyState = { readonly [k: string]: never }

/** An empty state, fresh each call. */
export const emptyState = (): EmptyState => ({})

/**
 * A learning rate as a function of the step count (an int32 scalar tensor). Written with
 * `jnp` ops it traces under `jax.jit`.
 *
 * optax: `optax.Schedule`.
 *
 * @example
 * const decay: optax.Schedule = (count) => jnp.multiply(1e-3, jnp.power(0.99, count))
 */
export type Schedule = (count: Tensor) => Tensor | number

/** A constant (`number`) or a schedule. optax: `optax.ScalarOrSchedule`. */
export type ScalarOrSchedule = number | Schedule

export { OptimizerError } from "./errors.js"

/**
 * The transformation that returns its updates unchanged.
 *
 * optax: `optax.identity`.
 *
 * @example
 * const [u] = optax.identity().update(grads, optax.identity().init(params)) // u === grads
 */
export const identity = (): GradientTransformation<EmptyState> => ({
  init: () => emptyState(),
  update: (updates, state) => [updates, state]
})

/** Tuple of the states of `Ts`, in order. */
export type ChainState<Ts extends ReadonlyArray<GradientTransformation<any>>> = { readonly [K in keyof Ts]: StateOf<Ts[K]> }

/**
 * Compose transformations left to right: the updates of one are the input of the next. The
 * state is the array of the inner states, in order.
 *
 * optax: `optax.chain`.
 *
 * @example
 * const opt = optax.chain(optax.clipByGlobalNorm(1), optax.scaleByAdam(), optax.scale(-1e-3))
 * const optState = opt.init(params) // [{}, { count, mu, nu }, {}]
 */
export const chain = <const Ts extends ReadonlyArray<GradientTransformation<any>>>(...transforms: Ts): GradientTransformation<ChainState<Ts>> => ({
  init: (params) => transforms.map((t) => t.init(params)) as unknown as ChainState<Ts>,
  update: <U>(updates: U, state: ChainState<Ts>, params?: PyTree): readonly [U, ChainState<Ts>] => {
    const states = state as unknown as ReadonlyArray<unknown>
    if (!Array.isArray(states) || states.length !== transforms.length) {
      throw new OptimizerError({
        transform: "chain",
        message: `chain: the state has ${Array.isArray(states) ? states.length : "no"} entries but the chain has ${transforms.length} transformations; pass the state returned by this chain's init.`
      })
    }
    let u: U = updates
    const next = transforms.map((t, i) => {
      const [u2, s2] = t.update(u, states[i], params)
      u = u2
      return s2
    })
    return [u, next as unknown as ChainState<Ts>]
  }
})

/**
 * `params + updates`, leaf by leaf, keeping each param's dtype.
 *
 * optax: `optax.apply_updates`.
 *
 * @example
 * const opt = optax.adam(1e-3)
 * const optState = opt.init(params)
 * const [updates, state2] = opt.update(grads, optState, params)
 * const params2 = optax.applyUpdates(params, updates)
 */
export const applyUpdates = <P>(params: P, updates: PyTree): P =>
  mapMatching(
    "applyUpdates",
    (p: Tensor | number, u: Tensor | number) => {
      const out = jnp.add(p, u)
      const dtype = p instanceof Tensor ? p.dtype : out.dtype
      return out.dtype === dtype ? out : jnp.astype(out, dtype)
    },
    [
      ["params", params],
      ["updates", updates]
    ],
    "The updates must come from opt.update on gradients of these same params (jax.grad of a loss over them)."
  ) as P

/**
 * The l2 norm of all leaves together, `sqrt(Σ x²)`, as a float32 scalar tensor.
 *
 * optax: `optax.global_norm` (`optax.tree_utils.tree_norm`).
 *
 * @example
 * optax.globalNorm({ a: jnp.array([3]), b: jnp.array([4]) }) // 5
 */
export const globalNorm = (tree: PyTree): Tensor => {
  const leaves = jax.tree.leaves(tree) as Array<Tensor | number>
  let total: Tensor = jnp.zeros([])
  for (const leaf of leaves) total = jnp.add(total, jnp.astype(jnp.sum(jnp.square(leaf)), "float32"))
  return jnp.sqrt(total)
}

/** The step count after `count`: `count + 1` (int32). optax: `optax.safe_increment` (no saturation). */
export const incrementCount = (count: Tensor): Tensor => jnp.add(count, 1)

/** A fresh int32 zero step count. */
export const zeroCount = (): Tensor => jnp.zeros([], "int32")
