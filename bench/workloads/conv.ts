/**
 * A ResNet-style convolution: 3×3 kernel, 64 → 64 channels, 56×56 images, batch 8 (`--quick`:
 * batch 1), stride 1, SAME padding, NHWC images and HWIO kernels (Haiku's and tfjs's layout).
 * GFLOP/s = 2·N·H·W·Cin·Cout·9 / time.
 *
 * No gpu.js rows: at ~0.25 GFLOP/s (issue 9's measurement of tanka's pure gpu.js conv) one call
 * would take about 7 s, and a row needs at least five. jax-js runs eagerly only: its `jit` of
 * this conv took about 10 s per call in a probe (2026-11-29), so a row would cost about a minute.
 */
import type { Array as JaxArray } from "@jax-js/jax"
import { type Tensor, jax, jnp } from "../tanka.js"
import { type AnyContestant, contestant, type Workload } from "../harness.js"
import { randArray } from "../data.js"
import { BASELINE, type BenchEnv, budget, tankaRow, tfjsRow, type WorkloadFactory } from "./common.js"

const HW = 56
const CIN = 64
const COUT = 64
const KS = 3

/** conv_general_dilated parameters: NHWC lhs and out, HWIO rhs, SAME padding for a 3×3 kernel at stride 1. */
const PARAMS = {
  windowStrides: [1, 1],
  padding: [
    [1, 1],
    [1, 1]
  ] as Array<[number, number]>,
  lhsDilation: [1, 1],
  rhsDilation: [1, 1],
  featureGroupCount: 1,
  batchGroupCount: 1,
  dimensionNumbers: { lhs: [0, 3, 1, 2], rhs: [3, 2, 0, 1], out: [0, 3, 1, 2] }
}

/** Float64 reference: NHWC out of NHWC x and HWIO w, SAME padding, stride 1. */
const convF64 = (x: Float32Array, w: Float32Array, n: number): Float64Array => {
  const out = new Float64Array(n * HW * HW * COUT)
  const w64 = Float64Array.from(w)
  const acc = new Float64Array(COUT)
  const pad = (KS - 1) / 2
  for (let b = 0; b < n; b++) {
    for (let oh = 0; oh < HW; oh++) {
      for (let ow = 0; ow < HW; ow++) {
        acc.fill(0)
        for (let kh = 0; kh < KS; kh++) {
          const ih = oh + kh - pad
          if (ih < 0 || ih >= HW) continue
          for (let kw = 0; kw < KS; kw++) {
            const iw = ow + kw - pad
            if (iw < 0 || iw >= HW) continue
            const xb = ((b * HW + ih) * HW + iw) * CIN
            for (let ci = 0; ci < CIN; ci++) {
              const xv = x[xb + ci]!
              const wb = ((kh * KS + kw) * CIN + ci) * COUT
              for (let o = 0; o < COUT; o++) acc[o]! += xv * w64[wb + o]!
            }
          }
        }
        out.set(acc, ((b * HW + oh) * HW + ow) * COUT)
      }
    }
  }
  return out
}

/** Copies a row-major array of `shape` into the axis order `perm` (out[i] = in[perm order]). */
const permute = (a: ArrayLike<number>, shape: ReadonlyArray<number>, perm: ReadonlyArray<number>): Float32Array => {
  const outShape = perm.map((p) => shape[p]!)
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((s, d) => s * d, 1))
  const out = new Float32Array(a.length)
  const idx = new Array<number>(outShape.length).fill(0)
  for (let o = 0; o < out.length; o++) {
    let src = 0
    for (let d = 0; d < idx.length; d++) src += idx[d]! * strides[perm[d]!]!
    out[o] = a[src]!
    for (let d = idx.length - 1; d >= 0; d--) {
      if (++idx[d]! < outShape[d]!) break
      idx[d] = 0
    }
  }
  return out
}

const contestants = (env: BenchEnv, n: number, X: Float32Array, W: Float32Array): AnyContestant[] => {
  const cs: AnyContestant[] = []
  const setup = () => ({ x: jnp.array(X, { shape: [n, HW, HW, CIN] }), w: jnp.array(W, { shape: [KS, KS, CIN, COUT] }) })
  type Ctx = ReturnType<typeof setup>
  const conv = (x: Tensor, w: Tensor) => jax.lax.convGeneralDilated(x, w, PARAMS)
  const eager = (c: Ctx) => conv(c.x, c.w).toTypedArray()
  const jitted = jax.jit(conv)
  const { base, oneThread } = env.tanka
  const what = "`jax.lax.convGeneralDilated(x, w, …)` NHWC/HWIO, SAME, then `toTypedArray()`"
  cs.push(
    tankaRow(base, { name: "tanka", note: what, setup, run: eager }),
    tankaRow(oneThread, { name: "tanka-1t", note: "the same on one thread", setup, run: eager }),
    tankaRow(base, { name: "tanka-jit", note: "the same conv under `jax.jit` (the compiled program)", setup, run: (c: Ctx) => jitted(c.x, c.w).toTypedArray() })
  )
  const tf = env.peers.tf.lib
  if (tf) {
    cs.push(
      tfjsRow({
        note: "`tf.conv2d(x, w, 1, 'same')` (NHWC, HWIO), then `dataSync()`",
        setup: () => ({ x: tf.tensor4d(X, [n, HW, HW, CIN]), w: tf.tensor4d(W, [KS, KS, CIN, COUT]) }),
        op: (c) => tf.conv2d(c.x, c.w, 1, "same")
      })
    )
  }
  const jx = env.peers.jax.lib
  if (jx) {
    const np = jx.numpy
    cs.push(
      contestant({
        name: "jax-js",
        library: "jax-js",
        note: "`lax.conv(x, w, [1, 1], 'SAME').dataSync()`, eager; jax-js convolves NCHW images with OIHW kernels only, so the inputs are laid out that way once in setup and the NCHW result is permuted to NHWC for the check (untimed)",
        setup: () => ({
          x: np.array(permute(X, [n, HW, HW, CIN], [0, 3, 1, 2]), { shape: [n, CIN, HW, HW] }),
          w: np.array(permute(W, [KS, KS, CIN, COUT], [3, 2, 0, 1]), { shape: [COUT, CIN, KS, KS] })
        }),
        run: (c: { x: JaxArray; w: JaxArray }) => jx.lax.conv(c.x.ref, c.w.ref, [1, 1], "SAME").dataSync() as Float32Array,
        output: (r: Float32Array) => permute(r, [n, COUT, HW, HW], [0, 2, 3, 1]),
        teardown: (c) => {
          c.x.dispose()
          c.w.dispose()
        }
      })
    )
  }
  return cs
}

export const conv: WorkloadFactory = (env) => {
  const n = env.quick ? 1 : 8
  const X = randArray(n * HW * HW * CIN, 41)
  const W = randArray(KS * KS * CIN * COUT, 42, 1 / Math.sqrt(KS * KS * CIN))
  const flop = 2 * n * HW * HW * CIN * COUT * KS * KS
  const workload: Workload = {
    id: `conv-b${n}`,
    group: "conv",
    groupTitle: `conv 3×3, ${CIN}→${COUT} channels, ${HW}×${HW}, NHWC, stride 1, SAME`,
    column: `batch ${n}`,
    title: `conv 3x3 ${CIN}->${COUT}, ${HW}x${HW}, batch ${n}, NHWC (${(flop / 1e6).toFixed(0)} MFLOP)`,
    metric: { label: "GFLOP/s", fromMs: (ms) => flop / (ms * 1e6), higherIsBetter: true },
    reference: () => convF64(X, W, n),
    tolerance: 1e-4,
    baseline: BASELINE,
    budgetMs: budget(env, 2000, 200),
    // jax-js's eager conv takes 1–2 s per call at batch 8; the fast rows fill the 2 s budget anyway
    minSamples: env.quick ? 2 : 3,
    maxRounds: 40,
    contestants: contestants(env, n, X, W)
  }
  return [workload]
}
