/**
 * Results that stay in WebAssembly memory (wasm-simd; arrays of 64 KiB and more — smaller ones go
 * straight back to the JS heap): a chain of kernels never copies its
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
    const x = f32(20000, (k) => k / 20000)
    const before = K.wasmStats().copiesOut
    let y = K.unary("exp", K.binary("mul", x, x))
    for (let i = 0; i < 5; i++) y = K.binary("add", y, x)
    expect(isWasmArray(y)).toBe(true)
    expect(K.wasmStats().copiesOut).toBe(before)
    const data = y.data as Float32Array
    expect(K.wasmStats().copiesOut).toBe(before + 1)
    for (const k of [0, 17, 19999]) {
      const v = Math.fround(k / 20000)
      let want = Math.fround(Math.exp(Math.fround(v * v)))
      for (let i = 0; i < 5; i++) want = Math.fround(want + v)
      expect(Math.abs(data[k]! - want)).toBeLessThanOrEqual(Math.abs(want) * 4e-7)
    }
  })

  it("under a small budget, thousands of results in a synchronous loop keep memory bounded and every value", () => {
    const rt = wasm()
    rt.residentBudget = 2 * 1024 * 1024 // 2 MiB: about 16 results of 32768 floats
    const x = f32(32768, (k) => k)
    const kept: K.HostArray[] = []
    const peak0 = rt.peak
    const evictions0 = rt.evictions
    for (let i = 0; i < 1000; i++) {
      const y = K.binary("add", x, K.full("float32", [], i))
      if (i % 50 === 0) kept.push(y)
    }
    expect(rt.evictions - evictions0).toBeGreaterThan(500)
    // the heap grew by at most a few budgets' worth (fragmentation), not by 1000 results (128 MiB)
    expect(rt.peak - peak0).toBeLessThan(8 * 2 * 1024 * 1024)
    kept.forEach((y, j) => {
      const d = y.data as Float32Array
      expect([d[0], d[32767]]).toEqual([50 * j, 32767 + 50 * j])
    })
  })
})
