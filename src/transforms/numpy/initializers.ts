/**
 * `jax.nn.initializers`: JAX's initializers, `init(key, shape, dtype?) => Tensor`, computing the
 * same float32 numbers as JAX for the same key (the scales are rounded to float32 where JAX
 * rounds them). Haiku's own initializers (`hk.initializers`) draw their key from `hk.Rng`
 * instead; these take it explicitly.
 *
 * JAX: `jax.nn.initializers`.
 *
 * @module
 */
import type { DType } from "../../kernels/dtype.js"
import type { Tensor } from "../core/Tensor.js"
import * as lax from "../core/lax.js"
import { ArrayDataError, dtypeError } from "../core/errors.js"
import * as random from "../random/random.js"

/** A JAX initializer: a key, a shape and an optional float dtype in, an array out. */
export type JaxInitializer = (key: random.Key, shape: ReadonlyArray<number>, dtype?: DType) => Tensor

const f32 = (v: number) => lax.scalar(Math.fround(v), "float32")
/**
 * The dtype of a random initializer's result: random values are float32 (JAX raises for an
 * integer dtype here rather than truncating the samples).
 */
const floatOnly = (op: string, dtype: DType): void => {
  if (dtype !== "float32") {
    throw dtypeError(
      `jax.nn.initializers.${op}`,
      `cannot draw ${dtype} values from a random distribution (they would be truncated to integers; JAX rejects non-float dtypes here). Pass dtype "float32", or use constant/zeros/ones for integer arrays.`
    )
  }
}

/** Zeros. JAX: `jax.nn.initializers.zeros`. */
export const zeros: JaxInitializer = (_key, shape, dtype = "float32") => lax.full([...shape], 0, dtype)
/** Ones. JAX: `jax.nn.initializers.ones`. */
export const ones: JaxInitializer = (_key, shape, dtype = "float32") => lax.full([...shape], 1, dtype)
/** Every element `value`. JAX: `jax.nn.initializers.constant`. */
export const constant =
  (value: number): JaxInitializer =>
  (_key, shape, dtype = "float32") =>
    lax.full([...shape], value, dtype)

/** Uniform on [0, scale). JAX: `jax.nn.initializers.uniform`. */
export const uniform =
  (scale = 1e-2): JaxInitializer =>
  (key, shape, dtype = "float32") => {
    floatOnly("uniform", dtype)
    return lax.mul(random.uniform(key, shape), f32(scale))
  }

/** Normal with standard deviation `stddev`. JAX: `jax.nn.initializers.normal`. */
export const normal =
  (stddev = 1e-2): JaxInitializer =>
  (key, shape, dtype = "float32") => {
    floatOnly("normal", dtype)
    return lax.mul(random.normal(key, shape), f32(stddev))
  }

/** Normal truncated to [lower, upper] (in standard deviations), scaled by `stddev`. JAX: `jax.nn.initializers.truncated_normal`. */
export const truncatedNormal =
  (stddev = 1e-2, lower = -2, upper = 2): JaxInitializer =>
  (key, shape, dtype = "float32") => {
    floatOnly("truncatedNormal", dtype)
    return lax.mul(random.truncatedNormal(key, lower, upper, shape), f32(stddev))
  }

/** Which fan a variance-scaling initializer divides by. */
export type FanMode = "fan_in" | "fan_out" | "fan_avg" | "fan_geo_avg"
/** The distribution a variance-scaling initializer samples. */
export type Distribution = "truncated_normal" | "normal" | "uniform"

const axisList = (a: number | ReadonlyArray<number>, shape: ReadonlyArray<number>): number[] =>
  (typeof a === "number" ? [a] : [...a]).map((i) => (i < 0 ? i + shape.length : i))

/** JAX's `_compute_fans`: receptive field = the elements outside the in, out and batch axes. */
export const computeFans = (
  shape: ReadonlyArray<number>,
  inAxis: number | ReadonlyArray<number> = -2,
  outAxis: number | ReadonlyArray<number> = -1,
  batchAxis: number | ReadonlyArray<number> = []
): [number, number] => {
  if (inAxis === -2 && shape.length <= 1) {
    throw new ArrayDataError({
      message: `jax.nn.initializers: can't compute input and output sizes of a ${shape.length}-dimensional weights tensor with the default inAxis; weights must be at least 2-D, or pass inAxis explicitly.`
    })
  }
  const prod = (axes: number[]) => axes.reduce((p, i) => p * shape[i]!, 1)
  const inSize = prod(axisList(inAxis, shape))
  const outSize = prod(axisList(outAxis, shape))
  const batchSize = prod(axisList(batchAxis, shape))
  const receptive = shape.reduce((p, d) => p * d, 1) / inSize / outSize / batchSize
  return [inSize * receptive, outSize * receptive]
}

/** Options of `varianceScaling` beyond scale, mode and distribution. */
export interface VarianceScalingOptions {
  readonly inAxis?: number | ReadonlyArray<number>
  readonly outAxis?: number | ReadonlyArray<number>
  readonly batchAxis?: number | ReadonlyArray<number>
}

/**
 * Samples with variance `scale / fan` (fan by `mode`): a truncated normal rescaled by
 * 1/0.8796 (the stddev of a standard normal truncated to ±2), a normal, or a uniform on
 * ±sqrt(3·variance).
 *
 * JAX: `jax.nn.initializers.variance_scaling`.
 */
export const varianceScaling =
  (scale: number, mode: FanMode, distribution: Distribution, options: VarianceScalingOptions = {}): JaxInitializer =>
  (key, shape, dtype = "float32") => {
    floatOnly("varianceScaling", dtype)
    const [fanIn, fanOut] = computeFans(shape, options.inAxis, options.outAxis, options.batchAxis)
    const denominator = mode === "fan_in" ? fanIn : mode === "fan_out" ? fanOut : mode === "fan_avg" ? (fanIn + fanOut) / 2 : mode === "fan_geo_avg" ? Math.sqrt(fanIn * fanOut) : NaN
    if (Number.isNaN(denominator)) throw new ArrayDataError({ message: `jax.nn.initializers.varianceScaling: invalid mode ${JSON.stringify(mode)}; use fan_in, fan_out, fan_avg or fan_geo_avg.` })
    // float32 arithmetic on the scalars, as JAX does with jnp.array(..., dtype)
    const variance = Math.fround(scale / denominator)
    let out: Tensor
    if (distribution === "truncated_normal") {
      const stddev = Math.fround(Math.fround(Math.sqrt(variance)) / Math.fround(0.87962566103423978))
      out = lax.mul(random.truncatedNormal(key, -2, 2, shape), f32(stddev))
    } else if (distribution === "normal") out = lax.mul(random.normal(key, shape), f32(Math.sqrt(variance)))
    else if (distribution === "uniform") out = lax.mul(random.uniform(key, shape, { minval: -1, maxval: 1 }), f32(Math.sqrt(Math.fround(3 * variance))))
    else throw new ArrayDataError({ message: `jax.nn.initializers.varianceScaling: invalid distribution ${JSON.stringify(distribution)}; use truncated_normal, normal or uniform.` })
    return out
  }

/** `varianceScaling(1, "fan_avg", "uniform")`. JAX: `jax.nn.initializers.glorot_uniform` (also `xavier_uniform`). */
export const glorotUniform = (options: VarianceScalingOptions = {}): JaxInitializer => varianceScaling(1, "fan_avg", "uniform", options)
/** `varianceScaling(1, "fan_avg", "truncated_normal")`. JAX: `jax.nn.initializers.glorot_normal` (also `xavier_normal`). */
export const glorotNormal = (options: VarianceScalingOptions = {}): JaxInitializer => varianceScaling(1, "fan_avg", "truncated_normal", options)
/** `varianceScaling(1, "fan_in", "uniform")`. JAX: `jax.nn.initializers.lecun_uniform`. */
export const lecunUniform = (options: VarianceScalingOptions = {}): JaxInitializer => varianceScaling(1, "fan_in", "uniform", options)
/** `varianceScaling(1, "fan_in", "truncated_normal")`. JAX: `jax.nn.initializers.lecun_normal`. */
export const lecunNormal = (options: VarianceScalingOptions = {}): JaxInitializer => varianceScaling(1, "fan_in", "truncated_normal", options)
/** `varianceScaling(2, "fan_in", "uniform")`. JAX: `jax.nn.initializers.he_uniform` (also `kaiming_uniform`). */
export const heUniform = (options: VarianceScalingOptions = {}): JaxInitializer => varianceScaling(2, "fan_in", "uniform", options)
/** `varianceScaling(2, "fan_in", "truncated_normal")`. JAX: `jax.nn.initializers.he_normal` (also `kaiming_normal`). */
export const heNormal = (options: VarianceScalingOptions = {}): JaxInitializer => varianceScaling(2, "fan_in", "truncated_normal", options)
export { glorotUniform as xavierUniform, glorotNormal as xavierNormal, heUniform as kaimingUniform, heNormal as kaimingNormal }
