/**
 * A small character-level decoder Transformer, written the way a Haiku user writes one:
 * `hk.Embed` (tied to the output through `embed.attend`), learned positions, pre-norm blocks of
 * `hk.MultiHeadAttention` with a causal mask and an `hk.nets.MLP`, `hk.LayerNorm`; trained with
 * `jax.jit(jax.valueAndGrad(loss))` and `optax.adam`, sampled with `jax.random.categorical`.
 *
 * The text is tanka's own TypeScript sources (`src/**\/*.ts`, Apache-2.0), read at run time.
 */
import { Effect } from "effect"
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { hk, jax, jnp, loadCheckpoint, optax, saveCheckpoint, type Tensor } from "../src/node.js"

/** The model's and the run's sizes. */
export interface LMConfig {
  /** Context length (tokens per training window). */
  readonly seqLen: number
  readonly dModel: number
  readonly numHeads: number
  readonly numLayers: number
  readonly batchSize: number
  readonly steps: number
  readonly lr: number
  readonly seed: number
  /** Characters to sample after training. */
  readonly sampleLength: number
  /** Sampling temperature. */
  readonly temperature: number
  /** Where to save the `.safetensors` checkpoint (`null`: do not save). */
  readonly checkpoint: string | null
  /** How many characters of the corpus to use (`null`: all). */
  readonly maxChars: number | null
  readonly onStep?: (p: { step: number; steps: number; loss: number; tokensPerSec: number }) => void
  readonly log?: (line: string) => void
}

/** A corpus as token ids, with the vocabulary. */
export interface Corpus {
  readonly train: Int32Array
  readonly valid: Int32Array
  readonly chars: string
  readonly encode: (s: string) => Int32Array
  readonly decode: (ids: ArrayLike<number>) => string
  readonly files: number
}

/** tanka's own sources, concatenated in path order; characters outside printable ASCII become `?`. */
export const loadCorpus = (root: string, maxChars: number | null = null): Corpus => {
  const files: string[] = []
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name)
      if (statSync(p).isDirectory()) walk(p)
      else if (name.endsWith(".ts")) files.push(p)
    }
  }
  walk(root)
  let text = files.map((f) => readFileSync(f, "utf8")).join("\n")
  text = text.replace(/[^\n\x20-\x7e]/g, "?")
  if (maxChars !== null) text = text.slice(0, maxChars)
  const chars = [...new Set(text)].sort().join("")
  const index = new Map([...chars].map((c, i) => [c, i]))
  const encode = (s: string) => Int32Array.from(s, (c) => index.get(c) ?? index.get("?") ?? 0)
  const ids = encode(text)
  const cut = Math.floor(ids.length * 0.9)
  return { train: ids.slice(0, cut), valid: ids.slice(cut), chars, encode, decode: (xs) => Array.from(xs, (i) => chars[i] ?? "?").join(""), files: files.length }
}

/** A seeded integer generator (LCG), for picking windows without running kernels. */
const rng = (seed: number) => {
  let s = (seed * 2654435761 + 1) >>> 0
  return (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return Math.floor((s / 4294967296) * n)
  }
}

/** `[inputs, targets]`, each `[batch, seqLen]` int32: random windows of `ids` and the same shifted by one. */
export const batchOf = (ids: Int32Array, batch: number, seqLen: number, next: (n: number) => number): [Tensor, Tensor] => {
  const x = new Int32Array(batch * seqLen)
  const y = new Int32Array(batch * seqLen)
  for (let b = 0; b < batch; b++) {
    const start = next(ids.length - seqLen - 1)
    x.set(ids.subarray(start, start + seqLen), b * seqLen)
    y.set(ids.subarray(start + 1, start + seqLen + 1), b * seqLen)
  }
  return [jnp.array(x, { shape: [batch, seqLen] }), jnp.array(y, { shape: [batch, seqLen] })]
}

/** One pre-norm decoder block: `h + MHA(LN(h))`, then `h + MLP(LN(h))`. */
const DecoderBlock = (cfg: LMConfig, name: string) =>
  hk.module(name, (self) =>
    Effect.map(
      Effect.all([
        hk.LayerNorm({ axis: -1, createScale: true, createOffset: true, name: "ln_attention" }),
        hk.MultiHeadAttention({ numHeads: cfg.numHeads, keySize: cfg.dModel / cfg.numHeads, wInit: hk.initializers.VarianceScaling(2 / cfg.numLayers) }),
        hk.LayerNorm({ axis: -1, createScale: true, createOffset: true, name: "ln_mlp" }),
        hk.nets.MLP([4 * cfg.dModel, cfg.dModel], { activation: jax.nn.gelu, wInit: hk.initializers.VarianceScaling(2 / cfg.numLayers) })
      ]),
      ([ln1, attention, ln2, mlp]) =>
        (h: Tensor, mask: Tensor) =>
          self.call(
            Effect.gen(function* () {
              const a = yield* ln1(h)
              const h1 = jnp.add(h, yield* attention(a, a, a, mask))
              return jnp.add(h1, yield* mlp(yield* ln2(h1)))
            })
          )
    )
  )

/** The language model: token ids `[batch, T]` → next-token logits `[batch, T, vocab]`. */
export const languageModel = (cfg: LMConfig, vocabSize: number) => (tokens: Tensor) =>
  Effect.gen(function* () {
    const T = tokens.shape[1]!
    const embed = yield* hk.Embed({ vocabSize, embedDim: cfg.dModel, wInit: hk.initializers.TruncatedNormal(0.02) })
    const positions = yield* hk.getParameter("positional_embeddings", [cfg.seqLen, cfg.dModel], hk.initializers.TruncatedNormal(0.02))
    let h = jnp.add(yield* embed(tokens), jnp.slice(positions, [0, T]))
    const causal = jnp.reshape(jnp.greaterEqual(jnp.reshape(jnp.arange(T), [T, 1]), jnp.reshape(jnp.arange(T), [1, T])), [1, 1, T, T])
    for (let l = 0; l < cfg.numLayers; l++) h = yield* (yield* DecoderBlock(cfg, `block_${l}`))(h, causal)
    const final = yield* hk.LayerNorm({ axis: -1, createScale: true, createOffset: true, name: "ln_final" })
    return yield* embed.attend(yield* final(h))
  })

/** Mean next-token cross-entropy (nats) of the logits against the targets. */
export const crossEntropy = (logits: Tensor, targets: Tensor, vocabSize: number): Tensor =>
  jnp.negative(jnp.mean(jnp.sum(jnp.multiply(jax.nn.logSoftmax(logits), jax.nn.oneHot(targets, vocabSize)), { axis: -1 })))

export interface LMResult {
  readonly firstLoss: number
  readonly finalLoss: number
  readonly validLoss: number
  readonly validPerplexity: number
  readonly reloadedValidLoss: number | null
  readonly sample: string
  readonly seconds: number
  readonly tokensPerSec: number
  readonly params: hk.ParamTree
  readonly paramCount: number
  readonly vocabSize: number
}

/** Train, evaluate on held-out text, checkpoint, reload, and sample. */
export const trainLM = (cfg: LMConfig, corpus: Corpus): Effect.Effect<LMResult, unknown> =>
  Effect.gen(function* () {
    const log = cfg.log ?? console.log
    const V = corpus.chars.length
    const net = hk.withoutApplyRng(hk.transform(languageModel(cfg, V)))
    const loss = (params: hk.ParamTree, x: Tensor, y: Tensor) => Effect.map(net.apply(params, x), (logits) => crossEntropy(logits, y, V))
    const next = rng(cfg.seed)
    const [x0] = batchOf(corpus.train, 1, cfg.seqLen, next)
    let params = yield* net.init(jax.random.key(cfg.seed), x0)
    const paramCount = hk.data.treeSize(params)
    const opt = optax.chain(optax.clipByGlobalNorm(1), optax.adam(cfg.lr))
    let optState = opt.init(params)
    const step = jax.jit(jax.valueAndGrad(loss))
    const update = jax.jit((p: hk.ParamTree, s: typeof optState, g: hk.ParamTree) => {
      const [updates, nextState] = opt.update(g, s, p)
      return [optax.applyUpdates(p, updates), nextState] as const
    })
    const evalLoss = jax.jit(loss)
    const validBatches = Array.from({ length: 4 }, (_, i) => batchOf(corpus.valid, cfg.batchSize, cfg.seqLen, rng(10_000 + i)))
    const validate = (p: hk.ParamTree) => Effect.map(Effect.forEach(validBatches, ([x, y]) => evalLoss(p, x, y)), (ls) => ls.reduce((s, l) => s + l.item(), 0) / ls.length)

    log(`corpus: ${corpus.train.length.toLocaleString("en-US")} train / ${corpus.valid.length.toLocaleString("en-US")} held-out characters from ${corpus.files} files; vocabulary ${V}`)
    log(`model: ${cfg.numLayers} blocks, d_model ${cfg.dModel}, ${cfg.numHeads} heads, context ${cfg.seqLen}: ${paramCount.toLocaleString("en-US")} parameters; backend ${jax.getBackend().mode}`)
    const start = performance.now()
    let firstLoss = NaN
    let lastLoss = NaN
    for (let i = 1; i <= cfg.steps; i++) {
      const [x, y] = batchOf(corpus.train, cfg.batchSize, cfg.seqLen, next)
      const [l, grads] = yield* step(params, x, y)
      ;[params, optState] = update(params, optState, grads)
      lastLoss = l.item()
      if (Number.isNaN(firstLoss)) firstLoss = lastLoss
      const seconds = (performance.now() - start) / 1000
      cfg.onStep?.({ step: i, steps: cfg.steps, loss: lastLoss, tokensPerSec: (i * cfg.batchSize * cfg.seqLen) / seconds })
    }
    const seconds = (performance.now() - start) / 1000
    const validLoss = yield* validate(params)

    let reloadedValidLoss: number | null = null
    if (cfg.checkpoint !== null) {
      yield* saveCheckpoint(cfg.checkpoint, params, { metadata: { model: "char-level decoder Transformer", vocabulary: corpus.chars, seed: String(cfg.seed) } })
      reloadedValidLoss = yield* validate(yield* loadCheckpoint(cfg.checkpoint, { like: params }))
    }

    // sampling: the last seqLen characters (left-padded with newlines) → logits of the next one → jax.random.categorical
    const forward = jax.jit((p: hk.ParamTree, x: Tensor) => net.apply(p, x))
    const prompt = corpus.encode("export const ")
    const out = Array.from(prompt)
    const newline = corpus.encode("\n")[0] ?? 0
    let key = jax.random.key(cfg.seed + 1)
    for (let i = 0; i < cfg.sampleLength; i++) {
      const window = out.slice(-cfg.seqLen)
      const padded = Int32Array.from([...new Array(cfg.seqLen - window.length).fill(newline), ...window])
      const logits = yield* forward(params, jnp.array(padded, { shape: [1, cfg.seqLen] }))
      const last = jnp.slice(logits, 0, -1)
      const keys = jax.random.split(key, 2)
      key = jnp.slice(keys, 0) as typeof key
      const sub = jnp.slice(keys, 1) as typeof key
      out.push(jax.random.categorical(sub, jnp.divide(last, cfg.temperature)).item())
    }
    return {
      firstLoss,
      finalLoss: lastLoss,
      validLoss,
      validPerplexity: Math.exp(validLoss),
      reloadedValidLoss,
      sample: corpus.decode(out),
      seconds,
      tokensPerSec: (cfg.steps * cfg.batchSize * cfg.seqLen) / seconds,
      params,
      paramCount,
      vocabSize: V
    }
  })
