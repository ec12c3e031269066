/**
 * Compile-time purity for raw `jax.*` transforms. A raw transform traces its function once
 * and must see a pure function; a function whose Effect still needs a Haiku service (params,
 * state, rng, module names) would leak Haiku state through the trace. Such a function is a
 * type error whose message names the fix.
 *
 * This file is type-only: `raw` does not import `effects` at runtime. Every Haiku service
 * identifier (`hk.Params`, `hk.State`, `hk.Rng`, `hk.Naming`) extends the `HaikuService` marker.
 */
import type { Effect } from "effect"

/**
 * Marker carried by every Haiku service identifier. A raw transform rejects a function whose
 * Effect has a requirement extending it.
 *
 * @example
 * // in src/effects: class Params extends Context.Service<Params, Frame>()("hk/Params") {
 * //   declare readonly "~tanka/HaikuService": "Params"
 * // }
 */
export interface HaikuService {
  readonly "~tanka/HaikuService": string
}

/** The Haiku services an Effect requirement `R` contains (`never` if none). */
export type HaikuNeeds<R> = Extract<R, HaikuService>

type Msg<Name extends string, Fix extends string> =
  `${Name}: f uses Haiku state (hk.getParameter / hk.getState / hk.nextRngKey / a module), which a raw JAX transform would leak. Use ${Fix}, or hk.transform(f) + hk.lift(init) and pass the pure apply to ${Name}.`

/**
 * `F` itself when `f` is pure (returns a value, or an Effect whose `R` holds no Haiku service);
 * otherwise an inline object type whose `__hkError` text tsc prints in the error. It must stay
 * inline: a named alias would print only its name.
 *
 * @example
 * declare const vmap: <F extends (...a: any[]) => any>(f: Pure<F, "jax.vmap", "hk.vmap(f, { splitRng })">) => F
 */
export type Pure<F, Name extends string, Fix extends string> = F extends (...args: any[]) => infer Out
  ? 0 extends 1 & Out
    ? { readonly __hkError: `${Name}: f returns \`any\`, so Haiku services cannot be ruled out; give f a precise return type.` }
    : [Out] extends [Effect.Effect<any, any, infer R>]
      ? unknown extends R
        ? { readonly __hkError: `${Name}: f's Effect has R = unknown (or any), so Haiku services cannot be ruled out; give f a precise Effect type. If it uses Haiku state, use ${Fix}.` }
        : [HaikuNeeds<R>] extends [never]
          ? F
          : { readonly __hkError: Msg<Name, Fix>; readonly offendingServices: HaikuNeeds<R> }
      : F
  : F

type ValueOfOut<O> = O extends Effect.Effect<infer A, any, any> ? A : O
type Arg<P extends readonly unknown[], N> = N extends number ? P[N] : N extends readonly number[] ? { -readonly [K in keyof N]: P[N[K] & number] } : P[0]
type GradOf<F extends (...args: any[]) => any, O> = O extends { readonly argnums: infer N } ? Arg<Parameters<F>, N> : Parameters<F>[0]
type AuxOf<F extends (...args: any[]) => any> = ValueOfOut<ReturnType<F>> extends readonly [any, infer X] ? X : unknown
type LossOf<F extends (...args: any[]) => any> = ValueOfOut<ReturnType<F>> extends readonly [infer L, any] ? L : unknown
type Lift<F extends (...args: any[]) => any, A> = ReturnType<F> extends Effect.Effect<any, infer E, any> ? Effect.Effect<A, E, never> : A

/** What `jax.grad(f, options)` returns when called: the gradient (with the aux if `hasAux`), in an Effect if `f` is effectful. */
export type GradResult<F extends (...args: any[]) => any, O> = Lift<F, O extends { readonly hasAux: true } ? [GradOf<F, O>, AuxOf<F>] : GradOf<F, O>>

/** What `jax.valueAndGrad(f, options)` returns when called: `[value, grad]` (`[[value, aux], grad]` with `hasAux`). */
export type ValueAndGradResult<F extends (...args: any[]) => any, O> = Lift<
  F,
  O extends { readonly hasAux: true } ? [[LossOf<F>, AuxOf<F>], GradOf<F, O>] : [ValueOfOut<ReturnType<F>>, GradOf<F, O>]
>

/** A value with every Tensor replaced by its `{ shape, dtype }` (what `evalShape` returns). */
export type ShapeOf<A> = A extends { readonly aval: unknown; readonly shape: ReadonlyArray<number>; readonly dtype: infer D }
  ? { readonly shape: ReadonlyArray<number>; readonly dtype: D }
  : A extends readonly unknown[]
    ? { -readonly [K in keyof A]: ShapeOf<A[K]> }
    : A extends object
      ? { [K in keyof A]: ShapeOf<A[K]> }
      : A

/** What `jax.evalShape(f, ...args)` returns: the shapes of `f`'s result, in an Effect if `f` is effectful. */
export type EvalShapeResult<F extends (...args: any[]) => any> = ReturnType<F> extends Effect.Effect<infer A, infer E, any> ? Effect.Effect<ShapeOf<A>, E, never> : ShapeOf<ReturnType<F>>
