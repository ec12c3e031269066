/**
 * `jax.random`: counter-based, splittable keys on threefry2x32, built the way JAX builds them
 * with `jax_threefry_partitionable` on (JAX's default since 0.5): a key is two uint32 words; the
 * i-th of `n` split keys, the bits at flat position i, and `foldIn(key, i)` are all
 * `threefry2x32(key, [0, i])`.
 *
 * @module
 */
import { Tensor } from "../core/Tensor.js"
import * as lax from "../core/lax.js"
import * as K from "../../kernels/index.js"
import { ConcreteTensor } from "../core/Tensor.js"
import { ArrayDataError, shapeError, dtypeError } from "../core/errors.js"

declare const KeyBrand: unique symbol
/** A PRNG key: a uint32 tensor whose last axis holds the two words (shape `[2]`, or `[n, 2]` for split keys). */
export type Key = Tensor & { readonly [KeyBrand]: true }

const asKey = (t: Tensor): Key => t as Key

const checkKey = (op: string, key: unknown): Tensor => {
  if (!(key instanceof Tensor) || key.dtype !== "uint32" || key.shape[key.ndim - 1] !== 2) {
    const shown = key instanceof Tensor ? key.aval.toString() : key === null ? "null" : typeof key
    throw new ArrayDataError({
      message: `jax.random.${op}: expected a key (a u32[2] tensor from jax.random.key(seed)), got ${shown}. Make one with jax.random.key(0).`
    })
  }
  return key
}

const words = (key: Tensor): [Tensor, Tensor] => {
  const k = checkKey("keyData", key)
  const lead = k.shape.slice(0, -1)
  const w = (i: number) => lax.reshape(lax.slice(k, [...lead.map(() => 0), i], [...lead, i + 1]), lead)
  return [w(0), w(1)]
}

/**
 * A key from an integer seed: `[0, seed]` for seeds in [0, 2^32) (negative seeds wrap like int32).
 *
 * JAX: `jax.random.key` / `jax.random.PRNGKey`.
 */
export const key = (seed: number): Key => {
  if (!Number.isInteger(seed) || Math.abs(seed) > Number.MAX_SAFE_INTEGER) {
    throw new ArrayDataError({ message: `jax.random.key: the seed must be an integer, got ${seed}.` })
  }
  const hi = seed >= 0 ? Math.floor(seed / 2 ** 32) >>> 0 : 0
  const lo = seed >>> 0
  return asKey(new ConcreteTensor(K.hostArray("uint32", [2], new Uint32Array([hi, lo]))))
}

/** The key's two uint32 words as a tensor. JAX: `jax.random.key_data`. */
export const keyData = (key: Key): Tensor => checkKey("keyData", key)

/** `threefry2x32(key, [0, i])` for i over a shape, returning both output words. */
const counterBlocks = (key: Tensor, shape: ReadonlyArray<number>): [Tensor, Tensor] => {
  const [k0, k1] = words(key)
  if (k0.ndim !== 0) throw shapeError("jax.random", `expected a single key u32[2], got ${key.aval}; vmap over batched keys.`)
  const n = shape.reduce((a, b) => a * b, 1)
  const lo = lax.reshape(lax.iota("uint32", [n], 0), shape)
  const hi = lax.full(shape, 0, "uint32")
  return lax.threefry2x32(k0, k1, hi, lo)
}

/**
 * The threefry2x32 block cipher, as JAX's `threefry_2x32(keypair, count)`: the count's first
 * half and second half are the two counter words; the output has the count's shape.
 */
export const threefry2x32 = (keyPair: Tensor | readonly [number, number], count: Tensor): Tensor => {
  const kp = keyPair instanceof Tensor ? keyPair : new ConcreteTensor(K.hostArray("uint32", [2], new Uint32Array(keyPair)))
  if (count.dtype !== "uint32") throw dtypeError("threefry2x32", `count must be uint32, got ${count.aval}.`)
  if (count.size % 2 !== 0) throw shapeError("threefry2x32", `count must have an even number of elements, got ${count.aval}.`)
  const [k0, k1] = words(kp)
  const flat = lax.reshape(count, [count.size])
  const half = count.size / 2
  const x0 = lax.slice(flat, [0], [half])
  const x1 = lax.slice(flat, [half], [count.size])
  const [y0, y1] = lax.threefry2x32(k0, k1, x0, x1)
  return lax.reshape(lax.concatenate([y0, y1], 0), count.shape)
}

/** `n` new keys, shape `[n, 2]`. JAX: `jax.random.split`. */
export const split = (key: Key, n = 2): Key => {
  if (!Number.isInteger(n) || n < 1) throw new ArrayDataError({ message: `jax.random.split: n must be a positive integer, got ${n}.` })
  const [b0, b1] = counterBlocks(key, [n])
  return asKey(lax.concatenate([lax.reshape(b0, [n, 1]), lax.reshape(b1, [n, 1])], 1))
}

/** A new key derived from `key` and an integer. JAX: `jax.random.fold_in`. */
export const foldIn = (key: Key, data: number): Key => {
  if (!Number.isInteger(data)) throw new ArrayDataError({ message: `jax.random.foldIn: data must be an integer, got ${data}.` })
  const [k0, k1] = words(key)
  const [y0, y1] = lax.threefry2x32(k0, k1, lax.scalar(0, "uint32"), lax.scalar(data >>> 0, "uint32"))
  return asKey(lax.concatenate([lax.reshape(y0, [1]), lax.reshape(y1, [1])], 0))
}

/** Uniform random uint32 bits. JAX: `jax.random.bits`. */
export const bits = (key: Key, shape: ReadonlyArray<number> = []): Tensor => {
  const [b0, b1] = counterBlocks(key, shape)
  return lax.xor(b0, b1)
}

/**
 * Uniform floats in `[minval, maxval)`: 23 random mantissa bits, exactly as JAX computes them.
 *
 * JAX: `jax.random.uniform`.
 */
export const uniform = (key: Key, shape: ReadonlyArray<number> = [], options: { minval?: number; maxval?: number } = {}): Tensor =>
  uniformBetween(key, shape, lax.scalar(options.minval ?? 0, "float32"), lax.scalar(options.maxval ?? 1, "float32"))

const uniformBetween = (key: Key, shape: ReadonlyArray<number>, lo: Tensor, hi: Tensor): Tensor => {
  const mant = lax.shiftRightLogical(bits(key, shape), lax.scalar(9, "uint32"))
  const floats = lax.mul(lax.convertElementType(mant, "float32"), lax.scalar(2 ** -23, "float32"))
  return lax.max(lo, lax.add(lax.mul(floats, lax.sub(hi, lo)), lo))
}

const nextafterUp = (x: number): number => {
  const f = new Float32Array([x])
  const u = new Uint32Array(f.buffer)
  if (x === 0) return 1.401298464324817e-45
  u[0] = x > 0 ? u[0]! + 1 : u[0]! - 1
  return f[0]!
}
const nextafterDown = (x: number): number => -nextafterUp(-x)

/** Standard normal samples: `sqrt(2) * erf_inv(u)`, `u` uniform on (-1, 1). JAX: `jax.random.normal`. */
export const normal = (key: Key, shape: ReadonlyArray<number> = []): Tensor => {
  const u = uniform(key, shape, { minval: nextafterUp(-1), maxval: 1 })
  return lax.mul(lax.scalar(Math.SQRT2, "float32"), lax.erfInv(u))
}

/** Normal samples truncated to `[lower, upper]`. JAX: `jax.random.truncated_normal`. */
export const truncatedNormal = (key: Key, lower: number, upper: number, shape: ReadonlyArray<number> = []): Tensor => {
  if (!(lower < upper)) throw new ArrayDataError({ message: `jax.random.truncatedNormal: lower (${lower}) must be below upper (${upper}).` })
  const a = lax.erf(lax.scalar(lower / Math.SQRT2, "float32"))
  const b = lax.erf(lax.scalar(upper / Math.SQRT2, "float32"))
  const u = uniformBetween(key, shape, a, b)
  const out = lax.mul(lax.scalar(Math.SQRT2, "float32"), lax.erfInv(u))
  return lax.min(lax.max(out, lax.scalar(nextafterUp(Math.fround(lower)), "float32")), lax.scalar(nextafterDown(Math.fround(upper)), "float32"))
}

export { randint, permutation, choice, gumbel, categorical, bernoulli, type ChoiceOptions, type CategoricalOptions } from "./sampling.js"
