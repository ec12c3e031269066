/**
 * Input checks and window arithmetic shared by the stock modules: rank checks whose errors
 * name the module path and the shapes, a guard that re-raises a parameter shape mismatch with
 * the input's shape, Haiku's `replicate`, JAX's SAME padding, and Haiku's `get_channel_index`.
 */
import { Effect } from "effect"
import { Tensor } from "../../transforms/core/Tensor.js"
import { shapeError } from "../../transforms/core/errors.js"
import { ParameterShapeError } from "../../effects/errors.js"
import { ModuleConfigError } from "./errors.js"

/** `f32[2,3]` for a tensor, the JS type otherwise. */
export const describeInput = (x: unknown): string => (x instanceof Tensor ? x.aval.toString() : x === null ? "null" : typeof x)

/** `[2,3]`. */
export const showShape = (s: ReadonlyArray<number>): string => `[${s.join(",")}]`

/**
 * `x` if it is a Tensor whose rank is one of `ranks` (any rank >= 1 when omitted); otherwise a
 * ShapeError naming the module path, the input's shape and what was expected.
 */
export const checkInput = (api: string, moduleName: string, x: unknown, expected: string, ranks?: ReadonlyArray<number>): Tensor => {
  const ok = x instanceof Tensor && (ranks === undefined ? x.ndim >= 1 : ranks.includes(x.ndim))
  if (!ok) throw shapeError(api, `module '${moduleName}' got an input of shape ${describeInput(x)}, but expects ${expected}.`)
  return x as Tensor
}

/**
 * Run `body` (a module call on input `x`); a ParameterShapeError from it (the input no longer
 * fits the parameters the module was initialised with) is re-raised with the module path and the
 * input's shape in the message, keeping its fields.
 */
export const guardParams = <A, E, R>(api: string, moduleName: string, x: Tensor, body: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.catchDefect(body, (d) =>
    Effect.die(
      d instanceof ParameterShapeError
        ? new ParameterShapeError({
            fullName: d.fullName,
            expected: d.expected,
            actual: d.actual,
            message:
              `${api} '${moduleName}' got an input of shape ${x.aval.toString()} that does not fit its parameters: the input needs '${d.fullName}' of shape ${showShape(d.expected)}, ` +
              `but the stored parameter has shape ${showShape(d.actual)}. Call the module with inputs shaped like the ones it was initialised with, or re-run init. (${d.message})`
          })
        : d
    )
  )

/**
 * `value` repeated `n` times if it is a number, else checked to have length `n`.
 *
 * Haiku: `haiku._src.utils.replicate`.
 */
export const replicate = (api: string, option: string, value: number | ReadonlyArray<number>, n: number): number[] => {
  const out = typeof value === "number" ? Array.from({ length: n }, () => value) : [...value]
  if (out.length !== n || !out.every((v) => Number.isInteger(v) && v >= 1)) {
    throw ModuleConfigError.make(api, option, `${option} must be a positive integer or ${n} positive integers, got ${JSON.stringify(value)}.`)
  }
  return out
}

/**
 * JAX's SAME padding of one axis: the output has `ceil(size / stride)` elements and the padding
 * is split with the smaller half first (`lo = floor(total / 2)`).
 *
 * JAX: `jax.lax.padtype_to_pads(..., "SAME")`.
 */
export const samePadding = (size: number, window: number, stride: number, dilation = 1): [number, number] => {
  const effective = (window - 1) * dilation + 1
  const out = Math.ceil(size / stride)
  const total = Math.max(0, (out - 1) * stride + effective - size)
  const lo = Math.floor(total / 2)
  return [lo, total - lo]
}

/** A padding option: `"SAME"`, `"VALID"` (any case) or explicit `[lo, hi]` pairs. */
export type Padding = "SAME" | "VALID" | "same" | "valid" | ReadonlyArray<readonly [number, number]>

/** The explicit `[lo, hi]` pairs of `padding` over spatial `sizes`. */
export const resolvePadding = (
  api: string,
  padding: Padding,
  sizes: ReadonlyArray<number>,
  windows: ReadonlyArray<number>,
  strides: ReadonlyArray<number>,
  dilations?: ReadonlyArray<number>
): Array<[number, number]> => {
  if (typeof padding === "string") {
    const p = padding.toUpperCase()
    if (p === "VALID") return sizes.map(() => [0, 0])
    if (p === "SAME") return sizes.map((n, i) => samePadding(n, windows[i]!, strides[i]!, dilations?.[i] ?? 1))
  } else if (Array.isArray(padding)) {
    const pairs = padding.length === 1 ? sizes.map(() => padding[0]!) : padding
    if (pairs.length === sizes.length && pairs.every((q) => Array.isArray(q) && q.length === 2 && q.every((v) => Number.isInteger(v) && v >= 0))) {
      return pairs.map((q) => [q[0], q[1]])
    }
  }
  throw ModuleConfigError.make(api, "padding", `padding must be "SAME", "VALID" or ${sizes.length} [lo, hi] pairs of non-negative integers, got ${JSON.stringify(padding)}.`)
}

/**
 * The channel axis of a data format: `-1` for channels-last (`"NHWC"`, `"channels_last"`,
 * `"N...C"`), `1` for channels-first (`"NCHW"`, `"channels_first"`, `"NC..."`).
 *
 * Haiku: `hk.get_channel_index`.
 */
export const channelIndex = (api: string, dataFormat: string): number => {
  if (dataFormat === "channels_first") return 1
  if (dataFormat === "channels_last") return -1
  if (/^NC/.test(dataFormat) && dataFormat.length >= 3) return 1
  if (/^N.*C$/.test(dataFormat) && dataFormat.length >= 3) return -1
  throw ModuleConfigError.make(api, "dataFormat", `Unable to extract channel information from '${dataFormat}': use "channels_last", "channels_first", "N...C" (e.g. "NHWC") or "NC..." (e.g. "NCHW").`)
}
