/**
 * Compile-time purity for raw `jax.*` transforms. A raw transform traces its function as a
 * pure function; a function whose Effect still needs a Haiku service (params, state, rng,
 * module names) would leak Haiku state through the trace. Such a function is a type error whose
 * message names the fix, and so is every way of writing its type that would hide the Effect:
 * a return typed `any` or `unknown`, an `R` widened to `any`/`unknown`/`object`/`{}`, a union
 * return, an overload, an Effect inside the output pytree, an `async` body.
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

type Fn = (...args: any[]) => any
type IsAny<T> = 0 extends 1 & T ? true : false

/** The return types of every overload of `F` (up to four), as a union. */
export type ReturnsOf<F> = F extends { (...a: any[]): infer R1; (...a: any[]): infer R2; (...a: any[]): infer R3; (...a: any[]): infer R4 }
  ? R1 | R2 | R3 | R4
  : F extends (...a: any[]) => infer R
    ? R
    : never

/**
 * `"hk.Params | hk.Rng"`: the Haiku services in `R` as one string, in a fixed order. A string
 * literal is printed whole, where tsc would elide a union printed after a long message
 * (`Params | ... 1 more ...`).
 */
export type ShowServices<R> = JoinServices<
  [
    "Params" extends ServiceNames<R> ? "hk.Params" : never,
    "State" extends ServiceNames<R> ? "hk.State" : never,
    "Rng" extends ServiceNames<R> ? "hk.Rng" : never,
    "Naming" extends ServiceNames<R> ? "hk.Naming" : never
  ]
>
type ServiceNames<R> = R extends HaikuService ? R["~tanka/HaikuService"] : never
type JoinServices<T extends readonly unknown[], Acc extends string = ""> = T extends readonly [infer H, ...infer Rest]
  ? [H] extends [never]
    ? JoinServices<Rest, Acc>
    : JoinServices<Rest, Acc extends "" ? `${H & string}` : `${Acc} | ${H & string}`>
  : Acc

type Prev = [never, 0, 1, 2, 3, 4]
/** Leaves a pytree walk stops at: tensors (anything with an aval), primitives, functions. */
type Opaque = { readonly aval: unknown } | string | number | boolean | bigint | symbol | null | undefined | void | Fn

/** What lies in an output: `{ k: "top" | "nested"; r: R }` per Effect found, `{ k: "async" }` per Promise. */
type Found = { readonly k: "top" | "nested"; readonly r: unknown } | { readonly k: "async" }

/** Scan a top-level output (each union member): a top-level Effect, a Promise, or a pytree. */
type ScanTop<O> = O extends Effect.Effect<infer A, any, infer R>
  ? { readonly k: "top"; readonly r: R } | ScanIn<A, 4>
  : O extends PromiseLike<infer V>
    ? { readonly k: "async" } | ScanIn<V, 4>
    : ScanIn<O, 4>

/** Scan a value nested in an output (bounded depth): every Effect here is misplaced. */
type ScanIn<O, D extends number> = [D] extends [never]
  ? never
  : IsAny<O> extends true
    ? never
    : O extends Effect.Effect<infer A, any, infer R>
      ? { readonly k: "nested"; readonly r: R } | ScanIn<A, Prev[D]>
      : O extends PromiseLike<infer V>
        ? { readonly k: "async" } | ScanIn<V, Prev[D]>
        : O extends Opaque
          ? never
          : O extends readonly (infer E)[]
            ? ScanIn<E, Prev[D]>
            : O extends object
              ? ScanIn<O[keyof O], Prev[D]>
              : never

type RsOf<S> = S extends { readonly r: infer R } ? R : never
/** `true` if some Effect's `R` is too wide to rule out a Haiku service (`any`, `unknown`, `object`, `{}`). */
type HasWide<S> = S extends { readonly r: infer R } ? (HaikuService extends R ? true : never) : never

/**
 * The Haiku wrapper (or pattern) that replaces each raw transform, as the messages name it.
 * `src/effects` uses the same strings for the run-time `UnexpectedTracerError`.
 */
export interface RawFixes {
  readonly "jax.vmap": "hk.vmap(f, { splitRng })"
  readonly "jax.evalShape": "hk.evalShape(f, ...args)"
  readonly "jax.grad": "hk.grad(f)"
  readonly "jax.valueAndGrad": "hk.valueAndGrad(f)"
  readonly "jax.jvp": "hk.jvp(f, primals, tangents)"
  readonly "jax.vjp": "hk.grad(f) or hk.valueAndGrad(f)"
  readonly "jax.linearize": "hk.jvp(f, primals, tangents)"
  readonly "jax.jit": "hk.transform(f) and jax.jit its init/apply"
  readonly "jax.makeJaxpr": "hk.transform(f) and jax.makeJaxpr its init/apply"
  readonly "jax.checkpoint": "hk.remat(f)"
  readonly "jax.lax.scan": "hk.scan(f, init, xs)"
  readonly "jax.lax.map": "hk.map(f, xs)"
  readonly "jax.lax.cond": "hk.cond(pred, trueFn, falseFn, ...operands)"
  readonly "jax.lax.switch": "hk.switch(index, branches, ...operands)"
  readonly "jax.lax.whileLoop": "hk.whileLoop(condFn, bodyFn, init)"
  readonly "jax.lax.foriLoop": "hk.foriLoop(lower, upper, bodyFn, init)"
}

/** The name of a raw transform (`"jax.vmap"`, `"jax.lax.scan"`, …). */
export type RawName = keyof RawFixes

/**
 * The error type raw transform `Name` shows for a function returning `Out` (a union of its
 * overloads' returns), or `never` if the function is pure. Checked in this order: `any` and
 * `unknown` returns; an Effect whose `R` is too wide to rule out a Haiku service; an Effect
 * needing a Haiku service (anywhere in the output); an Effect nested inside the output; a
 * Promise; an Effect needing other services.
 */
export type PurityError<Out, Name extends RawName> =
  IsAny<Out> extends true
    ? { readonly __hkError: `${Name}: f returns \`any\`, so Haiku state cannot be ruled out; give f a precise return type (an Effect with R = never if pure), or use ${RawFixes[Name]}.` }
    : unknown extends Out
      ? { readonly __hkError: `${Name}: f returns \`unknown\`, so Haiku state cannot be ruled out; give f a precise return type (an Effect with R = never if pure), or use ${RawFixes[Name]}.` }
      : VerdictOf<ScanTop<Out>, Name, RawFixes[Name]>

// The messages stay short enough (with the longest name and fix) for tsc to print the whole
// type without truncating it; Haiku services are listed as one string (see ShowServices).
type VerdictOf<S extends Found, Name extends string, Fix extends string> = [HasWide<S>] extends [never]
  ? [HaikuNeeds<RsOf<S>>] extends [never]
    ? [Extract<S, { readonly k: "nested" }>] extends [never]
      ? [Extract<S, { readonly k: "async" }>] extends [never]
        ? [RsOf<S>] extends [never]
          ? never
          : {
              readonly __hkError: `${Name}: f's Effect needs services a raw transform cannot provide (it runs f while tracing, so R must be never); provide them inside f with Effect.provide.`
              readonly offendingServices: RsOf<S>
            }
        : { readonly __hkError: `${Name}: f is async (returns a Promise), but ${Name} traces f synchronously; make f synchronous (effectful code returns an Effect with R = never).` }
      : { readonly __hkError: `${Name}: f returns an Effect inside its output, which ${Name} would never run; return one Effect at the top level (yield* it in Effect.gen, or Effect.all).` }
    : {
        readonly __hkError: `${Name}: f uses Haiku state, which a raw transform would leak as tracers; use ${Fix} instead, or hk.transform(f) + hk.lift(init) and pass the pure apply.`
        readonly offendingServices: ShowServices<RsOf<S>>
      }
  : { readonly __hkError: `${Name}: f's Effect has R = any, unknown, object or {}, so Haiku state cannot be ruled out; give f a precise Effect type (R = never if pure), or use ${Fix}.` }

/**
 * `F` itself when `f` is pure (returns values, or an `Effect<A, E, never>`, under every
 * overload); otherwise an inline object type whose `__hkError` text tsc prints in the error,
 * naming the Haiku wrapper to use. It must stay inline: a named interface would print only its
 * name.
 *
 * A generic wrapper around a raw transform passes the guard on: it states `jax.Pure<F, Name>`
 * on its own parameter (so its callers get the message) and calls the raw transform with the
 * type argument, which then type-checks for every `F`. Without that, tsc cannot decide the
 * guard for a type parameter and reports the unresolved `Pure<F, …>` inside the wrapper.
 *
 * @example
 * const vmapTwice = <F extends (x: Tensor) => any>(f: jax.Pure<F, "jax.vmap">) =>
 *   jax.vmap<F>(f)
 */
export type Pure<F, Name extends RawName> = [PurityError<ReturnsOf<F>, Name>] extends [never] ? F : PurityError<ReturnsOf<F>, Name>

/**
 * `O` itself when a function returning `O` is pure, else the error type: the guard on a
 * *return* type, for signatures that type their function arguments (`(val: T) => PureOut<O, …>`)
 * so that lambdas get their parameter types from the context.
 */
export type PureOut<O, Name extends RawName> = [PurityError<O, Name>] extends [never] ? O : PurityError<O, Name>

type ErrorOfAny<O> = O extends Effect.Effect<any, infer E, any> ? E : never
/** `A`, or `Effect<A, E, never>` when some function's output `O` is an Effect (the raw transform then returns an Effect). */
export type EffectIf<O, A> = [Extract<O, Effect.Effect<any, any, any>>] extends [never] ? A : Effect.Effect<A, ErrorOfAny<O>, never>
/** The success value of an output (the `A` of an Effect, or the value itself). */
export type ValueOfOut<O> = O extends Effect.Effect<infer A, any, any> ? A : O
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
