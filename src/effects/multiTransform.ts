/**
 * `hk.multiTransform` and `hk.multiTransformWithState`: several apply functions sharing one set
 * of parameters (and state), from a function that builds the modules once and returns a template
 * function (run by `init`) and an object of functions (each becomes an `apply`).
 */
import { Effect } from "effect"
import { buildTree, type Frame, type KeyLike, type ParamTree, type StateStore, type StateTree } from "./Frame.js"
import type { HaikuServices } from "./services.js"
import type { ApplyError, ApplyWithStateError, InitError } from "./errors.js"
import { applyHandler, checkTree, initHandler, newFrame, runFrame, type ErrorOf, type Outer, type StateError, type ValueOf } from "./transform.js"
import { InvalidParamsError, NonEmptyStateError } from "./errors.js"

type Fn = (...args: any[]) => any
/** What a multi-transformed function returns: an Effect of `[templateFn, { name: fn }]`. */
type MultiFn = () => Effect.Effect<readonly [Fn, Record<string, Fn>], any, any>
type TemplateOf<F extends MultiFn> = ValueOf<ReturnType<F>> extends readonly [infer T extends Fn, any] ? T : never
type FnsOf<F extends MultiFn> = ValueOf<ReturnType<F>> extends readonly [any, infer Fs extends Record<string, Fn>] ? Fs : never
type ContextOfF<F extends MultiFn> = ReturnType<F> extends Effect.Effect<any, any, infer R> ? R : never
type ReturnsOf<G> = G extends (...a: any[]) => infer R ? R : never
/** Every result whose requirements the state check looks at: `f`'s own Effect, the template's and each function's. */
type AllOuts<F extends MultiFn> = ReturnType<F> | ReturnsOf<TemplateOf<F>> | ReturnsOf<FnsOf<F>[keyof FnsOf<F>]>

/** `F` if neither it nor its functions need `hk.State` (or hide it behind a wide type), else an inline error naming `hk.multiTransformWithState`. */
export type MultiStateless<F extends MultiFn> = [StateError<AllOuts<F>, "hk.multiTransform", "hk.multiTransformWithState(f)">] extends [never]
  ? F
  : StateError<AllOuts<F>, "hk.multiTransform", "hk.multiTransformWithState(f)">

/**
 * Several pure functions sharing parameters, from `hk.multiTransform(f)`: `init` runs the
 * template function; `apply.name` runs function `name`.
 *
 * Haiku: `hk.MultiTransformed`.
 */
export interface MultiTransformed<TArgs extends any[], Fs, E, R> {
  readonly kind: "MultiTransformed"
  /** Runs the template function and returns the parameters of every function it built. */
  readonly init: (key: KeyLike, ...args: TArgs) => Effect.Effect<ParamTree, E | InitError, R>
  /** One pure apply per function the template returned, by name, sharing the parameters. */
  readonly apply: { readonly [K in keyof Fs]: Fs[K] extends (...args: infer A) => infer O ? (params: ParamTree | null, key: KeyLike, ...args: A) => Effect.Effect<ValueOf<O>, E | ErrorOf<O> | ApplyError, R | Outer<O>> : never }
}

/**
 * Several pure functions sharing parameters and state, from `hk.multiTransformWithState(f)`:
 * `init` returns `[params, initialState]`, `apply.name(params, state, key, ...args)` returns
 * `[out, currentState]`.
 *
 * Haiku: `hk.MultiTransformedWithState`.
 */
export interface MultiTransformedWithState<TArgs extends any[], Fs, E, R> {
  readonly kind: "MultiTransformedWithState"
  /** Runs the template function and returns `[params, initialState]`. */
  readonly init: (key: KeyLike, ...args: TArgs) => Effect.Effect<readonly [ParamTree, StateTree], E | InitError, R>
  /** One pure apply per function the template returned, by name; each returns `[out, state]`. */
  readonly apply: {
    readonly [K in keyof Fs]: Fs[K] extends (...args: infer A) => infer O
      ? (params: ParamTree | null, state: StateTree | null, key: KeyLike, ...args: A) => Effect.Effect<readonly [ValueOf<O>, StateTree], E | ErrorOf<O> | ApplyWithStateError, R | Outer<O>>
      : never
  }
}

const toEffect = (x: unknown): Effect.Effect<unknown, unknown, unknown> => (Effect.isEffect(x) ? x : Effect.succeed(x))
const stateTree = (store: StateStore, which: "initial" | "current"): StateTree => buildTree(store.entries().map(([b, n, p]) => [b, n, p[which]] as const))

/** `f()` then its template (init) in `frame`. */
const runTemplate = (f: MultiFn, args: ReadonlyArray<unknown>) => (frame: Frame) => runFrame(frame, () => Effect.flatMap(f(), ([template]) => Effect.suspend(() => toEffect(template(...args)))), [])

/** `f()` then its function `k` in `frame`. */
const runNamed = (f: MultiFn, k: string, args: ReadonlyArray<unknown>) => (frame: Frame) =>
  runFrame(
    frame,
    () =>
      Effect.flatMap(f(), ([, fns]) => {
        if (!Object.prototype.hasOwnProperty.call(fns, k)) {
          throw new InvalidParamsError({ message: `apply.${k}: the multi-transformed function has no function named '${k}'; it has ${Object.keys(fns).map((n) => `'${n}'`).join(", ") || "none"}.` })
        }
        return Effect.suspend(() => toEffect(fns[k]!(...args)))
      }),
    []
  )

const SIG = "apply.name(params, key, ...args) for hk.multiTransform and apply.name(params, state, key, ...args) for hk.multiTransformWithState"

/**
 * Several pure functions sharing parameters: `f` builds the modules once and returns a template
 * function (used by `init`, which must create every parameter) and an object of functions (each
 * becomes an `apply`). A function that uses `hk.State` does not type-check: use
 * `hk.multiTransformWithState`.
 *
 * Haiku: `hk.multi_transform`.
 *
 * @example
 * const t = hk.multiTransform(() => Effect.map(hk.nets.MLP([4, 2]), (mlp) => [(x: Tensor) => mlp(x), { encode: (x: Tensor) => mlp(x) }] as const))
 * const params = Effect.runSync(t.init(0, x))
 * Effect.runSync(t.apply.encode(params, null, x))
 */
export const multiTransform = <F extends MultiFn>(
  f: MultiStateless<F>
): MultiTransformed<Parameters<TemplateOf<F>>, FnsOf<F>, ErrorOf<ReturnType<F>> | ErrorOf<ReturnType<TemplateOf<F>>>, Exclude<ContextOfF<F>, HaikuServices> | Outer<ReturnType<TemplateOf<F>>>> => {
  const fn = f as unknown as MultiFn
  const stateless = (frame: Frame) => {
    if (frame.state !== null && frame.state.ownEntries().length > 0) throw new NonEmptyStateError({ message: "If your transformed function uses `hk.getState`/`hk.setState` then use `hk.multiTransformWithState`." })
  }
  return {
    kind: "MultiTransformed",
    init: (key: KeyLike, ...args: unknown[]) =>
      initHandler(
        "hk.multiTransform(f).init",
        "hk.multiTransform",
        false,
        runTemplate(fn, args),
        (frame) => {
          stateless(frame)
          return buildTree(frame.params.ownEntries())
        },
        key
      ),
    apply: new Proxy(
      {},
      {
        get: (_, k) => (params: ParamTree | null, key: KeyLike, ...args: unknown[]) =>
          applyHandler(
            `hk.multiTransform(f).apply.${String(k)}`,
            () => {
              checkTree(params, "params", SIG)
              return newFrame(true, params, false, key, "Apply must be called with an RNG as the second argument, the required signature is: `apply.name(params, key, ...args)`.", "hk.multiTransform")
            },
            runNamed(fn, String(k), args),
            (_, out) => out,
            false
          )
      }
    )
  } as any
}

/**
 * Like {@link multiTransform}, for functions that use state: `init` returns
 * `[params, initialState]`, `apply.name(params, state, key, ...args)` returns `[out, currentState]`.
 *
 * Haiku: `hk.multi_transform_with_state`.
 *
 * @example
 * const t = hk.multiTransformWithState(() => Effect.map(hk.BatchNorm({ createScale: true, createOffset: true, decayRate: 0.9 }), (bn) => {
 *   const train = (x: Tensor) => bn(x, true)
 *   return [train, { train, test: (x: Tensor) => bn(x, false) }] as const
 * }))
 * const [params, state] = Effect.runSync(t.init(0, x))
 * const [y, state1] = Effect.runSync(t.apply.train(params, state, null, x))
 */
export const multiTransformWithState = <F extends MultiFn>(
  f: F
): MultiTransformedWithState<Parameters<TemplateOf<F>>, FnsOf<F>, ErrorOf<ReturnType<F>> | ErrorOf<ReturnType<TemplateOf<F>>>, Exclude<ContextOfF<F>, HaikuServices> | Outer<ReturnType<TemplateOf<F>>>> =>
  ({
    kind: "MultiTransformedWithState",
    init: (key: KeyLike, ...args: unknown[]) =>
      initHandler("hk.multiTransformWithState(f).init", "hk.multiTransformWithState", true, runTemplate(f, args), (frame) => [buildTree(frame.params.ownEntries()), stateTree(frame.state!, "initial")] as const, key),
    apply: new Proxy(
      {},
      {
        get: (_, k) => (params: ParamTree | null, state: StateTree | null, key: KeyLike, ...args: unknown[]) =>
          applyHandler(
            `hk.multiTransformWithState(f).apply.${String(k)}`,
            () => {
              checkTree(params, "params", SIG)
              checkTree(state, "state", SIG)
              return newFrame(true, params, state ?? null, key, "Apply must be called with an RNG as the third argument, the required signature is: `apply.name(params, state, key, ...args)`.", "hk.multiTransformWithState")
            },
            runNamed(f, String(k), args),
            (frame, out) => [out, stateTree(frame.state!, "current")] as const,
            true
          )
      }
    )
  }) as any
