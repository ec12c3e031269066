/**
 * The main job (`npm start`): train an MLP on the MNIST digits with tanka, report the test
 * accuracy, save and reload a checkpoint, and print the seed page's five-row table computed live.
 */
import { Effect } from "effect"
import { parseArgs } from "node:util"
import { mkdirSync } from "node:fs"
import { dirname } from "node:path"
import { hk, jax, type Tensor } from "../src/index.js"
import { train } from "./train-mnist.js"
import { seedTable } from "./seed-table.js"

const usage = `Usage: npm start -- [options]

Trains hk.nets.MLP([300, 100, 10]) on the MNIST digits of the \`mnist\` package (9,000 train /
1,000 test, split by --seed), saves a checkpoint, reloads it, and prints the seed table.

Options:
  --epochs N        passes over the training set (default 20)
  --batch-size N    examples per step (default 128)
  --lr X            adam learning rate (default 0.001)
  --seed N          seed for init, split and shuffling (default 0)
  --checkpoint P    where to save the .safetensors checkpoint (default checkpoints/mnist-mlp.safetensors)
  --backend M       wasm-simd (default in Node: tanka's WebAssembly SIMD kernels), webasm (pure gpu.js) or cpu
  --help            show this text
`

const fail = (message: string): never => {
  process.stderr.write(`error: ${message}\n\n${usage}`)
  process.exit(2)
}

const positiveInt = (name: string, v: string): number => {
  const n = Number(v)
  if (!Number.isInteger(n) || n < 1) fail(`--${name} must be a positive integer, got "${v}"`)
  return n
}

const parse = () => {
  let values
  try {
    values = parseArgs({
      options: {
        epochs: { type: "string" },
        "batch-size": { type: "string" },
        lr: { type: "string" },
        seed: { type: "string" },
        checkpoint: { type: "string" },
        backend: { type: "string" },
        help: { type: "boolean" }
      },
      strict: true,
      allowPositionals: false
    }).values
  } catch (e) {
    return fail((e as Error).message)
  }
  if (values.help) {
    process.stdout.write(usage)
    process.exit(0)
  }
  const lr = values.lr === undefined ? 1e-3 : Number(values.lr)
  if (!(lr > 0) || !Number.isFinite(lr)) fail(`--lr must be a positive number, got "${values.lr}"`)
  const seed = values.seed === undefined ? 0 : Number(values.seed)
  if (!Number.isInteger(seed) || seed < 0) fail(`--seed must be a non-negative integer, got "${values.seed}"`)
  if (values.backend !== undefined) {
    try {
      jax.setBackend(values.backend as jax.Mode)
    } catch (e) {
      fail(`--backend: ${(e as Error).message}`)
    }
  }
  return {
    epochs: values.epochs === undefined ? 20 : positiveInt("epochs", values.epochs),
    batchSize: values["batch-size"] === undefined ? 128 : positiveInt("batch-size", values["batch-size"]),
    lr,
    seed,
    checkpoint: values.checkpoint ?? "checkpoints/mnist-mlp.safetensors"
  }
}

const progress = (() => {
  const tty = process.stdout.isTTY === true
  let lastPrinted = 0
  return (p: { epoch: number; step: number; steps: number; loss: number; examplesPerSec: number }) => {
    const width = 24
    const filled = Math.round((p.step / p.steps) * width)
    const line = `epoch ${p.epoch} [${"#".repeat(filled)}${".".repeat(width - filled)}] step ${p.step}/${p.steps}  loss ${p.loss.toFixed(4)}  ${p.examplesPerSec.toFixed(0)} examples/s`
    if (tty) {
      process.stdout.write(`\r${line}${p.step === p.steps ? "\n" : ""}`)
    } else if (p.step === p.steps || Date.now() - lastPrinted > 5000) {
      lastPrinted = Date.now()
      console.log(line)
    }
  }
})()

const main = async () => {
  const opts = parse()
  mkdirSync(dirname(opts.checkpoint), { recursive: true })
  console.log(`tanka: training hk.nets.MLP([300, 100, 10]) for ${opts.epochs} epochs (batch ${opts.batchSize}, adam lr ${opts.lr}, seed ${opts.seed})`)
  // hk.summary: the modules, shapes and parameter counts, by abstract evaluation (no kernel runs)
  const mlp = (x: Tensor) => Effect.flatMap(hk.nets.MLP([300, 100, 10]), (m) => m(x))
  console.log(`\n${await Effect.runPromise(hk.summary(mlp)({ shape: [opts.batchSize, 784], dtype: "float32" }))}\n`)
  const result = await Effect.runPromise(train({ ...opts, onStep: progress }))
  console.log(`\ntest accuracy: ${(100 * result.testAccuracy).toFixed(2)}% after ${result.seconds.toFixed(1)} s (loss ${result.firstLoss.toFixed(3)} -> ${result.finalLoss.toFixed(3)})`)
  console.log(`checkpoint saved to ${opts.checkpoint}; reloaded: test accuracy ${(100 * result.reloadedAccuracy).toFixed(2)}%${result.reloadedAccuracy === result.testAccuracy ? " (same)" : " (DIFFERENT)"}`)
  console.log("\nThe seed page's table (\"Limitations of Nesting JAX Functions and Haiku Modules\"), computed live:\n")
  for (const row of await seedTable()) {
    console.log(`${row.ok ? "✔" : "✖"} ${row.case}\n    ${row.code}\n    → ${row.detail}\n`)
  }
  if (result.testAccuracy < 0.95) {
    // the default run must reach 95%; a run with other training flags only reports it
    const defaults = opts.epochs === 20 && opts.batchSize === 128 && opts.lr === 1e-3
    console.error(`test accuracy ${(100 * result.testAccuracy).toFixed(2)}% is below 95%${defaults ? ", which the default run must reach" : " (not an error with non-default --epochs/--batch-size/--lr)"}`)
    if (defaults) process.exit(1)
  }
  if (result.reloadedAccuracy !== result.testAccuracy) process.exit(1)
}

main().catch((e) => {
  const err = e as { _tag?: string; message?: string }
  console.error(err._tag ? `${err._tag}: ${err.message}` : e)
  process.exit(1)
})
