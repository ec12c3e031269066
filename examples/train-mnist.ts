/**
 * Train `hk.nets.MLP([300, 100, 10])` on the MNIST digits, written the way a Haiku user writes
 * it: `hk.transform`, `jax.jit(jax.valueAndGrad(loss))`, adam.
 */
import { Effect } from "effect"
import { data, hk, jax, jnp, loadCheckpoint, optax, saveCheckpoint, type Tensor } from "../src/node.js"

export interface TrainOptions {
  readonly epochs: number
  readonly batchSize: number
  readonly lr: number
  readonly seed: number
  readonly checkpoint: string
  /** Called after each step with progress figures. */
  readonly onStep?: (p: { epoch: number; step: number; steps: number; loss: number; examplesPerSec: number }) => void
  readonly log?: (line: string) => void
}

export interface TrainResult {
  readonly testAccuracy: number
  readonly reloadedAccuracy: number
  readonly finalLoss: number
  readonly firstLoss: number
  readonly params: hk.ParamTree
  readonly seconds: number
}

/** The network: an MLP on flattened 28×28 digits. */
const net = hk.withoutApplyRng(
  hk.transform((images: Tensor) => Effect.flatMap(hk.nets.MLP([300, 100, 10]), (mlp) => mlp(images)))
)

/** Mean softmax cross-entropy of the logits against integer labels. */
const loss = (params: hk.ParamTree, images: Tensor, labels: Tensor) =>
  Effect.map(net.apply(params, images), (logits) =>
    jnp.negative(jnp.mean(jnp.sum(jnp.multiply(jax.nn.logSoftmax(logits), jax.nn.oneHot(labels, 10)), { axis: -1 })))
  )

const predict = jax.jit((params: hk.ParamTree, images: Tensor) => Effect.map(net.apply(params, images), (logits) => jnp.argmax(logits, { axis: -1 })))

/** Fraction of `ds` classified correctly, in batches of up to 1000. */
export const accuracy = (params: hk.ParamTree, ds: data.Dataset): number => {
  let correct = 0
  for (const batch of data.batches(ds, Math.min(1000, ds.size), { dropRemainder: false })) {
    const pred = Effect.runSync(predict(params, batch.images))
    const same = jnp.sum(jnp.astype(jnp.equal(pred, batch.labels), "int32"))
    correct += same.item()
  }
  return correct / ds.size
}

export const train = (opts: TrainOptions): Effect.Effect<TrainResult, unknown> =>
  Effect.gen(function* () {
    const log = opts.log ?? console.log
    const { train: trainSet, test } = yield* data.loadMnist({ seed: opts.seed })
    log(`MNIST: ${trainSet.size} train / ${test.size} test digits; backend ${jax.getBackend().mode}`)
    const opt = optax.adam(opts.lr)
    let params: hk.ParamTree = yield* net.init(jax.random.key(opts.seed), jnp.zeros([1, 784]))
    let optState = opt.init(params)
    const step = jax.jit(jax.valueAndGrad(loss))
    const update = jax.jit((p: hk.ParamTree, s: typeof optState, g: hk.ParamTree) => {
      const [updates, next] = opt.update(g, s, p)
      return [optax.applyUpdates(p, updates), next] as const
    })
    const steps = data.numBatches(trainSet, opts.batchSize)
    const start = performance.now()
    let firstLoss = NaN
    let lastLoss = NaN
    for (let epoch = 1; epoch <= opts.epochs; epoch++) {
      let k = 0
      for (const batch of data.batches(trainSet, opts.batchSize, { seed: opts.seed * 1000 + epoch })) {
        const [l, grads] = yield* step(params, batch.images, batch.labels)
        ;[params, optState] = update(params, optState, grads)
        lastLoss = l.item()
        if (Number.isNaN(firstLoss)) firstLoss = lastLoss
        k++
        const seconds = (performance.now() - start) / 1000
        opts.onStep?.({ epoch, step: k, steps, loss: lastLoss, examplesPerSec: ((epoch - 1) * steps + k) * opts.batchSize / seconds })
      }
      log(`epoch ${epoch}/${opts.epochs}: loss ${lastLoss.toFixed(4)}, test accuracy ${(100 * accuracy(params, test)).toFixed(2)}%`)
    }
    const seconds = (performance.now() - start) / 1000
    const testAccuracy = accuracy(params, test)
    yield* saveCheckpoint(opts.checkpoint, params, { metadata: { model: "hk.nets.MLP([300, 100, 10])", seed: String(opts.seed) } })
    const reloaded = yield* loadCheckpoint(opts.checkpoint, { like: params })
    const reloadedAccuracy = accuracy(reloaded, test)
    return { testAccuracy, reloadedAccuracy, finalLoss: lastLoss, firstLoss, params, seconds }
  })
