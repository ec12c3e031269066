/**
 * The second main job (`npm run example:lm`): train a small character-level decoder Transformer
 * on tanka's own sources, report loss and perplexity, checkpoint it, and sample text.
 */
import { Effect } from "effect"
import { parseArgs } from "node:util"
import { mkdirSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { hk, jax, jnp } from "../src/index.js"
import { languageModel, loadCorpus, trainLM, type LMConfig } from "./train-lm.js"

const usage = `Usage: npm run example:lm -- [options]

Trains a character-level decoder Transformer (hk.Embed, hk.MultiHeadAttention with a causal mask,
hk.LayerNorm, hk.nets.MLP) on tanka's own TypeScript sources, reports the held-out loss and
perplexity, saves and reloads a checkpoint, and samples text with jax.random.categorical.

Options:
  --steps N          training steps (default 300)
  --batch-size N     windows per step (default 16)
  --seq-len N        context length (default 64)
  --d-model N        model width (default 64)
  --heads N          attention heads, dividing d-model (default 4)
  --layers N         decoder blocks (default 2)
  --lr X             adam learning rate (default 0.003)
  --seed N           seed for init, batches and sampling (default 0)
  --sample-length N  characters to sample (default 200)
  --temperature X    sampling temperature (default 0.8)
  --checkpoint P     where to save the .safetensors checkpoint (default checkpoints/char-lm.safetensors)
  --backend M        gpu.js mode: webasm (default in Node) or cpu
  --help             show this text
`

const fail = (message: string): never => {
  process.stderr.write(`error: ${message}\n\n${usage}`)
  process.exit(2)
}

const positiveInt = (name: string, v: string | undefined, dflt: number): number => {
  if (v === undefined) return dflt
  const n = Number(v)
  if (!Number.isInteger(n) || n < 1) fail(`--${name} must be a positive integer, got "${v}"`)
  return n
}

const positive = (name: string, v: string | undefined, dflt: number): number => {
  if (v === undefined) return dflt
  const x = Number(v)
  if (!(x > 0) || !Number.isFinite(x)) fail(`--${name} must be a positive number, got "${v}"`)
  return x
}

const parse = (): LMConfig => {
  let values
  try {
    values = parseArgs({
      options: {
        ...Object.fromEntries(["steps", "batch-size", "seq-len", "d-model", "heads", "layers", "lr", "seed", "sample-length", "temperature", "checkpoint", "backend"].map((k) => [k, { type: "string" as const }])),
        help: { type: "boolean" as const }
      },
      strict: true,
      allowPositionals: false
    }).values as Record<string, string | boolean | undefined>
  } catch (e) {
    return fail((e as Error).message)
  }
  if (values.help) {
    process.stdout.write(usage)
    process.exit(0)
  }
  const str = (k: string) => values[k] as string | undefined
  const seed = str("seed") === undefined ? 0 : Number(str("seed"))
  if (!Number.isInteger(seed) || seed < 0) fail(`--seed must be a non-negative integer, got "${str("seed")}"`)
  const dModel = positiveInt("d-model", str("d-model"), 64)
  const numHeads = positiveInt("heads", str("heads"), 4)
  if (dModel % numHeads !== 0) fail(`--heads (${numHeads}) must divide --d-model (${dModel})`)
  if (str("backend") !== undefined) {
    try {
      jax.setBackend(str("backend") as jax.Mode)
    } catch (e) {
      fail(`--backend: ${(e as Error).message}`)
    }
  }
  return {
    steps: positiveInt("steps", str("steps"), 300),
    batchSize: positiveInt("batch-size", str("batch-size"), 16),
    seqLen: positiveInt("seq-len", str("seq-len"), 64),
    dModel,
    numHeads,
    numLayers: positiveInt("layers", str("layers"), 2),
    lr: positive("lr", str("lr"), 3e-3),
    seed,
    sampleLength: positiveInt("sample-length", str("sample-length"), 200),
    temperature: positive("temperature", str("temperature"), 0.8),
    checkpoint: str("checkpoint") ?? "checkpoints/char-lm.safetensors",
    maxChars: null
  }
}

const progress = (() => {
  const tty = process.stdout.isTTY === true
  let lastPrinted = 0
  return (p: { step: number; steps: number; loss: number; tokensPerSec: number }) => {
    const width = 24
    const filled = Math.round((p.step / p.steps) * width)
    const line = `[${"#".repeat(filled)}${".".repeat(width - filled)}] step ${p.step}/${p.steps}  loss ${p.loss.toFixed(3)}  perplexity ${Math.exp(p.loss).toFixed(1)}  ${p.tokensPerSec.toFixed(0)} tokens/s`
    if (tty) process.stdout.write(`\r${line}${p.step === p.steps ? "\n" : ""}`)
    else if (p.step === p.steps || Date.now() - lastPrinted > 5000) {
      lastPrinted = Date.now()
      console.log(line)
    }
  }
})()

const main = async () => {
  const cfg = parse()
  if (cfg.checkpoint !== null) mkdirSync(dirname(cfg.checkpoint), { recursive: true })
  const corpus = loadCorpus(join(dirname(fileURLToPath(import.meta.url)), "..", "src"))
  console.log(`tanka: a character-level Transformer on tanka's own sources, ${cfg.steps} steps of ${cfg.batchSize}×${cfg.seqLen} characters (adam lr ${cfg.lr}, seed ${cfg.seed})`)
  // hk.summary (abstract: no kernel runs), the top-level modules only
  const s = await Effect.runPromise(hk.summary(languageModel(cfg, corpus.chars.length))(jnp.zeros([cfg.batchSize, cfg.seqLen], "int32")))
  const top = s.rows.filter((r) => r.callStack.length === 0)
  const rows = top.map((r) => [`${r.module}${r.method === "__call__" ? "" : `.${r.method}`}`, r.kind ?? "", r.inputs[0] ?? "", r.output, r.paramCount.toLocaleString("en-US")])
  console.log(`\n${hk.grid(["Module", "Kind", "Input", "Output", "Param count"], rows, ["left", "left", "left", "left", "right"])}\nTotal: ${s.totalParams.toLocaleString("en-US")} parameters\n`)
  const r = await Effect.runPromise(trainLM({ ...cfg, onStep: progress }, corpus))
  console.log(`\ntrain loss ${r.firstLoss.toFixed(3)} -> ${r.finalLoss.toFixed(3)} in ${r.seconds.toFixed(1)} s (${r.tokensPerSec.toFixed(0)} tokens/s)`)
  console.log(`held-out loss ${r.validLoss.toFixed(3)} nats/char, perplexity ${r.validPerplexity.toFixed(2)} (uniform over the ${r.vocabSize} characters: ${r.vocabSize})`)
  if (r.reloadedValidLoss !== null) console.log(`checkpoint saved to ${cfg.checkpoint}; reloaded: held-out loss ${r.reloadedValidLoss.toFixed(3)}${r.reloadedValidLoss === r.validLoss ? " (same)" : " (DIFFERENT)"}`)
  console.log(`\nsample (temperature ${cfg.temperature}):\n${"-".repeat(60)}\n${r.sample}\n${"-".repeat(60)}`)
  if (!(r.finalLoss < r.firstLoss) || (r.reloadedValidLoss !== null && r.reloadedValidLoss !== r.validLoss)) process.exit(1)
}

main().catch((e) => {
  const err = e as { _tag?: string; message?: string }
  console.error(err._tag ? `${err._tag}: ${err.message}` : e)
  process.exit(1)
})
