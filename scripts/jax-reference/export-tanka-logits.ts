/**
 * Writes tanka's logits for the first 32 digits of the main job's test split, computed from a
 * `.safetensors` checkpoint with `hk.nets.MLP([300, 100, 10])`, for checkpoint.py to compare
 * with JAX's.
 *
 *   node --import tsx scripts/jax-reference/export-tanka-logits.ts [checkpoint] [out.json]
 *
 * Defaults: checkpoints/mnist-mlp.safetensors (written by `npm start`) and
 * .tmp/jax-reference/tanka-logits.json.
 */
import { Effect } from "effect"
import { createHash } from "node:crypto"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { dirname } from "node:path"
import { data, hk, jnp, loadCheckpoint, type Tensor } from "../../src/node.js"

const DIGITS = 32
const checkpoint = process.argv[2] ?? "checkpoints/mnist-mlp.safetensors"
const out = process.argv[3] ?? ".tmp/jax-reference/tanka-logits.json"

const net = hk.withoutApplyRng(hk.transform((images: Tensor) => Effect.flatMap(hk.nets.MLP([300, 100, 10]), (mlp) => mlp(images))))

const program = Effect.gen(function* () {
  const params = yield* loadCheckpoint(checkpoint)
  const { test } = yield* data.loadMnist({ seed: 0 })
  const pixels = test.images.slice(0, DIGITS * test.features)
  const logits = yield* net.apply(params, jnp.array(pixels, { shape: [DIGITS, test.features] }))
  const record = {
    checkpoint,
    sha256: createHash("sha256").update(readFileSync(checkpoint)).digest("hex"),
    params: Object.fromEntries(Object.entries(params).map(([m, leaves]) => [m, Object.fromEntries(Object.entries(leaves).map(([k, t]) => [k, t.shape]))])),
    digits: { shape: [DIGITS, test.features], data: Array.from(pixels) },
    labels: Array.from(test.labels.slice(0, DIGITS)),
    logits: { shape: [...logits.shape], data: Array.from(logits.toTypedArray()) }
  }
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(out, JSON.stringify(record))
  console.log(`tanka: logits of ${DIGITS} digits from ${checkpoint} written to ${out}`)
})

Effect.runPromise(program).catch((e: { _tag?: string; message?: string }) => {
  console.error(e._tag ? `${e._tag}: ${e.message}` : e)
  process.exit(1)
})
