import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { type HostArray, IntegerRangeError, allocStorage, hostArray, reduce } from "../../src/kernels/index.js"
import { arbAxes, arbInt32Full, arbShape, arbTensorOf, arbValue } from "../support/arbitraries.js"
import { assertAllclose } from "../support/assertAllclose.js"
import { reduceRef, ref, size } from "../support/reference.js"

const RUNS = { numRuns: 20 }
const arbCase = (dtype: "float32" | "int32" | "uint32" | "bool", values?: fc.Arbitrary<number>, allowEmptyAxes = true) =>
  arbShape({ maxRank: 4, maxDim: 5 }).chain((s) => fc.tuple(arbTensorOf(dtype, s, values), arbAxes(s.length, allowEmptyAxes)))

describe("reduce", () => {
  it("reduce sum over any axes matches float64 within K·2^-23·Σ|x|", () => {
    fc.assert(
      fc.property(arbCase("float32"), ([x, axes]) => {
        const out = reduce("sum", x, axes)
        const want = reduceRef("sum", ref(x), axes)
        const abs = reduceRef("sum", { shape: x.shape, data: Array.from(x.data, Math.abs) }, axes)
        const k = size(axes.map((d) => x.shape[d]!))
        expect(out.shape).toEqual(want.shape)
        assertAllclose(out, want.data, { atol: abs.data.map((s) => (k + 1) * 2 ** -23 * s + 1e-30) })
      }),
      RUNS
    )
  })

  it("reduce prod matches float64 within K·2^-23 relative", () => {
    fc.assert(
      fc.property(arbCase("float32", fc.double({ min: 0.5, max: 2, noNaN: true }).map(Math.fround)), ([x, axes]) => {
        const k = size(axes.map((d) => x.shape[d]!))
        assertAllclose(reduce("prod", x, axes), reduceRef("prod", ref(x), axes).data, { rtol: (k + 1) * 2 ** -23 })
      }),
      RUNS
    )
  })

  for (const op of ["max", "min"] as const) {
    it(`reduce ${op} is exact and propagates NaN`, () => {
      fc.assert(
        fc.property(arbCase("float32", arbValue("float32", { special: true })), ([x, axes]) => {
          assertAllclose(reduce(op, x, axes), reduceRef(op, ref(x), axes).data, {})
        }),
        RUNS
      )
    })
  }

  for (const op of ["argmax", "argmin"] as const) {
    it(`reduce ${op} returns int32, the first index on ties, and the first NaN`, () => {
      const values = fc.oneof(fc.integer({ min: -2, max: 2 }), fc.constant(NaN))
      fc.assert(
        fc.property(
          arbShape({ minRank: 1, maxRank: 3, maxDim: 5 }).chain((s) => fc.tuple(arbTensorOf("float32", s, values), fc.integer({ min: 0, max: s.length - 1 }))),
          ([x, axis]) => {
            const out = reduce(op, x, [axis])
            expect(out.dtype).toBe("int32")
            expect(Array.from(out.data)).toEqual(reduceRef(op, ref(x), [axis]).data)
          }
        ),
        RUNS
      )
    })
  }

  for (const dtype of ["int32", "uint32"] as const) {
    for (const op of ["max", "min", "argmax", "argmin"] as const) {
      it(`reduce ${op} on ${dtype} is exact over the full 32-bit range`, () => {
        fc.assert(
          fc.property(arbShape({ minRank: 1, maxRank: 3, maxDim: 4 }).chain((s) => fc.tuple(arbTensorOf(dtype, s, arbInt32Full(dtype)), fc.integer({ min: 0, max: s.length - 1 }))), ([x, axis]) => {
            expect(Array.from(reduce(op, x, [axis]).data)).toEqual(reduceRef(op, ref(x), [axis]).data)
          }),
          { numRuns: 10 }
        )
      })
    }
    it(`reduce sum/prod on ${dtype} are exact within 2^24`, () => {
      fc.assert(
        fc.property(arbCase(dtype, arbValue(dtype, { intRange: 20 })), ([x, axes]) => {
          expect(Array.from(reduce("sum", x, axes).data)).toEqual(reduceRef("sum", ref(x), axes).data)
        }),
        RUNS
      )
      const p = hostArray(dtype, [2, 3], Object.assign(allocStorage(dtype, 6), [1, 2, 3, 4, 5, 6]) as Int32Array)
      expect(Array.from(reduce("prod", p, [1]).data)).toEqual([6, 120])
    })
  }

  it("reduce sum on int32 throws IntegerRangeError when partial sums leave ±2^24 even if the total does not", () => {
    const x = hostArray("int32", [3], new Int32Array([16000000, 16000000, -16000000]))
    expect(() => reduce("sum", x, [0])).toThrow(IntegerRangeError)
    const ok = hostArray("int32", [3], new Int32Array([8000000, -8000000, 8000000]))
    expect(Array.from(reduce("sum", ok, [0]).data)).toEqual([8000000])
  })

  it("reduce max/min/argmax on bool work on 0/1", () => {
    const b = hostArray("bool", [2, 2], new Uint8Array([0, 1, 0, 0]))
    expect(Array.from(reduce("max", b, [1]).data)).toEqual([1, 0])
    expect(Array.from(reduce("min", b, [0, 1]).data)).toEqual([0])
    expect(Array.from(reduce("argmax", b, [1]).data)).toEqual([1, 0])
  })

  it("reduce over an empty axis gives the identity (0, 1, -inf, +inf, int min/max)", () => {
    const x = hostArray("float32", [2, 0], new Float32Array(0))
    expect(Array.from(reduce("sum", x, [1]).data)).toEqual([0, 0])
    expect(Array.from(reduce("prod", x, [1]).data)).toEqual([1, 1])
    expect(Array.from(reduce("max", x, [1]).data)).toEqual([-Infinity, -Infinity])
    expect(Array.from(reduce("min", x, [1]).data)).toEqual([Infinity, Infinity])
    const i = hostArray("int32", [0, 2], new Int32Array(0))
    expect(Array.from(reduce("max", i, [0]).data)).toEqual([-2147483648, -2147483648])
    const u = hostArray("uint32", [0], new Uint32Array(0))
    expect(Array.from(reduce("min", u, [0]).data)).toEqual([4294967295])
  })

  it("reduce with no axes copies the operand and all axes gives a scalar", () => {
    const x: HostArray = hostArray("float32", [2, 3], new Float32Array([1, 2, 3, 4, 5, 6]))
    expect(Array.from(reduce("sum", x, []).data)).toEqual([1, 2, 3, 4, 5, 6])
    const s = reduce("sum", x, [0, 1])
    expect(s.shape).toEqual([])
    expect(Array.from(s.data)).toEqual([21])
  })
})

describe("long reductions", () => {
  it("reduce sum over 300000 elements is blocked: error far below sequential float32 summation", () => {
    const n = 300000
    const x = hostArray("float32", [n], new Float32Array(n).fill(Math.fround(0.1)))
    const exact = n * Math.fround(0.1)
    // sequential float32 summation drifts by about 80 here; 256-element blocks keep it below 1
    expect(Math.abs(reduce("sum", x, [0]).data[0]! - exact)).toBeLessThan(1)
    const m = hostArray("float32", [3, 700], Float32Array.from({ length: 2100 }, (_, k) => Math.fround(Math.cos(k))))
    assertAllclose(reduce("sum", m, [1]), reduceRef("sum", ref(m), [1]).data, { atol: 1e-4 })
  })
})
