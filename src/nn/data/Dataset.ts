/**
 * In-memory labelled datasets: a seeded permutation, a fixed train/test split, and a batch
 * iterator that yields tensors. Shuffling uses a small host-side PRNG (mulberry32), so an
 * order depends only on the seed, never on `Math.random`.
 */
import * as jnp from "../../jnp.js"
import type { Tensor } from "../../transforms/core/Tensor.js"

/**
 * Examples stored row-major on the host: `images` is `[size, features]` float32, `labels` is
 * `[size]` int32.
 */
export interface Dataset {
  readonly images: Float32Array
  readonly labels: Int32Array
  /** Number of examples. */
  readonly size: number
  /** Values per example (784 for MNIST). */
  readonly features: number
}

/** One batch as tensors: `images` `f32[B, features]`, `labels` `i32[B]`. */
export interface Batch {
  readonly images: Tensor
  readonly labels: Tensor
}

/** A train/test pair. */
export interface Split {
  readonly train: Dataset
  readonly test: Dataset
}

/** mulberry32: a 32-bit seeded PRNG giving floats in [0, 1). */
const mulberry32 = (seed: number): (() => number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const checkSeed = (op: string, seed: number): void => {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`${op}: seed must be an integer, got ${seed}.`)
}

/**
 * A permutation of `0 … n−1` determined by `seed` (Fisher–Yates over mulberry32).
 *
 * JAX: like `jax.random.permutation(key, n)`, but seeded by an integer on the host.
 *
 * @example
 * data.permutation(5, 0) // the same Int32Array of 0..4 in some order, every run
 */
export const permutation = (n: number, seed: number): Int32Array => {
  checkSeed("permutation", seed)
  const rand = mulberry32(seed ^ 0x9e3779b9)
  const out = new Int32Array(n)
  for (let i = 0; i < n; i++) out[i] = i
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    const t = out[i]!
    out[i] = out[j]!
    out[j] = t
  }
  return out
}

/**
 * The examples at `indices`, in that order (a copy).
 *
 * @example
 * declare const ds: data.Dataset
 * const firstTen = data.take(ds, Int32Array.from({ length: 10 }, (_, i) => i))
 */
export const take = (ds: Dataset, indices: ArrayLike<number>): Dataset => {
  const f = ds.features
  const images = new Float32Array(indices.length * f)
  const labels = new Int32Array(indices.length)
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i]!
    if (!Number.isInteger(k) || k < 0 || k >= ds.size) throw new RangeError(`take: index ${k} is out of range for a dataset of ${ds.size} examples.`)
    images.set(ds.images.subarray(k * f, (k + 1) * f), i * f)
    labels[i] = ds.labels[k]!
  }
  return { images, labels, size: indices.length, features: f }
}

/**
 * The dataset in the order of `permutation(size, seed)`.
 *
 * @example
 * declare const ds: data.Dataset
 * const shuffled = data.shuffle(ds, 42)
 */
export const shuffle = (ds: Dataset, seed: number): Dataset => take(ds, permutation(ds.size, seed))

/**
 * Shuffle with `seed`, then hold out the last `testSize` examples as the test set. The same
 * seed always gives the same split.
 *
 * @example
 * declare const ds: data.Dataset
 * const { train, test } = data.trainTestSplit(ds, { seed: 0, testSize: 1000 }) // 9,000 / 1,000 for MNIST
 */
export const trainTestSplit = (ds: Dataset, options: { readonly seed?: number; readonly testSize?: number } = {}): Split => {
  const seed = options.seed ?? 0
  const testSize = options.testSize ?? Math.round(ds.size / 10)
  if (!Number.isInteger(testSize) || testSize < 0 || testSize > ds.size) {
    throw new RangeError(`trainTestSplit: testSize must be an integer in [0, ${ds.size}], got ${testSize}.`)
  }
  const order = permutation(ds.size, seed)
  return { train: take(ds, order.subarray(0, ds.size - testSize)), test: take(ds, order.subarray(ds.size - testSize)) }
}

/** Options of `batches`. */
export interface BatchOptions {
  /** Drop a last batch smaller than `batchSize` (so every batch has one shape). Default true. */
  readonly dropRemainder?: boolean
  /** Shuffle the order with this seed (e.g. `seed + epoch`); default: the dataset's order. */
  readonly seed?: number
}

/**
 * How many batches `batches(ds, batchSize, options)` yields.
 *
 * @example
 * declare const train: data.Dataset
 * data.numBatches(train, 128) // 70 for 9,000 examples
 */
export const numBatches = (ds: Dataset, batchSize: number, options: { readonly dropRemainder?: boolean } = {}): number =>
  options.dropRemainder === false ? Math.ceil(ds.size / batchSize) : Math.floor(ds.size / batchSize)

/**
 * Iterate over the dataset in batches of tensors (`images` `f32[B, features]`, `labels`
 * `i32[B]`), optionally in a seeded shuffled order. The last short batch is dropped by
 * default, so a jitted step sees one input shape.
 *
 * @example
 * declare const train: data.Dataset, epoch: number
 * declare const step: (params: hk.ParamTree, optState: unknown, images: Tensor, labels: Tensor) => [hk.ParamTree, unknown]
 * let p = params, optState: unknown = null
 * for (const { images, labels } of data.batches(train, 128, { seed: epoch })) {
 *   ;[p, optState] = step(p, optState, images, labels)
 * }
 */
export function* batches(ds: Dataset, batchSize: number, options: BatchOptions = {}): Generator<Batch, void, undefined> {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batches: batchSize must be a positive integer, got ${batchSize}.`)
  const order = options.seed === undefined ? null : permutation(ds.size, options.seed)
  const count = numBatches(ds, batchSize, options)
  for (let b = 0; b < count; b++) {
    const start = b * batchSize
    const end = Math.min(start + batchSize, ds.size)
    const part = order === null ? slice(ds, start, end) : take(ds, order.subarray(start, end))
    yield {
      images: jnp.array(part.images, { shape: [part.size, ds.features] }),
      labels: jnp.array(part.labels, { shape: [part.size] })
    }
  }
}

/** Examples `start … end−1` without copying the host arrays. */
const slice = (ds: Dataset, start: number, end: number): Dataset => ({
  images: ds.images.subarray(start * ds.features, end * ds.features),
  labels: ds.labels.subarray(start, end),
  size: end - start,
  features: ds.features
})
