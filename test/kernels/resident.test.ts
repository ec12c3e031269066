/**
 * Results that stay in WebAssembly memory (wasm-simd): a chain of kernels never copies its
 * intermediates to the JS heap, a result read later has the right numbers, and resident memory
 * stays within its budget however long a synchronous loop runs (least recently used blocks are
 * evicted, their data moved to the arrays that still hold them, none lost).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as K from "../../src/kernels/index.js"
import { wasm } from "../../src/kernels/wasm/runtime.js"
import { isWasmArray } from "../../src/kernels/wasm/resident.js"

const f32 = (n: number, f: (k: number) => number) => K.hostArray("float32", [n], Float32Array.from({ length: n }, (_, k) => Math.fround(f(k))))

describe("resident results (wasm-simd)", () => {
  let mode: K.Mode
  beforeAll(() => {
    mode = K.getBackend().mode
    K.setBackend("wasm-simd")
  })
  afterAll(() => {
    wasm().residentBudget = 512 * 1024 * 1024
    K.setBackend(mode)
  })

  it("a chain of kernels keeps its intermediates in WebAssembly memory; only the value read is copied out", () => {
    const x = f32(1000, (k) => k / 1000)
    const before = K.wasmStats().copiesOut
    let y = K.unary("exp", K.binary("mul", x, x))
    for (let i = 0; i < 5; i++) y = K.binary("add", y, x)
    expect(isWasmArray(y)).toBe(true)
    expect(K.wasmStats().copiesOut).toBe(before)
    const data = y.data as Float32Array
    expect(K.wasmStats().copiesOut).toBe(before + 1)
    for (const k of [0, 17, 999]) {
      const v = Math.fround(k / 1000)
      let want = Math.fround(Math.exp(Math.fround(v * v)))
      for (let i = 0; i < 5; i++) want = Math.fround(want + v)
      expect(Math.abs(data[k]! - want)).toBeLessThanOrEqual(Math.abs(want) * 4e-7)
    }
  })

  it("under a small budget, thousands of results in a synchronous loop keep memory bounded and every value", () => {
    const rt = wasm()
    rt.residentBudget = 256 * 1024 // 256 KiB: about 16 results of 4096 floats
    const x = f32(4096, (k) => k)
    const kept: K.HostArray[] = []
    const peak0 = rt.peak
    const evictions0 = rt.evictions
    for (let i = 0; i < 2000; i++) {
      const y = K.binary("add", x, K.full("float32", [], i))
      if (i % 100 === 0) kept.push(y)
    }
    expect(rt.evictions - evictions0).toBeGreaterThan(1000)
    // the heap grew by at most a few budgets' worth (fragmentation), not by 2000 results
    expect(rt.peak - peak0).toBeLessThan(8 * 256 * 1024)
    kept.forEach((y, j) => {
      const d = y.data as Float32Array
      expect([d[0], d[4095]]).toEqual([100 * j, 4095 + 100 * j])
    })
  })
})
