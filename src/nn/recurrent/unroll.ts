/**
 * `hk.staticUnroll` / `hk.dynamicUnroll`: run a recurrent core over a sequence, carrying its
 * state. The static unroll is a JS loop (one copy of the body per step when traced); the
 * dynamic unroll is one `hk.scan`, so it works inside `hk.transform` (params created by the
 * first step during init) and under `jax.grad`/`jax.jit` of `apply`.
 */
import { Effect } from "effect"
import { Tensor } from "../../transforms/core/Tensor.js"
import * as tree from "../../transforms/core/tree.js"
import * as lax from "../../transforms/core/lax.js"
import { shapeError } from "../../transforms/core/errors.js"
import { scan } from "../../effects/wrapped/scan.js"
import type { Params } from "../../effects/services.js"
import type { AnyRNNCore } from "./RNNCore.js"

/** Options of {@link staticUnroll}. */
export interface UnrollOptions {
  /** Inputs and outputs are `[T, B, ...]` (default true) or `[B, T, ...]` (false). */
  readonly timeMajor?: boolean
}

/** Options of {@link dynamicUnroll}. */
export interface DynamicUnrollOptions extends UnrollOptions {
  /** Run from the last step to the first (outputs stay in input order). */
  readonly reverse?: boolean
  /** Return every step's state (stacked along time) instead of only the last. */
  readonly returnAllStates?: boolean
}

type CoreState<C> = C extends (inputs: any, prevState: infer S) => any ? S : never
type CoreOut<C> = C extends (...args: any[]) => Effect.Effect<readonly [infer O, any], any, any> ? O : never
type CoreInput<C> = C extends (inputs: infer I, prevState: any) => any ? I : never
type CoreR<C> = C extends (...args: any[]) => Effect.Effect<any, any, infer R> ? R : never

const leavesOf = (api: string, seq: unknown): Tensor[] => {
  const leaves = tree.leaves(seq)
  if (leaves.length === 0 || !leaves.every((l) => l instanceof Tensor)) {
    throw shapeError(api, `the input sequence must be a Tensor or a pytree of Tensors, got ${leaves.length === 0 ? "no Tensor" : "a non-Tensor leaf"}.`)
  }
  return leaves as Tensor[]
}

const numSteps = (api: string, seq: unknown, axis: number): number => {
  const leaves = leavesOf(api, seq)
  for (const l of leaves) if (l.ndim <= axis) throw shapeError(api, `an input of shape ${l.aval} has no ${axis === 0 ? "time (leading)" : "time (second)"} axis; ${axis === 0 ? "time-major inputs are [T, ...]" : "batch-major inputs are [B, T, ...]"}.`)
  const steps = leaves[0]!.shape[axis]!
  const bad = leaves.find((l) => l.shape[axis] !== steps)
  if (bad !== undefined) throw shapeError(api, `every input needs the same number of steps on axis ${axis}: ${leaves[0]!.aval} has ${steps}, ${bad.aval} has ${bad.shape[axis]}.`)
  return steps
}

const step = (x: Tensor, t: number, axis: number): Tensor => {
  const start = x.shape.map((_, i) => (i === axis ? t : 0))
  const limit = x.shape.map((n, i) => (i === axis ? t + 1 : n))
  return lax.reshape(lax.slice(x, start, limit), x.shape.filter((_, i) => i !== axis))
}

const swap01 = (seq: unknown): unknown => tree.map((x: Tensor) => lax.transpose(x, [1, 0, ...x.shape.slice(2).map((_, i) => i + 2)]), seq)

/**
 * Calls `core` on each step of `inputSequence` (`[T, ...]` time-major, `[B, T, ...]`
 * batch-major), carrying the state; returns `[outputs stacked along time, final state]`.
 *
 * Haiku: `hk.static_unroll`.
 *
 * @example
 * const lstm = yield* hk.LSTM(16)
 * const [ys, last] = yield* hk.staticUnroll(lstm, xs, yield* lstm.initialState(8))   // xs f32[T,8,D] → ys f32[T,8,16]
 */
export const staticUnroll = <C extends AnyRNNCore>(
  core: C,
  inputSequence: CoreInput<C>,
  initialState: CoreState<C>,
  options: UnrollOptions = {}
): Effect.Effect<readonly [CoreOut<C>, CoreState<C>], never, CoreR<C>> =>
  Effect.suspend(() => {
    const axis = options.timeMajor === false ? 1 : 0
    const steps = numSteps("hk.staticUnroll", inputSequence, axis)
    if (steps === 0) throw shapeError("hk.staticUnroll", "the input sequence has no steps; a static unroll needs at least one to know the outputs' structure.")
    const [leaves, def] = tree.flatten<Tensor>(inputSequence)
    return Effect.gen(function* () {
      let state: unknown = initialState
      const outs: unknown[] = []
      for (let t = 0; t < steps; t++) {
        const [o, s] = (yield* core(tree.unflatten(def, leaves.map((x) => step(x, t, axis))), state)) as readonly [unknown, unknown]
        outs.push(o)
        state = s
      }
      const stacked = tree.map((...ys: Tensor[]) => lax.concatenate(ys.map((y) => lax.expandDims(y, axis)), axis), outs[0], ...outs.slice(1))
      return [stacked, state] as const
    }) as unknown as Effect.Effect<readonly [CoreOut<C>, CoreState<C>], never, CoreR<C>>
  })

/**
 * Calls `core` on each step of `inputSequence` inside one `hk.scan`, carrying the state; returns
 * `[outputs stacked along time, final state]` (with `returnAllStates`, every step's state).
 * Time-major by default (`[T, B, ...]`); `timeMajor: false` takes and gives `[B, T, ...]`.
 *
 * Haiku: `hk.dynamic_unroll`.
 *
 * @example
 * const gru = yield* hk.GRU(16)
 * const [ys, last] = yield* hk.dynamicUnroll(gru, xs, yield* gru.initialState(8))
 */
export const dynamicUnroll = <C extends AnyRNNCore>(
  core: C,
  inputSequence: CoreInput<C>,
  initialState: CoreState<C>,
  options: DynamicUnrollOptions = {}
): Effect.Effect<readonly [CoreOut<C>, CoreState<C>], never, CoreR<C> | Params> =>
  Effect.suspend(() => {
    const timeMajor = options.timeMajor ?? true
    numSteps("hk.dynamicUnroll", inputSequence, timeMajor ? 0 : 1)
    const xs = timeMajor ? inputSequence : swap01(inputSequence)
    const all = options.returnAllStates ?? false
    const body = (state: unknown, x: unknown) =>
      Effect.map(core(x, state) as Effect.Effect<readonly [unknown, unknown]>, ([out, next]) => [next, all ? [out, next] : out] as [unknown, unknown])
    return Effect.map(scan(body, initialState as unknown, xs as unknown, { reverse: options.reverse ?? false }), ([last, ys]) => {
      const [outs, states] = all ? (ys as [unknown, unknown]) : [ys, last]
      return (timeMajor ? [outs, states] : [swap01(outs), all ? swap01(states) : states]) as unknown as readonly [CoreOut<C>, CoreState<C>]
    }) as Effect.Effect<readonly [CoreOut<C>, CoreState<C>], never, CoreR<C> | Params>
  })
