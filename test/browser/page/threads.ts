/**
 * The wasm-simd configuration in a browser, on more than one thread: the test page is served
 * cross-origin isolated (COOP/COEP), so tanka's GEMM spreads over Web Workers sharing one
 * WebAssembly memory. Checks that workers engage and that the results are bit-identical to one
 * thread.
 */
import * as K from "../../../src/kernels/index.js"
import * as T from "../../../src/kernels/wasm/threads.js"
import { check, type CheckResult } from "./harness.js"

const matrix = (n: number, seed: number): K.HostArray =>
  K.hostArray("float32", [n, n], Float32Array.from({ length: n * n }, (_, k) => Math.fround(Math.sin(seed + 0.37 * k))))

export const runThreads = async (): Promise<CheckResult[]> => {
  const suite = "threads/wasm-simd"
  K.setBackend("wasm-simd")
  const a = matrix(256, 1)
  const b = matrix(256, 2)
  const dims = { lhsContracting: [1], rhsContracting: [0], lhsBatch: [], rhsBatch: [] }
  const gemm = () => K.dotGeneral(a, b, dims).data as Float32Array
  K.setThreads(1)
  const one = gemm()
  K.setThreads(2)
  // the workers start in the background: run GEMMs, letting the page breathe, until one is split
  const before = T.parallelGemms
  for (let i = 0; i < 100 && T.parallelGemms === before; i++) {
    gemm()
    await new Promise((r) => setTimeout(r, 50))
  }
  const out: CheckResult[] = []
  out.push(
    await check(suite, "the page is cross-origin isolated and a 256³ GEMM runs split across 2 threads (Web Workers)", "wasm-simd", () => {
      if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== true) throw new Error("crossOriginIsolated is not true: the server must send COOP/COEP headers")
      if (K.getThreads() !== 2) throw new Error(`getThreads() = ${K.getThreads()}, expected 2`)
      if (T.parallelGemms === before) throw new Error("no GEMM ran on more than one thread within 5 s")
    })
  )
  out.push(
    await check(suite, "two threads give the same bits as one", "wasm-simd", () => {
      const two = gemm()
      for (let k = 0; k < one.length; k++) {
        if (!Object.is(one[k], two[k])) throw new Error(`element ${k}: ${two[k]} on 2 threads, ${one[k]} on 1`)
      }
    })
  )
  K.setThreads(1)
  return out
}
