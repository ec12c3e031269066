/**
 * `hk.ensemble`: N copies of a transformed network, initialised with N keys into one stacked
 * parameter tree and applied in one vectorised call. Haiku needs `hk.lift` + `jax.vmap` by hand
 * for this (dm-haiku #300, #533); here it is one call, and the stacked tree's type says it is
 * stacked, so an unstacked tree does not type-check where a stacked one is expected.
 */
import { Effect } from "effect"
import { Tensor } from "../transforms/core/Tensor.js"
import * as lax from "../transforms/core/lax.js"
import { vmap as rawVmap } from "../transforms/raw/vmap.js"
import type { Key } from "../transforms/random/random.js"
import type { ParamTree, StateTree } from "./Frame.js"
import { EnsembleSizeError, type ApplyError, type ApplyWithStateError, type InitError } from "./errors.js"
import type { Transformed, TransformedWithState } from "./transform.js"

declare const stackedBrand: unique symbol

/**
 * A tree whose every leaf has a leading axis of size `N` (one slice per ensemble member). The
 * brand exists only in the type.
 *
 * @example
 * declare const net: (x: Tensor) => Effect.Effect<Tensor, never, hk.Params | hk.Rng | hk.Naming>
 * const ens = hk.ensemble(hk.transform(net), 4)
 * const stacked: hk.Stacked<hk.ParamTree, 4> = Effect.runSync(ens.init(jax.random.split(key, 4), x))
 */
export type Stacked<T, N extends number = number> = T & { readonly [stackedBrand]: N }

/** Keys for `N` members: a `[N, 2]` key tensor (e.g. `jax.random.split(key, N)`) or an array of `N` keys. */
export type EnsembleKeys = Key | ReadonlyArray<Key>

/** Options of {@link ensemble}. */
export interface EnsembleOptions {
  /** Per argument of `apply`: `0` if each member gets its own slice (leading axis `N`), `null` (default) if all share it. */
  readonly inAxes?: ReadonlyArray<0 | null>
}

/** An ensemble of a `hk.transform`ed network. */
export interface Ensemble<Args extends any[], A, E, R, N extends number> {
  readonly kind: "Ensemble"
  readonly size: N
  /** Initialise `N` members, one per key, into one stacked tree (leading axis `N`). */
  readonly init: (keys: EnsembleKeys, ...args: Args) => Effect.Effect<Stacked<ParamTree, N>, E | InitError | EnsembleSizeError, R>
  /** Apply every member in one vectorised call; the output has a leading axis `N`. `keys`: one per member, or `null`. */
  readonly apply: (params: Stacked<ParamTree, N>, keys: EnsembleKeys | null, ...args: Args) => Effect.Effect<A, E | ApplyError | EnsembleSizeError, R>
}

/** An ensemble of a `hk.transformWithState`ed network: params and state are stacked. */
export interface EnsembleWithState<Args extends any[], A, E, R, N extends number> {
  readonly kind: "EnsembleWithState"
  readonly size: N
  /** Initialises every member from its own key; returns params and state stacked on a leading axis of size `N`. */
  readonly init: (keys: EnsembleKeys, ...args: Args) => Effect.Effect<readonly [Stacked<ParamTree, N>, Stacked<StateTree, N>], E | InitError | EnsembleSizeError, R>
  /** Applies every member to the same inputs; outputs and new state are stacked on a leading axis. */
  readonly apply: (
    params: Stacked<ParamTree, N>,
    state: Stacked<StateTree, N>,
    keys: EnsembleKeys | null,
    ...args: Args
  ) => Effect.Effect<readonly [A, Stacked<StateTree, N>], E | ApplyWithStateError | EnsembleSizeError, R>
}

const sizeError = (what: string, expected: number, actual: number) =>
  new EnsembleSizeError({
    expected,
    actual,
    message: `hk.ensemble: the ensemble has ${expected} members but ${what} has ${actual}; pass ${what === "keys" ? `jax.random.split(key, ${expected})` : `the tree init returned for ${expected} members`}.`
  })

const stackKeys = (keys: EnsembleKeys, n: number): Effect.Effect<Key, EnsembleSizeError> => {
  if (Array.isArray(keys)) {
    if (keys.length !== n) return Effect.fail(sizeError("keys", n, keys.length))
    return Effect.succeed(lax.concatenate(keys.map((k: Key) => lax.reshape(k, [1, 2])), 0) as Key)
  }
  const k = keys as Key
  if (!(k instanceof Tensor) || k.ndim !== 2 || k.shape[1] !== 2) {
    return Effect.fail(sizeError("keys", n, k instanceof Tensor ? (k.shape[0] ?? 0) : 0)) as Effect.Effect<Key, EnsembleSizeError>
  }
  if (k.shape[0] !== n) return Effect.fail(sizeError("keys", n, k.shape[0]!))
  return Effect.succeed(k)
}

const leadingSize = (tree: ParamTree): number | null => {
  for (const b of Object.values(tree)) for (const v of Object.values(b)) return v.shape[0] ?? 0
  return null
}

const vmapped = rawVmap as unknown as (f: (...a: any[]) => unknown, o: { inAxes: ReadonlyArray<unknown>; axisSize?: number }) => (...a: unknown[]) => unknown

/**
 * `size` copies of a transformed network: `init(keys, ...args)` initialises one member per key
 * into a stacked tree (`Stacked<ParamTree, N>`: every leaf `[N, ...]`); `apply(params, keys,
 * ...args)` runs all members in one `jax.vmap`ped call (inputs shared unless `inAxes` maps them).
 * A key count or tree that does not match `size` is an `EnsembleSizeError` (a typed failure).
 *
 * @example
 * declare const net: (x: Tensor) => Effect.Effect<Tensor, never, hk.Params | hk.Rng | hk.Naming>
 * const ens = hk.ensemble(hk.transform(net), 4)
 * const params = Effect.runSync(ens.init(jax.random.split(jax.random.key(0), 4), x))  // w: [4, in, out]
 * const logits = Effect.runSync(ens.apply(params, null, x))                          // [4, batch, classes]
 */
export function ensemble<Args extends any[], A, E, R, const N extends number>(t: Transformed<Args, A, E, R>, size: N, options?: EnsembleOptions): Ensemble<Args, A, E, R, N>
export function ensemble<Args extends any[], A, E, R, const N extends number>(t: TransformedWithState<Args, A, E, R>, size: N, options?: EnsembleOptions): EnsembleWithState<Args, A, E, R, N>
export function ensemble(t: Transformed<any[], any, any, any> | TransformedWithState<any[], any, any, any>, size: number, options: EnsembleOptions = {}): unknown {
  if (!Number.isInteger(size) || size < 1) throw new EnsembleSizeError({ expected: size, actual: size, message: `hk.ensemble: size must be a positive integer, got ${size}.` })
  const argAxes = (n: number) => Array.from({ length: n }, (_, i) => options.inAxes?.[i] ?? null)
  const init = (keys: EnsembleKeys, ...args: unknown[]) =>
    Effect.flatMap(stackKeys(keys, size), (k) => vmapped((key: Key, ...a: unknown[]) => (t.init as (...x: unknown[]) => unknown)(key, ...a), { inAxes: [0, ...argAxes(args.length)] })(k, ...args) as Effect.Effect<unknown, unknown>)
  const checkParams = (params: ParamTree) => {
    const n = leadingSize(params)
    return n !== null && n !== size ? Effect.fail(sizeError("params (leading axis)", size, n)) : Effect.void
  }
  const keysOrNull = (keys: EnsembleKeys | null) => (keys === null ? Effect.succeed(null) : stackKeys(keys, size))
  if (t.kind === "Transformed") {
    return {
      kind: "Ensemble",
      size,
      init,
      apply: (params: ParamTree, keys: EnsembleKeys | null, ...args: unknown[]) =>
        Effect.flatMap(Effect.andThen(checkParams(params), keysOrNull(keys)), (k) =>
          vmapped((p: ParamTree, key: Key | null, ...a: unknown[]) => t.apply(p, key, ...a), { inAxes: [0, k === null ? null : 0, ...argAxes(args.length)], axisSize: size })(params, k, ...args) as Effect.Effect<unknown, unknown>
        )
    }
  }
  return {
    kind: "EnsembleWithState",
    size,
    init,
    apply: (params: ParamTree, state: StateTree, keys: EnsembleKeys | null, ...args: unknown[]) =>
      Effect.flatMap(Effect.andThen(checkParams(params), keysOrNull(keys)), (k) =>
        vmapped((p: ParamTree, s: StateTree, key: Key | null, ...a: unknown[]) => t.apply(p, s, key, ...a), { inAxes: [0, 0, k === null ? null : 0, ...argAxes(args.length)], axisSize: size })(
          params,
          state,
          k,
          ...args
        ) as Effect.Effect<unknown, unknown>
      )
  }
}
