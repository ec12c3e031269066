/**
 * The second main job, `npm run example:lm`: a few training steps of a tiny configuration make
 * the loss fall, the checkpoint reloads to the same held-out loss, sampling gives text from the
 * vocabulary; bad flags print the usage.
 */
import { describe, expect, it } from "vitest"
import { Effect } from "effect"
import { spawnSync } from "node:child_process"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { jnp } from "../../src/index.js"
import { loadCorpus, trainLM, batchOf } from "../../examples/train-lm.js"

describe("the character-level Transformer (examples/train-lm.ts)", () => {
  it("a few steps make the training loss fall; held-out loss beats the uniform guess; the checkpoint reloads; the sample uses the vocabulary", async () => {
    const corpus = loadCorpus("src", 40_000)
    expect(corpus.chars.length).toBeGreaterThan(50)
    expect(corpus.decode(corpus.encode("export const"))).toBe("export const")
    const dir = mkdtempSync(join(tmpdir(), "tanka-lm-"))
    const r = await Effect.runPromise(
      trainLM({ seqLen: 16, dModel: 32, numHeads: 2, numLayers: 1, batchSize: 16, steps: 40, lr: 1e-2, seed: 0, sampleLength: 30, temperature: 1, checkpoint: join(dir, "lm.safetensors"), maxChars: null, log: () => {} }, corpus)
    )
    expect(r.finalLoss).toBeLessThan(r.firstLoss - 0.5)
    expect(r.validLoss).toBeLessThan(Math.log(corpus.chars.length))
    expect(r.reloadedValidLoss).toBe(r.validLoss)
    expect(r.sample.startsWith("export const ")).toBe(true)
    expect(r.sample.length).toBe("export const ".length + 30)
    expect([...r.sample].every((c) => corpus.chars.includes(c))).toBe(true)
  })

  it("batches are windows of the text and the same shifted by one", () => {
    const ids = Int32Array.from({ length: 50 }, (_, i) => i)
    const [x, y] = batchOf(ids, 3, 5, () => 10)
    expect(x.toArray()).toEqual([[10, 11, 12, 13, 14], [10, 11, 12, 13, 14], [10, 11, 12, 13, 14]])
    expect(jnp.subtract(y, x).toArray()).toEqual(Array.from({ length: 3 }, () => [1, 1, 1, 1, 1]))
  })

  it.each([
    [["--heads", "3"], /--heads \(3\) must divide --d-model \(64\)/],
    [["--temperature", "hot"], /--temperature must be a positive number/]
  ])("bad flags %j print the usage and exit 2", (args, message) => {
    const r = spawnSync(process.execPath, ["--import", "tsx", "examples/lm.ts", ...args], { encoding: "utf8", timeout: 60_000 })
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(message)
    expect(r.stderr).toMatch(/Usage: npm run example:lm/)
  })
})
