import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { full, iota } from "../../src/kernels/index.js"
import { arbShape } from "../support/arbitraries.js"
import { tabulate } from "../support/reference.js"

describe("iota", () => {
  for (const dtype of ["float32", "int32", "uint32"] as const) {
    it(`iota(${dtype}, shape, d) holds each element's coordinate along d`, () => {
      fc.assert(
        fc.property(arbShape({ minRank: 1, maxRank: 4, maxDim: 6 }).chain((s) => fc.tuple(fc.constant(s), fc.integer({ min: 0, max: s.length - 1 }))), ([shape, d]) => {
          const out = iota(dtype, shape, d)
          expect(out.dtype).toBe(dtype)
          expect(Array.from(out.data)).toEqual(tabulate(shape, (idx) => idx[d]!).data)
        }),
        { numRuns: 15 }
      )
    })
  }
})

describe("full", () => {
  it("full(dtype, shape, v) fills exactly, including uint32 0xffffffff, int32 -2^31 and NaN", () => {
    expect(Array.from(full("uint32", [3], 0xffffffff).data)).toEqual([0xffffffff, 0xffffffff, 0xffffffff])
    expect(Array.from(full("int32", [2, 1], -2147483648).data)).toEqual([-2147483648, -2147483648])
    expect(Array.from(full("float32", [2], NaN).data)).toEqual([NaN, NaN])
    expect(Array.from(full("float32", [], 0.1).data)).toEqual([Math.fround(0.1)])
    expect(Array.from(full("bool", [2], 3).data)).toEqual([1, 1])
    expect(full("float32", [0, 4], 1).shape).toEqual([0, 4])
  })
})
