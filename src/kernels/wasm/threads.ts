/**
 * Splitting large contractions across threads. (Single-threaded for now: every GEMM runs on the
 * calling thread.)
 */
import type { DotPlan } from "./dot.js"
import { type GemmFn, scratchBytes } from "./gemm.js"
import type { WasmRuntime } from "./runtime.js"

/** One GEMM of `p` on this thread over rows [m0, m1) and columns [n0, n1). */
export const gemmRange = (rt: WasmRuntime, gemm: GemmFn, p: DotPlan, pa: number, pb: number, pc: number, m0: number, m1: number, n0: number, n1: number): void => {
  rt.scoped(() => {
    const s = scratchBytes()
    const ap = rt.alloc(s.ap)
    const bp = rt.alloc(s.bp)
    const tmp = rt.alloc(s.tmp)
    gemm(p.M, p.N, p.K, pa, 4 * p.rsA, 4 * p.csA, pb, 4 * p.rsB, 4 * p.csB, pc, 4 * p.N, ap, bp, tmp, m0, m1, n0, n1)
  })
}

/** The GEMM of `p` at these pointers, on as many threads as pay off. */
export const parallelGemm = (rt: WasmRuntime, gemm: GemmFn, p: DotPlan, pa: number, pb: number, pc: number): void => {
  gemmRange(rt, gemm, p, pa, pb, pc, 0, p.M, 0, p.N)
}
