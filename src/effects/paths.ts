/**
 * Parameter trees typed by their paths. A module call whose parameters' full names are known to
 * TypeScript says so in its Effect's requirements: besides needing `hk.Params`, it needs
 * `ParamSlot<"mlp/~/linear_0", "w" | "b">` (a subtype of `Params`, so every check on `Params`
 * holds). `hk.transform` collects the slots of its function into the type of `init`'s result,
 * so `params["mlp/~/linear_O"]` is a compile error. Where a path cannot be known — a module
 * nested in another `hk.module`, a name scope, a layer stack, a non-literal name, or any plain
 * `hk.Params` requirement — the result is the general `ParamTree`, never `any`.
 *
 * A type records the modules a function *may* call: a module that `init` never calls (one
 * called only in a branch `init` does not take, or only under `hk.evalShape`) is in the type
 * without being in the tree. A module whose name is uniquified (a second `hk.Linear()` becomes
 * `linear_1`) is in the tree without being in the type: give typed modules distinct names.
 */
import type { Tensor } from "../transforms/core/Tensor.js"
import type { ParamTree } from "./Frame.js"
import type { Params } from "./services.js"

/**
 * The requirement of an Effect that reads or creates parameters `Names` in the module `Path`
 * (`"~self"`: the module whose method is running, resolved by `hk.module` or, at the top level,
 * `"~"`). Type-level only.
 *
 * @example
 * const linear = yield* hk.Linear(3)
 * const lin: Effect.Effect<Tensor, never, hk.ParamSlot<"linear", "w" | "b"> | hk.Rng> = linear(x)
 */
export interface ParamSlot<Path extends string, Names extends string> extends Params {
  readonly "~tanka/paramPath": Path
  readonly "~tanka/paramNames": Names
}

/** The path of parameters created directly by the running method (before `hk.module` names it). */
export type Here = "~self"

type AnySlot = ParamSlot<any, any>

/** Requirements `R` as seen from inside the module `Name`: its own slots get its name, children's slots are erased to `Params`. */
export type Rebase<R, Name extends string> = R extends ParamSlot<Here, infer N> ? ParamSlot<Name, N> : R extends AnySlot ? Params : R

/** Requirements `R` with every slot erased to `Params` (paths that a scope changes in ways types cannot follow). */
export type Erase<R> = R extends AnySlot ? Params : R

type SlotsOf<R> = Extract<R, AnySlot>
type PathOf<S> = S extends ParamSlot<infer P, any> ? (P extends Here ? "~" : P) : never
type Resolve<Q> = Q extends Here ? "~" : Q
type NamesAt<S, P> = S extends ParamSlot<infer Q, infer N> ? (P extends Resolve<Q> ? N : never) : never

/** A parameter tree with the keys the slots name. */
export type TypedParams<S> = { readonly [P in PathOf<S>]: { readonly [N in NamesAt<S, P>]: Tensor } }

/**
 * The type of the parameter tree of a function whose Effect needs `R`: typed by path when every
 * parameter requirement is a slot with literal names, else `ParamTree`.
 */
export type ParamsOf<R> = [SlotsOf<R>] extends [never]
  ? ParamTree
  : [Exclude<Extract<R, Params>, AnySlot>] extends [never]
    ? string extends PathOf<SlotsOf<R>>
      ? ParamTree
      : TypedParams<SlotsOf<R>>
    : ParamTree
