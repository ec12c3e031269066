/**
 * `hk.scan` and `hk.map`: `jax.lax.scan` over a Haiku-effectful step function.
 *
 * - **params**: never carried. During init the first step runs unrolled in the outer frame, so
 *   it creates the parameters (and state); the remaining steps run in one `jax.lax.scan` whose
 *   body may only read them (`NewParametersError` otherwise). During apply it is one full
 *   `jax.lax.scan`. Parameters are closed-over constants of the body, so `jax.grad` w.r.t. the
 *   params flows through.
 * - **state**: every state value is carried (`current`), and written back after the loop.
 * - **rng**: the sequence is carried, so step `i` draws the keys the unrolled loop would draw.
 * - **names**: the body resolves module names from the counters as they were before the first
 *   step, so every step (and the unrolled one) uses the same modules.
 */
import { Effect } from "effect"
import { Tensor } from "../../transforms/core/Tensor.js"
import * as lax from "../../transforms/core/lax.js"
import * as tree from "../../transforms/core/tree.js"
import { scan as rawScan } from "../../transforms/raw/control.js"
import { asTensor } from "../../transforms/raw/args.js"
import { WrappedTransformError } from "../errors.js"
import type { Params } from "../services.js"
import type { ContextOf, ErrorOf, ValueOf } from "../transform.js"
import { callHere, carriedStep, carryOf, carryOut, narrow, runStep, writeCarry, type Carry, type Step } from "./carry.js"
import { finishRaw, freezeNames, snapshot, type Snapshot } from "./wrap.js"

/** Options of {@link scan}: those of `jax.lax.scan`. */
export interface ScanOptions {
  /** The number of steps (required when `xs` is `null`; must match the leading axis of `xs` otherwise). */
  readonly length?: number
  /** Run the steps from the last element of `xs` to the first (the `ys` stay in `xs` order). */
  readonly reverse?: boolean
}

type AnyScanFn = (carry: any, x: any) => any
type RawScan = (f: (c: any, x: any) => unknown, init: unknown, xs: unknown, options: ScanOptions) => unknown
const runScan = rawScan as unknown as RawScan

const err = (api: string, message: string) => new WrappedTransformError({ transform: api, message: `${api}: ${message}` })

const leaves = (xs: unknown, api: string): Tensor[] => tree.leaves(xs).map((l) => asTensor(l, api))

/** The number of steps: `length`, or the (common) leading size of the `xs` leaves. */
const scanLength = (xs: unknown, length: number | undefined, api: string): number => {
  const sizes = new Set(leaves(xs, api).map((x) => (x.ndim === 0 ? -1 : x.shape[0]!)))
  if (sizes.has(-1)) throw err(api, "every leaf of xs must have a leading axis to scan over; got a scalar.")
  if (length !== undefined) sizes.add(length)
  if (sizes.size === 0) throw err(api, "give xs with a leading axis, or { length } when xs is null.")
  if (sizes.size > 1) throw err(api, `the leading sizes of xs (and length) differ: ${[...sizes].join(", ")}; they must all match.`)
  const n = [...sizes][0]!
  if (!Number.isInteger(n) || n < 0) throw err(api, `length must be a non-negative integer, got ${n}.`)
  return n
}

const row = (x: Tensor, i: number): Tensor => lax.reshape(lax.slice(x, [i, ...x.shape.slice(1).map(() => 0)], [i + 1, ...x.shape.slice(1)]), x.shape.slice(1))
const rows = (x: Tensor, a: number, b: number): Tensor => lax.slice(x, [a, ...x.shape.slice(1).map(() => 0)], [b, ...x.shape.slice(1)])
const mapXs = (xs: unknown, f: (x: Tensor) => Tensor, api: string): unknown => (xs === null || xs === undefined ? xs : tree.map((x: unknown) => f(asTensor(x, api)), xs))
const mapYs = (ys: unknown, f: (...y: Tensor[]) => Tensor, ...rest: unknown[]): unknown => tree.map((...y: unknown[]) => f(...y.map((v) => asTensor(v, "hk.scan", "output"))), ys, ...rest)

const pair = (out: unknown, api: string): [unknown, unknown] => {
  if (!Array.isArray(out) || out.length !== 2) throw err(api, `f must return [newCarry, y] (a two-element array), got ${Array.isArray(out) ? `an array of ${out.length}` : typeof out}.`)
  return out as [unknown, unknown]
}

/** The traced part: a full `jax.lax.scan` with the Haiku state the body changes in the carry. */
const scanCarried = (snap: Snapshot, f: AnyScanFn, init: unknown, xs: unknown, length: number, reverse: boolean, api: string): Effect.Effect<[unknown, unknown], any, never> => {
  const [full] = carryOf(snap.outer)
  const xRow = mapXs(xs, (x) => ({ shape: x.shape.slice(1), dtype: x.dtype }) as unknown as Tensor, api)
  const probe = (step: Step, [c, x]: unknown[]) => void pair(runStep(snap, step, f, [c, x]), api)
  return Effect.flatMap(narrow(snap, full, [probe], [init, xRow], api), ([layout, carry0]) => {
    const steps: Step[] = []
    const body = ([c, hs]: [unknown, Carry], x: unknown) => {
      const step = carriedStep(snap, layout, hs, api)
      steps.push(step)
      const [c2, y] = pair(runStep(snap, step, f, [c, x]), api)
      return [[c2, carryOut(step, layout, hs, api)], y]
    }
    return Effect.map(
      finishRaw(() => runScan(body, [init, carry0], xs ?? null, { length, reverse }) as [[unknown, Carry], unknown]),
      ([[c, hs], ys]) => {
        writeCarry(snap, layout, hs, steps)
        return [c, ys] as [unknown, unknown]
      }
    )
  })
}

/** Shared by `hk.scan` and `hk.map`. */
const scanImpl = (f: AnyScanFn, init: unknown, xs: unknown, options: ScanOptions, api: string, jaxName: string) =>
  Effect.withFiber((fiber) => {
    const snap = freezeNames(snapshot(fiber, api, jaxName))
    const length = scanLength(xs, options.length, api)
    const reverse = options.reverse ?? false
    if (snap.outer.frozen) return scanCarried(snap, f, init, xs, length, reverse, api)
    if (length === 0) {
      // init, no steps: run f once on zeros for the structure (and the parameters) of ys
      const x0 = mapXs(xs, (x) => lax.full(x.shape.slice(1), 0, x.dtype), api)
      return Effect.map(callHere(f, [init, x0]), (out) => [init, mapYs(pair(out, api)[1], (y) => lax.full([0, ...y.shape], 0, y.dtype))] as [unknown, unknown])
    }
    // init: the first step unrolled in the outer frame creates the parameters and state
    const first = reverse ? length - 1 : 0
    const x0 = mapXs(xs, (x) => row(x, first), api)
    const rest = mapXs(xs, (x) => (reverse ? rows(x, 0, length - 1) : rows(x, 1, length)), api)
    return Effect.flatMap(callHere(f, [init, x0]), (out) => {
      const [c1, y0] = pair(out, api)
      const y0s = mapYs(y0, (y) => lax.expandDims(y, 0))
      if (length === 1) return Effect.succeed([c1, y0s] as [unknown, unknown])
      return Effect.map(scanCarried(snap, f, c1, rest, length - 1, reverse, api), ([c, ys]) => {
        const all = mapYs(y0s, (a, b) => lax.concatenate(reverse ? [b, a] : [a, b], 0), ys)
        return [c, all] as [unknown, unknown]
      })
    })
  })

/**
 * Loop a Haiku-effectful `f(carry, x) -> [carry, y]` over the leading axis of `xs`, returning
 * `[carry, ys]`. During init the first step is unrolled (it creates the parameters) and the
 * rest runs as one `jax.lax.scan`; during apply it is one `jax.lax.scan`. State and rng are
 * threaded through the carry; parameters are shared by every step.
 *
 * Haiku: `hk.scan`.
 *
 * @example
 * const rnn = (xs: Tensor) => Effect.gen(function* () {
 *   const cell = yield* hk.Linear(8)
 *   return yield* hk.scan((h: Tensor, x: Tensor) => Effect.map(cell(jnp.concatenate([h, x], -1)), (h2) => [jnp.tanh(h2), h2] as const), jnp.zeros([8]), xs)
 * })
 */
export const scan = <F extends AnyScanFn>(
  f: F,
  init: Parameters<F>[0],
  xs: Parameters<F>[1] | null,
  options: ScanOptions = {}
): Effect.Effect<ValueOf<ReturnType<F>>, ErrorOf<ReturnType<F>>, ContextOf<ReturnType<F>> | Params> =>
  scanImpl(f, init, xs, options, "hk.scan", "jax.lax.scan") as any

/**
 * Apply a Haiku-effectful `f` to each slice of `xs` along the leading axis (a `hk.scan` with no
 * carry), stacking the results.
 *
 * Haiku: `hk.map`.
 *
 * @example
 * declare const net: (x: Tensor) => Effect.Effect<Tensor, never, hk.Params | hk.Rng | hk.Naming>
 * const ys = yield* hk.map((x: Tensor) => net(x), xs)   // same params for every row
 * @typeParam F - the function's type, inferred (it may use Haiku services)
 */
export const map = <F extends (x: any) => any>(f: F, xs: Parameters<F>[0]): Effect.Effect<ValueOf<ReturnType<F>>, ErrorOf<ReturnType<F>>, ContextOf<ReturnType<F>> | Params> =>
  Effect.map(
    scanImpl((c: null, x: unknown) => Effect.map(callHere(f, [x]), (y) => [c, y]), null, xs, {}, "hk.map", "jax.lax.map"),
    ([, ys]) => ys
  ) as any
