/**
 * Resident copies (wasm-simd): a kernel's result is copied to the JS heap once and its block kept
 * as the array's resident copy, so a chain of kernels copies nothing back in; a host input is
 * copied in once however often it is used; and however long a synchronous loop runs, the copies
 * stay within their budget (least recently used dropped first) without losing a value.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as K from "../../src/kernels/index.js"
import { DEFAULT_RESIDENT_BUDGET, RESIDENT_MIN_BYTES, wasm } from "../../src/kernels/wasm/runtime.js"

const f32 = (n: number, f: (k: number) => number) => K.hostArray("float32", [n], Float32Array.from({ length: n }, (_, k) => Math.fround(f(k))))
const N = RESIDENT_MIN_BYTES / 4 + 1000

describe("resident copies (wasm-simd)", () => {
  let mode: K.Mode
  beforeAll(() => {
    mode = K.getBackend().mode
    K.setBackend("wasm-simd")
  })
  afterAll(() => {
    wasm().residentBudget = DEFAULT_RESIDENT_BUDGET
    K.setBackend(mode)
  })

  it("a chain of kernels copies its input in once and each result out once, never back in", () => {
    const x = f32(N, (k) => k / N)
    const before = K.wasmStats()
    let y = K.unary("exp", K.binary("mul", x, x))
    for (let i = 0; i < 5; i++) y = K.binary("add", y, x)
    const after = K.wasmStats()
    expect(after.copiesIn - before.copiesIn).toBe(1)
    expect(after.copiesOut - before.copiesOut).toBe(7)
    const data = y.data as Float32Array
    for (const k of [0, 17, N - 1]) {
      const v = Math.fround(k / N)
      let want = Math.fround(Math.exp(Math.fround(v * v)))
      for (let i = 0; i < 5; i++) want = Math.fround(want + v)
      expect(Math.abs(data[k]! - want)).toBeLessThanOrEqual(Math.abs(want) * 4e-7)
    }
  })

  it("under a small budget, a long synchronous loop keeps memory bounded; an evicted copy is remade when needed", () => {
    const rt = wasm()
    rt.residentBudget = 2 * 1024 * 1024
    const x = f32(32768, (k) => k)
    const kept: K.HostArray[] = []
    const peak0 = rt.peak
    const evictions0 = rt.evictions
    for (let i = 0; i < 1000; i++) {
      const y = K.binary("add", x, K.full("float32", [], i))
      if (i % 50 === 0) kept.push(y)
    }
    expect(rt.evictions - evictions0).toBeGreaterThan(500)
    expect(rt.peak - peak0).toBeLessThan(8 * 2 * 1024 * 1024)
    // the first kept results' copies are long gone: using them copies them in again, correctly
    const inBefore = K.wasmStats().copiesIn
    kept.forEach((y, j) => {
      const z = K.binary("sub", y, x).data as Float32Array
      expect([z[0], z[32767]]).toEqual([50 * j, 50 * j])
    })
    expect(K.wasmStats().copiesIn - inBefore).toBeGreaterThan(0)
  })
})
