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
  return out
}
