/**
 * Initializers: `(shape, dtype) => Tensor | Effect<Tensor, never, Rng>`. Random ones draw one
 * key with `hk.nextRngKey()`, as Haiku's do.
 *
 * Haiku: `hk.initializers`.
 *
 * @module
 */
import { Effect } from "effect"
import * as lax from "../transforms/core/lax.js"
import * as random from "../transforms/random/random.js"
import type { DType } from "../kernels/dtype.js"
import type { Tensor } from "../transforms/core/Tensor.js"
import type { Initializer } from "../effects/getParameter.js"
import type { Rng } from "../effects/services.js"
import { nextRngKey } from "../effects/rng.js"
import { dtypeError } from "../transforms/core/errors.js"

/**
 * Random initializers make float32 values; an integer dtype is an error, as in JAX, not samples
 * truncated to integers. It usually comes from a module that creates its parameters in its
 * input's dtype (hk.Linear, hk.Conv2D, … on an int32 input).
 */
const floatOnly = (name: string, dtype: DType): void => {
  if (dtype !== "float32") {
    throw dtypeError(
      `hk.initializers.${name}`,
      `cannot create ${dtype} parameters from a random distribution (JAX rejects non-float dtypes here). ` +
        `A module creates its parameters in its input's dtype, so an ${dtype} input (e.g. to hk.Linear) asks for ${dtype} weights: ` +
        `cast the input first (jnp.astype(x, "float32")), or pass an integer initializer such as hk.initializers.Constant.`
    )
  }
}

const scaleShift = (t: Tensor, stddev: number, mean: number): Tensor => lax.add(lax.mul(t, lax.scalar(stddev, "float32")), lax.scalar(mean, "float32"))

/**
 * Every element equals `value`.
 *
 * Haiku: `hk.initializers.Constant`.
 *
 * @example
 * hk.getParameter("b", [3], hk.initializers.Constant(0.1))
 */
export const Constant =
  (value: number): Initializer =>
  (shape, dtype) =>
    lax.full([...shape], value, dtype)

/**
 * Normal samples with the given `stddev` and `mean`.
 *
 * Haiku: `hk.initializers.RandomNormal`.
 *
 * @example
 * hk.getParameter("w", [3, 4], hk.initializers.RandomNormal(0.01))
 */
export const RandomNormal =
  (stddev = 1, mean = 0): Initializer<Rng> =>
  (shape, dtype) => {
    floatOnly("RandomNormal", dtype)
    return Effect.map(nextRngKey(), (k) => scaleShift(random.normal(k, shape), stddev, mean))
  }

/**
 * Uniform samples in `[minval, maxval)`.
 *
 * Haiku: `hk.initializers.RandomUniform`.
 *
 * @example
 * hk.getParameter("w", [3], hk.initializers.RandomUniform(-1, 1))
 */
export const RandomUniform =
  (minval = 0, maxval = 1): Initializer<Rng> =>
  (shape, dtype) => {
    floatOnly("RandomUniform", dtype)
    return Effect.map(nextRngKey(), (k) => random.uniform(k, shape, { minval, maxval }))
  }

/**
 * Normal samples truncated to `[lower, upper]` standard deviations, then scaled by `stddev`
 * and shifted by `mean`. `hk.Linear`'s default is `TruncatedNormal(1 / sqrt(fanIn))`.
 *
 * Haiku: `hk.initializers.TruncatedNormal`.
 *
 * @example
 * hk.getParameter("w", [100, 300], hk.initializers.TruncatedNormal(0.1))
 */
export const TruncatedNormal =
  (stddev = 1, mean = 0, lower = -2, upper = 2): Initializer<Rng> =>
  (shape, dtype) => {
    floatOnly("TruncatedNormal", dtype)
    return Effect.map(nextRngKey(), (k) => scaleShift(random.truncatedNormal(k, lower, upper, shape), stddev, mean))
  }

/** Haiku's `_compute_fans`. */
export const computeFans = (shape: ReadonlyArray<number>): [number, number] => {
  if (shape.length < 1) return [1, 1]
  if (shape.length === 1) return [shape[0]!, shape[0]!]
  if (shape.length === 2) return [shape[0]!, shape[1]!]
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1)
  return [shape[shape.length - 2]! * receptive, shape[shape.length - 1]! * receptive]
}

/** Options of {@link VarianceScaling}. */
export interface VarianceScalingOptions {
  readonly mode?: "fan_in" | "fan_out" | "fan_avg"
  readonly distribution?: "truncated_normal" | "normal" | "uniform"
}

/**
 * Samples whose variance is `scale / fan` (fan by `mode`), from a truncated normal (default,
 * corrected for truncation), a normal or a uniform distribution.
 *
 * Haiku: `hk.initializers.VarianceScaling`.
 *
 * @example
 * hk.initializers.VarianceScaling(2.0, { mode: "fan_in", distribution: "truncated_normal" }) // He init
 */
export const VarianceScaling =
  (scale = 1, options: VarianceScalingOptions = {}): Initializer<Rng> =>
  (shape, dtype) => {
    const [fanIn, fanOut] = computeFans(shape)
    const mode = options.mode ?? "fan_in"
    const fan = mode === "fan_in" ? fanIn : mode === "fan_out" ? fanOut : (fanIn + fanOut) / 2
    const s = scale / Math.max(1, fan)
    const distribution = options.distribution ?? "truncated_normal"
    if (distribution === "truncated_normal") return TruncatedNormal(Math.sqrt(s) / 0.8796256610342398)(shape, dtype)
    if (distribution === "normal") return RandomNormal(Math.sqrt(s))(shape, dtype)
    const limit = Math.sqrt(3 * s)
    return RandomUniform(-limit, limit)(shape, dtype)
  }
