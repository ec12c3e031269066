/**
 * The sort, take-along-axis, cumulative and set/mul scatter kernels against float64 loops
 * (plain JS sorts and folds), over random shapes, axes and dtypes.
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { type DType, type HostArray, IntegerRangeError, cumulative, hostArray, scatter, sortPermutation, takeAlongAxis } from "../../src/kernels/index.js"
import { arbInt32Full, arbShape, arbTensorOf, arbValue } from "../support/arbitraries.js"
import { assertAllclose, assertBitsEqual } from "../support/assertAllclose.js"

const RUNS = { numRuns: 20 }

/** The lines of `shape` along `axis`: for each, the flat positions of its elements in order. */
const lines = (shape: ReadonlyArray<number>, axis: number): number[][] => {
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1)
  const n = shape[axis]!
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1)
  const out: number[][] = []
  for (let o = 0; o < outer; o++) for (let m = 0; m < inner; m++) out.push(Array.from({ length: n }, (_, j) => o * n * inner + j * inner + m))
  return out
}

/** lax.sort's ascending total order: NaN last, -0 equal to 0. */
const ascending = (a: number, b: number): number => (Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : Number.isNaN(b) ? -1 : a < b ? -1 : a > b ? 1 : 0)
/** lax.top_k's order: NaN first, then descending with +0 before -0. */
const descending = (a: number, b: number): number => {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) ? (Number.isNaN(b) ? 0 : -1) : 1
  if (a !== b) return a > b ? -1 : 1
  return a === 0 ? (Object.is(a, b) ? 0 : Object.is(a, 0) ? -1 : 1) : 0
}

const arbAxisShape = arbShape({ minRank: 1, maxRank: 3, maxDim: 6 }).chain((s) => fc.tuple(fc.constant(s), fc.integer({ min: 0, max: s.length - 1 })))

const ties = fc.integer({ min: -2, max: 2 }).map((v) => (v === 2 ? -0 : v))

describe("sortPermutation + takeAlongAxis", () => {
  const cases: Array<[DType, fc.Arbitrary<number>]> = [
    ["float32", fc.oneof(arbValue("float32", { special: true }), ties)],
    ["int32", arbInt32Full("int32")],
    ["uint32", arbInt32Full("uint32")],
    ["bool", arbValue("bool")]
  ]
  for (const [dtype, values] of cases) {
    for (const [order, cmp] of [["ascending", ascending], ["descending", descending]] as const) {
      it(`${order} on ${dtype}: each line is a stable sort (ties in index order), and takeAlongAxis applies it bit-exactly`, () => {
        fc.assert(
          fc.property(arbAxisShape.chain(([s, axis]) => fc.tuple(arbTensorOf(dtype, s, values), fc.constant(axis))), ([x, axis]) => {
            const perm = sortPermutation([x], axis, order)
            const sorted = takeAlongAxis(x, perm, axis)
            for (const line of lines(x.shape, axis)) {
              const vals = line.map((p) => Number(x.data[p]))
              const want = vals.map((v, j) => [v, j] as const).sort((a, b) => cmp(a[0], b[0]) || a[1] - b[1]).map(([, j]) => j)
              expect(line.map((p) => perm.data[p])).toEqual(want)
              assertBitsEqual(Float64Array.from(line.map((p) => Number(sorted.data[p]))), Float64Array.from(want.map((j) => vals[j]!)))
            }
          }),
          RUNS
        )
      })
    }
  }

  it("sorts lexicographically over several keys (first key primary)", () => {
    const k1 = hostArray("float32", [6], new Float32Array([1, 0, 1, 0, 1, 0]))
    const k2 = hostArray("int32", [6], new Int32Array([5, -7, 2, 9, 2, -7]))
    expect(Array.from(sortPermutation([k1, k2], 0, "ascending").data)).toEqual([1, 5, 3, 2, 4, 0])
  })
})

const fold = (op: "sum" | "prod" | "max" | "min", a: number, b: number): number =>
  op === "sum" ? a + b : op === "prod" ? a * b : Number.isNaN(a) || Number.isNaN(b) ? NaN : op === "max" ? Math.max(a, b) : Math.min(a, b)

describe("cumulative", () => {
  for (const op of ["sum", "prod", "max", "min"] as const) {
    it(`cum${op} along any axis, forward and reverse, matches a float64 fold`, () => {
      fc.assert(
        fc.property(
          arbAxisShape.chain(([s, axis]) => fc.tuple(arbTensorOf("float32", s, arbValue("float32", { scale: 2, special: op === "max" || op === "min" })), fc.constant(axis), fc.boolean())),
          ([x, axis, reverse]) => {
            const out = cumulative(op, x, axis, reverse)
            const want = new Float64Array(x.data.length)
            for (const line of lines(x.shape, axis)) {
              const order = reverse ? [...line].reverse() : line
              let acc = NaN
              order.forEach((p, t) => {
                acc = t === 0 ? Number(x.data[p]) : fold(op, acc, Number(x.data[p]))
                want[p] = acc
              })
            }
            assertAllclose(out.data, want, { rtol: 1e-5, atol: 1e-5 })
          }
        ),
        RUNS
      )
    })
  }

  it("integer cumsum is exact within ±2^24 and an IntegerRangeError beyond", () => {
    const x = hostArray("int32", [4], new Int32Array([16777215, 0, -5, 3]))
    expect(Array.from(cumulative("sum", x, 0, false).data)).toEqual([16777215, 16777215, 16777210, 16777213])
    expect(() => cumulative("sum", hostArray("int32", [2], new Int32Array([16777215, 1])), 0, false)).toThrow(IntegerRangeError)
  })
})

describe("scatter (set, mul)", () => {
  const arbScatter = (dtype: DType, values: fc.Arbitrary<number>) =>
    arbAxisShape.chain(([s, axis]) =>
      arbShape({ maxRank: 2, maxDim: 4 }).chain((is) =>
        fc.tuple(
          arbTensorOf(dtype, s, values),
          arbTensorOf("int32", is, fc.integer({ min: -s[axis]!, max: s[axis]! - 1 })),
          arbTensorOf(dtype, [...s.slice(0, axis), ...is, ...s.slice(axis + 1)], values),
          fc.constant(axis)
        )
      )
    )
  const refScatter = (mode: "set" | "mul", op: HostArray, idx: HostArray, upd: HostArray, axis: number): Float64Array => {
    const out = Float64Array.from(op.data, Number)
    const outer = op.shape.slice(0, axis).reduce((a, b) => a * b, 1)
    const n = op.shape[axis]!
    const inner = op.shape.slice(axis + 1).reduce((a, b) => a * b, 1)
    const k = idx.data.length
    for (let t = 0; t < k; t++) {
      const j = idx.data[t]! < 0 ? idx.data[t]! + n : idx.data[t]!
      for (let o = 0; o < outer; o++) {
        for (let m = 0; m < inner; m++) {
          const u = Number(upd.data[o * k * inner + t * inner + m])
          const p = o * n * inner + j * inner + m
          out[p] = mode === "set" ? u : Math.fround(out[p]! * u)
        }
      }
    }
    return out
  }
  it("set: every target takes the last update aimed at it (index order), exactly, also for full-range int32", () => {
    for (const [dtype, values] of [["float32", arbValue("float32", { special: true })], ["int32", arbInt32Full("int32")]] as const) {
      fc.assert(
        fc.property(arbScatter(dtype, values), ([op, idx, upd, axis]) => {
          assertBitsEqual(Float64Array.from(scatter("set", op, idx, upd, axis).data, Number), refScatter("set", op, idx, upd, axis))
        }),
        RUNS
      )
    }
  })
  it("mul: every target is multiplied by its updates in index order", () => {
    fc.assert(
      fc.property(arbScatter("float32", arbValue("float32", { scale: 2 })), ([op, idx, upd, axis]) => {
        assertAllclose(scatter("mul", op, idx, upd, axis).data, refScatter("mul", op, idx, upd, axis), { rtol: 1e-6, atol: 0 })
      }),
      RUNS
    )
  })
})
