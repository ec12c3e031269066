/**
 * Texture and buffer limits on a shader path: a tensor above the backend's element limit is a
 * KernelLimitError naming the limit and the fix (never a wrong result), and a tensor exactly at
 * the limit (2^24 elements, a 4096×4096 texture in WebGL2) comes back exact in every element.
 */
import * as K from "../../../src/kernels/index.js"
import { check, type CheckResult } from "./harness.js"

const LIMIT = 2 ** 24

/** The limit checks in `mode`. */
export const runLimits = async (mode: K.Mode): Promise<CheckResult[]> => {
  K.setBackend(mode)
  const suite = `limits/${mode}`
  const out: CheckResult[] = []
  out.push(
    await check(suite, "neg on f32[2^24 + 1] throws KernelLimitError (limit 2^24, fix: split), no kernel runs", mode, () => {
      const launches = K.kernelLaunches()
      const x = K.hostArray("float32", [LIMIT + 1], new Float32Array(LIMIT + 1))
      let caught: unknown = null
      try {
        K.unary("neg", x)
      } catch (e) {
        caught = e
      }
      if (!(caught instanceof K.KernelLimitError)) throw new Error(`expected KernelLimitError, got ${String(caught)}`)
      if (caught.limit !== LIMIT || !/split/.test(caught.message) || !caught.message.includes("f32[16777217]")) {
        throw new Error(`KernelLimitError lacks the limit, shape or fix: ${caught.message}`)
      }
      if (K.kernelLaunches() !== launches) throw new Error("a kernel ran for an over-limit tensor")
    })
  )
  out.push(
    await check(suite, "neg on f32[4096,4096] (exactly 2^24 elements) is exact in every element", mode, () => {
      const data = new Float32Array(LIMIT)
      for (let k = 0; k < LIMIT; k++) data[k] = (k % 65521) - 32768 + (k >>> 20) / 16
      const y = K.unary("neg", K.hostArray("float32", [4096, 4096], data)).data
      let bad = 0
      let first = -1
      for (let k = 0; k < LIMIT; k++) {
        if (y[k] !== -data[k]!) {
          bad++
          if (first < 0) first = k
        }
      }
      if (bad > 0) throw new Error(`${bad} of ${LIMIT} elements wrong; first at ${first}: ${y[first]} vs ${-data[first]!}`)
    })
  )
  // the reference is computed in webasm first: a webgpu check body is replayed by runAsync
  const special = specialValues()
  K.setBackend(mode)
  out.push(await check(suite, "IEEE special values: every float unary op and div, rem, pow, atan2, max, min at NaN, ±Inf, ±0 and out-of-domain inputs, and max pooling, reductions, running max/min and sorting over them, give what webasm gives (JavaScript's Math; pow as C's)", mode, () => special.check(special.run())))
  return out
}

/** Inputs where shader math is undefined or easy to get wrong: NaN, ±Inf, ±0, out of domain. */
const SPECIAL = [NaN, Infinity, -Infinity, 0, -0, -1, -0.5, 0.5, 1, 2, -2, 1e30, -1e30, 100, -100, 1e-30, -1e-30]

/** The same value up to float32 precision (NaN = NaN, ±Inf exact, zeros of either sign equal). */
const same = (a: number, b: number): boolean =>
  Number.isNaN(b) ? Number.isNaN(a) : !Number.isFinite(b) ? a === b : Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b))

/** Every float unary op at SPECIAL, and some binary ones at every pair of SPECIAL: `run` in the current mode, `check` against webasm's. */
const specialValues = () => {
  const unary = K.UNARY_OPS.filter((op) => op !== "not")
  const binary = ["div", "rem", "pow", "atan2", "max", "min", "add", "sub", "mul"] as const
  const n = SPECIAL.length
  const x = K.hostArray("float32", [n], new Float32Array(SPECIAL))
  const a = K.hostArray("float32", [n * n], new Float32Array(SPECIAL.flatMap((v) => SPECIAL.map(() => v))))
  const b = K.hostArray("float32", [n * n], new Float32Array(SPECIAL.flatMap(() => SPECIAL)))
  // max pooling over pairs of SPECIAL (stride 1, window 2, no padding): NaN and -Inf windows
  // every ordered pair of SPECIAL as a row of two
  const pairs = K.hostArray("float32", [n * n, 2], new Float32Array(SPECIAL.flatMap((u) => SPECIAL.flatMap((v) => [u, v]))))
  const pool = K.hostArray("float32", [2 * n], new Float32Array(SPECIAL.flatMap((v) => [v, -Infinity])))
  const run = () => ({
    unary: unary.map((op) => Array.from(K.unary(op, x).data as Float32Array)),
    binary: binary.map((op) => Array.from(K.binary(op, a, b).data as Float32Array)),
    pool: Array.from(K.reduceWindow("max", pool, { windowDimensions: [2], windowStrides: [1], padding: [[0, 0]] }).data as Float32Array),
    // the NaN-aware families: reductions, running max/min, sorting (NaN wins / sorts last)
    nanAware: [
      ...(["max", "min", "argmax", "argmin"] as const).map((op) => Array.from(K.reduce(op, pairs, [1]).data as ArrayLike<number>)),
      ...(["max", "min"] as const).map((op) => Array.from(K.cumulative(op, x, 0, false).data as Float32Array)),
      ...(["ascending", "descending"] as const).map((order) => Array.from(K.sortPermutation([x], 0, order).data as ArrayLike<number>))
    ]
  })
  K.setBackend("webasm")
  const want = run()
  const check = (got: ReturnType<typeof run>): void => {
    const wrong = new Map<string, string[]>()
    const note = (op: string, text: string) => wrong.set(op, [...(wrong.get(op) ?? []), text])
    unary.forEach((op, i) =>
      SPECIAL.forEach((v, k) => {
        if (!same(got.unary[i]![k]!, want.unary[i]![k]!)) note(op, `${op}(${v}) = ${got.unary[i]![k]} (want ${want.unary[i]![k]})`)
      })
    )
    binary.forEach((op, i) =>
      SPECIAL.forEach((u, j) =>
        SPECIAL.forEach((v, k) => {
          const [g, w] = [got.binary[i]![j * n + k]!, want.binary[i]![j * n + k]!]
          if (!same(g, w)) note(op, `${op}(${u}, ${v}) = ${g} (want ${w})`)
        })
      )
    )
    got.pool.forEach((g, k) => {
      if (!same(g, want.pool[k]!)) note("reduce_window max", `reduce_window max at ${k} = ${g} (want ${want.pool[k]})`)
    })
    const families = ["reduce max", "reduce min", "reduce argmax", "reduce argmin", "cummax", "cummin", "sort ascending", "sort descending"]
    got.nanAware.forEach((g, f) =>
      g.forEach((v, k) => {
        if (!same(v, want.nanAware[f]![k]!)) note(families[f]!, `${families[f]} at ${k} = ${v} (want ${want.nanAware[f]![k]})`)
      })
    )
    if (wrong.size > 0) {
      const total = [...wrong.values()].reduce((s, w) => s + w.length, 0)
      throw new Error(`${total} wrong in ${wrong.size} ops: ${[...wrong].map(([op, ws]) => `${op} ×${ws.length} (${ws.slice(0, 3).join("; ")})`).join(" | ")}`)
    }
  }
  return { run, check }
}
