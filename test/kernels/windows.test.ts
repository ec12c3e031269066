import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { type HostArray, type WindowParams, hostArray, reduceWindow, selectAndGatherAdd, selectAndScatterAdd } from "../../src/kernels/index.js"
import { arbShape, arbTensorOf, arbValue } from "../support/arbitraries.js"
import { assertAllclose } from "../support/assertAllclose.js"
import { reduceWindowRef, ref, selectAndGatherAddRef, selectAndScatterAddRef } from "../support/reference.js"

const RUNS = { numRuns: 20 }
const outDim = (n: number, w: number, s: number, lo: number, hi: number): number => (n + lo + hi < w ? 0 : Math.floor((n + lo + hi - w) / s) + 1)

/** An operand with window parameters (padding may be negative) and at least one window. */
const arbWindow = (values: fc.Arbitrary<number>) =>
  arbShape({ minRank: 1, maxRank: 3, maxDim: 6 })
    .chain((s) =>
      fc.tuple(
        arbTensorOf("float32", s, values),
        fc.tuple(...s.map(() => fc.record({ w: fc.integer({ min: 1, max: 3 }), s: fc.integer({ min: 1, max: 3 }), lo: fc.integer({ min: -1, max: 2 }), hi: fc.integer({ min: -1, max: 2 }) })))
      )
    )
    .filter(([x, ws]) => x.shape.every((n, d) => n + ws[d]!.lo + ws[d]!.hi >= 0 && outDim(n, ws[d]!.w, ws[d]!.s, ws[d]!.lo, ws[d]!.hi) > 0))
    .map(([x, ws]): [HostArray, WindowParams] => [x, { windowDimensions: ws.map((v) => v.w), windowStrides: ws.map((v) => v.s), padding: ws.map((v) => [v.lo, v.hi] as [number, number]) }])

// ties are frequent with small integers, which exercises the first-argmax rule
const tied = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: -2, max: 2 }) }, { weight: 1, arbitrary: fc.constant(-Infinity) }, { weight: 1, arbitrary: fc.constant(NaN) })

describe("reduceWindow", () => {
  it("reduceWindow max equals lax.reduce_window with -inf padding (NaN propagates)", () => {
    fc.assert(
      fc.property(arbWindow(arbValue("float32", { special: true })), ([x, p]) => {
        const out = reduceWindow("max", x, p)
        const want = reduceWindowRef("max", ref(x), p)
        expect(out.shape).toEqual(want.shape)
        assertAllclose(out, want.data, {})
      }),
      RUNS
    )
  })

  it("reduceWindow sum equals lax.reduce_window with 0 padding within K·2^-23·Σ|x|", () => {
    fc.assert(
      fc.property(arbWindow(arbValue("float32")), ([x, p]) => {
        const abs = reduceWindowRef("sum", { shape: x.shape, data: Array.from(x.data, Math.abs) }, p)
        const k = p.windowDimensions.reduce((a, b) => a * b, 1)
        assertAllclose(reduceWindow("sum", x, p), reduceWindowRef("sum", ref(x), p).data, { atol: abs.data.map((s) => (k + 1) * 2 ** -23 * s + 1e-30) })
      }),
      RUNS
    )
  })

  it("reduceWindow on int32 is exact and an all-padding max window holds int32 min", () => {
    const x = hostArray("int32", [3], new Int32Array([5, -7, 1000000]))
    expect(Array.from(reduceWindow("max", x, { windowDimensions: [2], windowStrides: [1], padding: [[1, 0]] }).data)).toEqual([5, 5, 1000000])
    expect(Array.from(reduceWindow("sum", x, { windowDimensions: [2], windowStrides: [2], padding: [[0, 1]] }).data)).toEqual([-2, 1000000])
    const y = hostArray("int32", [1], new Int32Array([3]))
    expect(Array.from(reduceWindow("max", y, { windowDimensions: [1], windowStrides: [1], padding: [[1, 0]] }).data)).toEqual([-2147483648, 3])
  })
})

describe("select and scatter/gather", () => {
  it("selectAndScatterAdd sends each source value to the first maximum of its window", () => {
    fc.assert(
      fc.property(arbWindow(tied), fc.integer(), ([x, p], seed) => {
        const outShape = reduceWindowRef("max", ref(x), p).shape
        const src = hostArray("float32", outShape, Float32Array.from({ length: outShape.reduce((a, b) => a * b, 1) }, (_, k) => Math.fround(Math.cos(seed + k))))
        const out = selectAndScatterAdd(src, x, p)
        expect(out.shape).toEqual([...x.shape])
        assertAllclose(out, selectAndScatterAddRef(ref(src), ref(x), p).data, { atol: 1e-6 })
      }),
      RUNS
    )
  })

  it("selectAndGatherAdd picks the tangent at the first maximum of each window", () => {
    fc.assert(
      fc.property(arbWindow(tied), fc.integer(), ([x, p], seed) => {
        const t = hostArray("float32", x.shape, Float32Array.from(x.data, (_, k) => Math.fround(Math.sin(seed + k))))
        assertAllclose(selectAndGatherAdd(t, x, p), selectAndGatherAddRef(ref(t), ref(x), p).data, {})
      }),
      RUNS
    )
  })

  it("selectAndScatterAdd is the transpose of selectAndGatherAdd: <sga(t), s> = <t, sas(s)>", () => {
    fc.assert(
      fc.property(arbWindow(tied), fc.integer(), ([x, p], seed) => {
        const t = hostArray("float32", x.shape, Float32Array.from(x.data, (_, k) => Math.fround(Math.sin(seed + k))))
        const g = selectAndGatherAdd(t, x, p)
        const s = hostArray("float32", g.shape, Float32Array.from(g.data, (_, k) => Math.fround(Math.cos(seed - k))))
        const sc = selectAndScatterAdd(s, x, p)
        const lhs = Array.from(g.data).reduce((a, v, k) => a + v * s.data[k]!, 0)
        const rhs = Array.from(t.data).reduce((a, v, k) => a + v * sc.data[k]!, 0)
        expect(Math.abs(lhs - rhs)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(lhs)))
      }),
      RUNS
    )
  })
})
