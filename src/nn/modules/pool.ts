/**
 * `hk.maxPool` / `hk.avgPool`: pooling over windows, as pure functions of a tensor; `hk.MaxPool`
 * / `hk.AvgPool`: the same as modules.
 */
import { Effect } from "effect"
import type { Tensor } from "../../transforms/core/Tensor.js"
import { attach, module, type Module } from "../../effects/module.js"
import type { Naming } from "../../effects/services.js"
import * as lax from "../../transforms/core/lax.js"
import { shapeError } from "../../transforms/core/errors.js"
import * as jnp from "../../transforms/numpy/ops.js"
import { ones } from "../../transforms/numpy/creation.js"
import { ModuleConfigError } from "./errors.js"
import { checkInput, samePadding } from "./inputs.js"

/** Options of {@link maxPool} and {@link avgPool}. */
export interface PoolOptions {
  /**
   * The window: one number for every non-batch, non-channel axis, or a shape (shorter shapes are
   * padded with leading 1s for batch axes), e.g. `[1, 3, 3, 1]` for NHWC.
   */
  readonly windowShape: number | ReadonlyArray<number>
  /** The strides, in the same form as `windowShape`. */
  readonly strides: number | ReadonlyArray<number>
  /** `"SAME"` or `"VALID"`. */
  readonly padding: "SAME" | "VALID"
  /** The channel axis a number `windowShape`/`strides` leaves alone (default -1; `null` for none). */
  readonly channelAxis?: number | null
}

/** Haiku's `_infer_shape`. */
const inferShape = (api: string, x: Tensor, size: number | ReadonlyArray<number>, channelAxis: number | null, option: string): number[] => {
  if (typeof size === "number") {
    let c = channelAxis
    if (c !== null && c !== 0) {
      if (!(Math.abs(c) < x.ndim)) throw ModuleConfigError.make(api, "channelAxis", `Invalid channel axis ${c} for an input of shape ${x.aval.toString()}.`)
      if (c < 0) c += x.ndim
    }
    return [1, ...x.shape.slice(1).map((_, i) => (i + 1 === c ? 1 : size))]
  }
  if (size.length > x.ndim) throw shapeError(api, `${option} ${JSON.stringify(size)} has more entries than the input ${x.aval.toString()} has axes.`)
  return [...Array.from({ length: x.ndim - size.length }, () => 1), ...size]
}

const windowParams = (api: string, x: Tensor, options: PoolOptions) => {
  if (options.padding !== "SAME" && options.padding !== "VALID") throw ModuleConfigError.make(api, "padding", `Invalid padding '${options.padding}', must be 'SAME' or 'VALID'.`)
  const channelAxis = options.channelAxis === undefined ? -1 : options.channelAxis
  const windowDimensions = inferShape(api, x, options.windowShape, channelAxis, "windowShape")
  const windowStrides = inferShape(api, x, options.strides, channelAxis, "strides")
  const padding = x.shape.map((n, i) => (options.padding === "SAME" ? samePadding(n, windowDimensions[i]!, windowStrides[i]!) : ([0, 0] as [number, number])))
  return { windowDimensions, windowStrides, padding }
}

/**
 * The maximum over each window; SAME padding counts as -infinity.
 *
 * Haiku: `hk.max_pool`.
 *
 * @example
 * hk.maxPool(x, { windowShape: [1, 3, 3, 1], strides: [1, 2, 2, 1], padding: "SAME" }) // [N,H,W,C] → [N,⌈H/2⌉,⌈W/2⌉,C]
 */
export const maxPool = (x: Tensor, options: PoolOptions): Tensor => {
  checkInput("hk.maxPool", "~", x, "a Tensor of rank >= 1")
  return lax.reduceWindowMax(x, windowParams("hk.maxPool", x, options))
}

/**
 * The mean over each window. With SAME padding each output divides by the number of real
 * (unpadded) elements in its window.
 *
 * Haiku: `hk.avg_pool`.
 *
 * @example
 * hk.avgPool(x, { windowShape: 2, strides: 2, padding: "VALID" })
 */
export const avgPool = (x: Tensor, options: PoolOptions): Tensor => {
  checkInput("hk.avgPool", "~", x, "a Tensor of rank >= 1")
  const p = windowParams("hk.avgPool", x, options)
  const pooled = lax.reduceWindowSum(x, p)
  if (options.padding === "VALID") return jnp.divide(pooled, p.windowDimensions.reduce((a, b) => a * b, 1))
  const countShape = x.shape.map((n, i) => (p.windowDimensions[i] !== 1 ? n : 1))
  const counts = lax.reduceWindowSum(ones(countShape, x.dtype), p)
  return jnp.divide(pooled, counts)
}

/** A constructed `hk.MaxPool` / `hk.AvgPool`. */
export type Pool = Module<(x: Tensor) => Effect.Effect<Tensor>, { readonly options: PoolOptions }>

const poolModule = (api: string, defaultName: string, f: (x: Tensor, options: PoolOptions) => Tensor, options: PoolOptions & { readonly name?: string }): Effect.Effect<Pool, never, Naming> =>
  module(
    options?.name ?? defaultName,
    (self) => {
      if (options === undefined || options.windowShape === undefined || options.strides === undefined) throw ModuleConfigError.make(api, "windowShape", `windowShape, strides and padding are required, e.g. ${api}({ windowShape: 2, strides: 2, padding: "VALID" }).`)
      if (options.padding !== "SAME" && options.padding !== "VALID") throw ModuleConfigError.make(api, "padding", `Invalid padding '${options.padding}', must be 'SAME' or 'VALID'.`)
      const { name: _n, ...pool } = options
      return attach((x: Tensor) => self.call(Effect.sync(() => f(x, pool))), { moduleName: self.moduleName, name: self.name, options: pool })
    },
    { kind: api.slice(3), config: { ...options } }
  )

/**
 * {@link maxPool} as a module (no parameters), e.g. for an `hk.Sequential`.
 *
 * Haiku: `hk.MaxPool`.
 *
 * @example
 * const pool = yield* hk.MaxPool({ windowShape: [1, 2, 2, 1], strides: [1, 2, 2, 1], padding: "VALID" })
 */
export const MaxPool = (options: PoolOptions & { readonly name?: string }): Effect.Effect<Pool, never, Naming> => poolModule("hk.MaxPool", "max_pool", maxPool, options)

/**
 * {@link avgPool} as a module (no parameters).
 *
 * Haiku: `hk.AvgPool`.
 *
 * @example
 * const pool = yield* hk.AvgPool({ windowShape: 2, strides: 2, padding: "SAME" })
 */
export const AvgPool = (options: PoolOptions & { readonly name?: string }): Effect.Effect<Pool, never, Naming> => poolModule("hk.AvgPool", "avg_pool", avgPool, options)
