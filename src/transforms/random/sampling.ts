/**
 * `jax.random` samplers built on `bits`/`uniform`: randint, permutation, choice, gumbel,
 * categorical (with a sample shape, with or without replacement) and bernoulli. Each follows
 * JAX's algorithm step for step, so the same key gives the same integers (exactly) and floats
 * (to float32 rounding) as JAX.
 */
import { Tensor } from "../core/Tensor.js"
import * as lax from "../core/lax.js"
import { ArrayDataError, shapeError } from "../core/errors.js"
import { broadcastShapes, normalizeAxis } from "../core/shape.js"
import { bits, split, uniform, type Key } from "./random.js"

const i32 = (v: number): Tensor => lax.scalar(v, "int32")
const EXACT = 16777216

const checkShape = (op: string, shape: unknown): number[] => {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ArrayDataError({ message: `jax.random.${op}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}.` })
  }
  return [...shape]
}

/** `[key, subkey]` = the two halves of `split(key)`. */
const split2 = (key: Key): [Key, Key] => {
  const ks = split(key, 2)
  return [0, 1].map((i) => lax.reshape(lax.slice(ks, [i, 0], [i + 1, 2]), [2])) as [Key, Key]
}

/** `x mod s` for uint32 `x` over its full range, exactly in float32 kernels (static `s` < 2^22): int32 in [0, s). */
const u32Mod = (x: Tensor, s: number): Tensor => {
  const part = (shift: number, width: number) =>
    lax.convertElementType(lax.and(lax.shiftRightLogical(x, lax.scalar(shift, "uint32")), lax.scalar(2 ** width - 1, "uint32")), "int32")
  if (s <= 4096) {
    // x = hi·2^16 + lo: (hi mod s)·(2^16 mod s) + (lo mod s) < 2^24
    const hi = lax.rem(part(16, 16), i32(s))
    const lo = lax.rem(part(0, 16), i32(s))
    return lax.rem(lax.add(lax.mul(hi, i32(65536 % s)), lo), i32(s))
  }
  // Horner over limbs of x: r·2^w + limb < 2^24 needs 2^w·s <= 2^24
  const w = s < 65536 ? 8 : 1
  let r = i32(0)
  for (let shift = 32 - w; shift >= 0; shift -= w) r = lax.rem(lax.add(lax.mul(r, i32(2 ** w)), part(shift, w)), i32(s))
  return r
}

/** `(a · m) mod s` for int32 `a` in [0, s) and a static `m` in [0, s), exact (s < 2^22). */
const mulMod = (a: Tensor, m: number, s: number): Tensor => {
  if (s <= 4096) return lax.rem(lax.mul(a, i32(m)), i32(s))
  // double-and-add over the bits of m, most significant first: every partial stays below 3s
  let r = i32(0)
  for (let b = Math.floor(Math.log2(Math.max(1, m))); b >= 0; b--) {
    r = lax.rem(lax.add(r, r), i32(s))
    if (Math.floor(m / 2 ** b) % 2 === 1) r = lax.rem(lax.add(r, a), i32(s))
  }
  return r
}

/**
 * Uniform integers in `[minval, maxval)`: JAX's algorithm (two 32-bit draws combined modulo the
 * span, slightly biased unless the span is a power of two), exactly. The bounds are static
 * integers; the span must be below 2^22 and the results within ±2^24 (tanka's exact integer range).
 *
 * JAX: `jax.random.randint`.
 *
 * @example
 * jax.random.randint(key, [3], 0, 10)
 */
export const randint = (key: Key, shape: ReadonlyArray<number>, minval: number, maxval: number): Tensor => {
  const sh = checkShape("randint", shape)
  if (!Number.isInteger(minval) || !Number.isInteger(maxval)) {
    throw new ArrayDataError({ message: `jax.random.randint: minval and maxval must be static integers, got ${minval} and ${maxval}.` })
  }
  const span = maxval <= minval ? 1 : maxval - minval
  if (span >= 2 ** 22) {
    throw new ArrayDataError({
      message: `jax.random.randint: the range [${minval}, ${maxval}) spans ${span} values; tanka computes JAX's 32-bit modular arithmetic exactly only for spans below 2^22 = 4194304. Fix: draw in a smaller range and combine, or use jax.random.bits.`
    })
  }
  if (Math.abs(minval) + span >= EXACT) {
    throw new ArrayDataError({ message: `jax.random.randint: results up to ${minval + span - 1} leave tanka's exact int32 range ±2^24; shift the range toward zero and add the offset in float32.` })
  }
  const [k1, k2] = split2(key)
  const hi = u32Mod(bits(k1, sh), span)
  const lo = u32Mod(bits(k2, sh), span)
  // JAX squares 2^16 mod span in uint32, which wraps to 0 for spans above 2^16
  const multiplier = (((65536 % span) * (65536 % span)) % 4294967296) % span
  const offset = lax.rem(lax.add(mulMod(hi, multiplier, span), lo), i32(span))
  return lax.add(offset, i32(minval))
}

/** JAX's `_shuffle`: `ceil(3·ln(n)/ln(2^32 - 1))` rounds of sorting by fresh 32-bit keys. */
const shuffle = (key: Key, x: Tensor, axis: number): Tensor => {
  const rounds = Math.ceil((3 * Math.log(Math.max(1, x.size))) / Math.log(4294967295))
  let k = key
  let out = x
  for (let r = 0; r < rounds; r++) {
    const [next, sub] = split2(k)
    k = next
    out = lax.sort([bits(sub, out.shape), out], axis, 1)[1]!
  }
  return out
}

/**
 * A random permutation of `arange(n)`, or of `x` along `axis` (rows move together unless
 * `independent`).
 *
 * JAX: `jax.random.permutation`.
 */
export const permutation = (key: Key, x: number | Tensor, options: { axis?: number; independent?: boolean } = {}): Tensor => {
  if (typeof x === "number") {
    if (!Number.isInteger(x) || x < 0) throw new ArrayDataError({ message: `jax.random.permutation: n must be a non-negative integer, got ${x}.` })
    return shuffle(key, lax.iota("int32", [x], 0), 0)
  }
  if (x.ndim === 0) throw shapeError("jax.random.permutation", `x must be an integer or at least 1-dimensional, got ${x.aval}.`)
  const axis = normalizeAxis("jax.random.permutation", options.axis ?? 0, x.ndim)
  if (options.independent || x.ndim === 1) return shuffle(key, x, axis)
  return lax.gather(x, shuffle(key, lax.iota("int32", [x.shape[axis]!], 0), 0), axis)
}

/** The smallest normal float32: the lower end of the uniform draws behind gumbel. */
const tiny = 1.1754943508222875e-38

/** Standard Gumbel samples, `-log(-log(u))` (JAX's default "low" mode). JAX: `jax.random.gumbel`. */
export const gumbel = (key: Key, shape: ReadonlyArray<number> = []): Tensor =>
  lax.neg(lax.log(lax.neg(lax.log(uniform(key, checkShape("gumbel", shape), { minval: tiny, maxval: 1 })))))

/** Options of `choice`. */
export interface ChoiceOptions {
  /** Draw with replacement (default true). */
  readonly replace?: boolean
  /** Probabilities of the entries (1-D, length of the sampled axis); uniform when omitted. */
  readonly p?: Tensor
  /** Axis of `a` to sample from (default 0). */
  readonly axis?: number
}

/**
 * Samples from `a` (or from `arange(a)` when `a` is a number): `shape` draws, with or without
 * replacement, uniformly or by `p`.
 *
 * JAX: `jax.random.choice`.
 */
export const choice = (key: Key, a: number | Tensor, shape: ReadonlyArray<number> = [], options: ChoiceOptions = {}): Tensor => {
  const sh = checkShape("choice", shape)
  const arr = typeof a === "number" ? null : a
  if (arr !== null && arr.ndim === 0) throw shapeError("jax.random.choice", `a must be a number or an array of rank >= 1, got ${arr.aval}.`)
  const axis = arr === null ? 0 : normalizeAxis("jax.random.choice", options.axis ?? 0, arr.ndim)
  const n = arr === null ? (a as number) : arr.shape[axis]!
  if (arr === null && (!Number.isInteger(n) || n < 0)) throw new ArrayDataError({ message: `jax.random.choice: a must be a non-negative integer or an array, got ${a}.` })
  const draws = sh.reduce((p, d) => p * d, 1)
  const outShape = arr === null ? sh : [...arr.shape.slice(0, axis), ...sh, ...arr.shape.slice(axis + 1)]
  if (draws === 0) return lax.full(outShape, 0, arr?.dtype ?? "int32")
  if (n <= 0) throw new ArrayDataError({ message: "jax.random.choice: a must be greater than 0 unless no samples are taken." })
  const replace = options.replace ?? true
  if (!replace && draws > n) throw new ArrayDataError({ message: `jax.random.choice: cannot take a larger sample (size ${draws}) than population (size ${n}) when replace is false; draw at most ${n}, or pass replace: true.` })
  let ind: Tensor
  if (options.p === undefined) {
    if (replace) ind = randint(key, sh, 0, n)
    else {
      const perm = permutation(key, arr === null ? n : arr, { axis })
      const taken = lax.slice(perm, perm.shape.map(() => 0), perm.shape.map((d, i) => (i === axis ? draws : d)))
      return lax.reshape(taken, outShape)
    }
  } else {
    const p = lax.convertElementType(options.p, "float32")
    if (p.ndim !== 1 || p.shape[0] !== n) {
      throw shapeError("jax.random.choice", `p must be undefined or a 1-D vector with the size of a.shape[axis] (${n}); p has shape [${p.shape.join(",")}].`)
    }
    if (replace) {
      const cuml = lax.cumsum(p, 0)
      const total = lax.reshape(lax.slice(cuml, [n - 1], [n]), [])
      const r = lax.mul(total, lax.sub(lax.scalar(1, "float32"), uniform(key, sh)))
      ind = searchsortedLeft(cuml, r)
    } else {
      const g = lax.add(gumbel(key, [n]), lax.log(p))
      ind = lax.topK(g, draws, 0)[1]
    }
  }
  if (arr === null) return lax.reshape(ind, outShape)
  return lax.reshape(lax.gather(arr, lax.reshape(ind, [draws]), axis), outShape)
}

/** Insertion indices into the sorted 1-D `a` (side left, NaN last). */
const searchsortedLeft = (a: Tensor, v: Tensor): Tensor => {
  const shape = [...v.shape, a.shape[0]!]
  const av = lax.broadcastInDim(a, shape, [v.ndim])
  const vv = lax.broadcastInDim(v, shape, v.shape.map((_, i) => i))
  const before = lax.and(lax.eq(av, av), lax.or(lax.ne(vv, vv), lax.lt(av, vv)))
  return lax.reduceSum(lax.convertElementType(before, "int32"), [v.ndim])
}

/** Options of `categorical`. */
export interface CategoricalOptions {
  /** Axis of the categories (default -1). */
  readonly axis?: number
  /** Sample shape; must end with the logits' batch shape (logits' shape without `axis`). */
  readonly shape?: ReadonlyArray<number>
  /** Draw with replacement (default true); without, the leading sample axes count the draws. */
  readonly replace?: boolean
}

/**
 * Category indices drawn from unnormalised log-probabilities with the Gumbel-max trick (or the
 * Gumbel top-k trick without replacement).
 *
 * JAX: `jax.random.categorical`.
 *
 * @example
 * declare const logits: Tensor, batch: number[]
 * jax.random.categorical(key, logits, { shape: [10, ...batch] })
 */
export const categorical = (key: Key, logits: Tensor, options: CategoricalOptions = {}): Tensor => {
  const ax = normalizeAxis("categorical", options.axis ?? -1, logits.ndim)
  const batch = logits.shape.filter((_, i) => i !== ax)
  const shape = options.shape === undefined ? batch : checkShape("categorical", options.shape)
  if (shape.length < batch.length || broadcastShapes("categorical", [shape, batch]).some((d, i) => d !== shape[i])) {
    throw shapeError("categorical", `shape [${shape.join(",")}] is not compatible with the logits' batch shape [${batch.join(",")}]; it must end with it (extra leading axes count samples).`)
  }
  const prefix = shape.slice(0, shape.length - batch.length)
  const f = logits.dtype === "float32" ? logits : lax.convertElementType(logits, "float32")
  if (options.replace ?? true) {
    const negAxis = ax - logits.ndim
    const logitsShape = shape.slice(shape.length - batch.length)
    logitsShape.splice(ax, 0, logits.shape[ax]!)
    const g = gumbel(key, [...prefix, ...logitsShape])
    const expanded = lax.reshape(f, [...prefix.map(() => 1), ...f.shape])
    return lax.argmax(lax.add(g, expanded), g.ndim + negAxis)
  }
  const k = prefix.reduce((p, d) => p * d, 1)
  if (k > logits.shape[ax]!) throw shapeError("categorical", `number of samples without replacement (${k}) cannot exceed the number of categories (${logits.shape[ax]}).`)
  const noisy = lax.add(f, gumbel(key, f.shape))
  const [, idx] = lax.topK(lax.moveAxis(noisy, ax, noisy.ndim - 1), k, noisy.ndim - 1)
  // indices [...batch, k] -> [k, ...batch] -> shape
  return lax.reshape(lax.moveAxis(idx, idx.ndim - 1, 0), shape)
}

/**
 * Booleans, true with probability `p` (a number or an array broadcast against `shape`; the
 * shape defaults to `p`'s).
 *
 * JAX: `jax.random.bernoulli`.
 */
export const bernoulli = (key: Key, p: number | Tensor = 0.5, shape?: ReadonlyArray<number>): Tensor => {
  const pt = p instanceof Tensor ? lax.convertElementType(p, "float32") : lax.scalar(p, "float32")
  const sh = shape === undefined ? [...pt.shape] : checkShape("bernoulli", shape)
  if (broadcastShapes("bernoulli", [sh, pt.shape]).some((d, i) => d !== sh[i])) {
    throw shapeError("bernoulli", `shape [${sh.join(",")}] is not compatible with p ${pt.aval}; p must broadcast to the shape.`)
  }
  return lax.lt(uniform(key, sh), pt)
}
