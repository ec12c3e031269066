/**
 * The way out to JAX and back (scripts/jax-reference/checkpoint.py): tanka's checkpoints are
 * Haiku-keyed safetensors that JAX reads without conversion, and a checkpoint written by
 * Python's `safetensors` from JAX params loads in tanka and predicts what JAX predicted.
 */
import { Effect } from "effect"
import { createHash } from "node:crypto"
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { hk, jnp, loadCheckpoint, type Tensor } from "../../src/node.js"
import { FIXTURE_DIR } from "./fixtures.js"

interface Logits {
  readonly shape: number[]
  readonly data: number[]
}
interface Record {
  readonly jax: string
  readonly tolerance: number
  readonly forward: { checkpoint: string; sha256: string; keys: string[]; maxAbsDiff: number; samePredictions: boolean; tankaLogits: Logits; jaxLogits: Logits }
  readonly digits: Logits
  readonly labels: number[]
  readonly reverse: { file: string; sha256: string; jaxLogits: Logits }
}

const ROOT = join(FIXTURE_DIR, "..", "..", "..")
const record = JSON.parse(readFileSync(join(FIXTURE_DIR, "checkpoint.json"), "utf8")) as Record
const net = hk.withoutApplyRng(hk.transform((images: Tensor) => Effect.flatMap(hk.nets.MLP([300, 100, 10]), (mlp) => mlp(images))))
const digits = jnp.array(Float32Array.from(record.digits.data), { shape: record.digits.shape })
const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex")

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length)
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(Number(a[i]) - Number(b[i])))
  return m
}
const argmaxRows = (data: ArrayLike<number>, cols: number): number[] =>
  Array.from({ length: data.length / cols }, (_, r) => {
    let best = 0
    for (let c = 1; c < cols; c++) if (Number(data[r * cols + c]) > Number(data[r * cols + best])) best = c
    return best
  })

describe("tanka -> JAX: the main job's checkpoint run by JAX", () => {
  it("JAX read Haiku's keys from the checkpoint and its logits matched tanka's within 1e-5 (recorded)", () => {
    expect(record.forward.keys).toEqual(["mlp/~/linear_0/b", "mlp/~/linear_0/w", "mlp/~/linear_1/b", "mlp/~/linear_1/w", "mlp/~/linear_2/b", "mlp/~/linear_2/w"])
    expect(record.tolerance).toBe(1e-5)
    const diff = maxDiff(record.forward.tankaLogits.data, record.forward.jaxLogits.data)
    expect(Math.abs(diff - record.forward.maxAbsDiff)).toBeLessThan(1e-9)
    expect(diff).toBeLessThanOrEqual(1e-5)
    expect(argmaxRows(record.forward.jaxLogits.data, 10)).toEqual(argmaxRows(record.forward.tankaLogits.data, 10))
  })

  const ckpt = join(ROOT, record.forward.checkpoint)
  const present = existsSync(ckpt) && sha(ckpt) === record.forward.sha256
  it.skipIf(!present)("tanka's logits from the same checkpoint, recomputed now, still match JAX's (when the recorded checkpoint is present)", async () => {
    const params = await Effect.runPromise(loadCheckpoint(ckpt))
    const logits = await Effect.runPromise(net.apply(params, digits))
    expect(maxDiff(logits.toTypedArray() as Float32Array, record.forward.jaxLogits.data)).toBeLessThanOrEqual(record.tolerance)
  })
})

describe("JAX -> tanka: a checkpoint written by Python's safetensors", () => {
  const file = join(ROOT, record.reverse.file)

  it("is the recorded file, with Haiku's module/~/child keys", async () => {
    expect(sha(file)).toBe(record.reverse.sha256)
    const params = await Effect.runPromise(loadCheckpoint(file))
    expect(Object.keys(params).sort()).toEqual(["mlp/~/linear_0", "mlp/~/linear_1", "mlp/~/linear_2"])
    expect(params["mlp/~/linear_0"]!.w!.shape).toEqual([784, 300])
    expect(params["mlp/~/linear_2"]!.b!.shape).toEqual([10])
  })

  it("loads in tanka (checked against the model's own param tree) and predicts what JAX predicted, within 1e-5", async () => {
    const like = await Effect.runPromise(net.init(0, jnp.zeros([1, 784])))
    const params = await Effect.runPromise(loadCheckpoint(file, { like }))
    const logits = (await Effect.runPromise(net.apply(params, digits))).toTypedArray() as Float32Array
    expect(maxDiff(logits, record.reverse.jaxLogits.data)).toBeLessThanOrEqual(record.tolerance)
    expect(argmaxRows(logits, 10)).toEqual(argmaxRows(record.reverse.jaxLogits.data, 10))
    // the JAX step changed the weights: these are not the main job's logits
    expect(maxDiff(logits, record.forward.tankaLogits.data)).toBeGreaterThan(1e-3)
  })
})
