import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { type DType, IndexOutOfRangeError, IntegerRangeError, gather, hostArray, kernelLaunches, scatterAdd } from "../../src/kernels/index.js"
import { arbInt32Full, arbShape, arbTensorOf, arbValue } from "../support/arbitraries.js"
import { assertAllclose, assertBitsEqual } from "../support/assertAllclose.js"
import { gatherRef, ref, scatterAddRef } from "../support/reference.js"

const RUNS = { numRuns: 20 }

/** x, an axis with size d >= 1, and indices in [-d, d). */
const arbGather = (dtype: DType, values: fc.Arbitrary<number>) =>
  arbShape({ minRank: 1, maxRank: 3, maxDim: 4 }).chain((s) =>
    fc.integer({ min: 0, max: s.length - 1 }).chain((axis) =>
      fc.tuple(
        arbTensorOf(dtype, s, values),
        fc.constant(axis),
        arbShape({ maxRank: 2, maxDim: 4 }).chain((is) => arbTensorOf("int32", is, fc.integer({ min: -s[axis]!, max: s[axis]! - 1 })))
      )
    )
  )

describe("gather", () => {
  const cases: Array<[DType, fc.Arbitrary<number>]> = [
    ["float32", arbValue("float32", { special: true })],
    ["int32", arbInt32Full("int32")],
    ["uint32", arbInt32Full("uint32")],
    ["bool", arbValue("bool")]
  ]
  for (const [dtype, values] of cases) {
    it(`gather(x, indices, axis) on ${dtype} equals jnp.take, wrapping negative indices once, bit-exactly`, () => {
      fc.assert(
        fc.property(arbGather(dtype, values), ([x, axis, idx]) => {
          const out = gather(x, idx, axis)
          const want = gatherRef(ref(x), ref(idx), axis)
          expect(out.shape).toEqual(want.shape)
          assertBitsEqual(out.data, want.data)
        }),
        RUNS
      )
    })
  }

  it("an out-of-range index throws IndexOutOfRangeError before any kernel launch", () => {
    const x = hostArray("float32", [5, 3], new Float32Array(15))
    const idx = hostArray("int32", [3], new Int32Array([0, -5, 7]))
    const before = kernelLaunches()
    let err: unknown
    try {
      gather(x, idx, 0)
    } catch (e) {
      err = e
    }
    expect(kernelLaunches()).toBe(before)
    expect(err).toBeInstanceOf(IndexOutOfRangeError)
    const e = err as IndexOutOfRangeError
    expect(e._tag).toBe("IndexOutOfRangeError")
    expect(e.index).toBe(7)
    expect(e.position).toBe(2)
    expect(e.message).toContain("f32[5,3]")
    expect(e.message).toContain("i32[3]")
    expect(e.message).toContain("[-5, 5)")
    expect(() => gather(x, hostArray("int32", [1], new Int32Array([-6])), 0)).toThrow(/index -6/)
  })
})

describe("scatterAdd", () => {
  it("scatterAdd(shape, indices, updates, axis) adds updates at the indices, duplicates accumulating", () => {
    fc.assert(
      fc.property(arbGather("float32", arbValue("float32")), ([x, axis, idx]) => {
        const updates = gatherRef(ref(x), ref(idx), axis)
        const u = hostArray("float32", updates.shape, Float32Array.from(updates.data))
        const out = scatterAdd(x.shape, idx, u, axis)
        const want = scatterAddRef(x.shape, ref(idx), ref(u), axis)
        const abs = scatterAddRef(x.shape, ref(idx), { shape: u.shape, data: Array.from(u.data, Math.abs) }, axis)
        expect(out.shape).toEqual([...x.shape])
        assertAllclose(out, want.data, { atol: abs.data.map((s) => 2 ** -21 * s * Math.max(1, idx.data.length)) })
      }),
      RUNS
    )
  })

  it("scatterAdd is the transpose of gather: <gather(x), u> = <x, scatterAdd(u)>", () => {
    fc.assert(
      fc.property(arbGather("float32", arbValue("float32")), fc.integer(), ([x, axis, idx], seed) => {
        const g = gather(x, idx, axis)
        const u = hostArray("float32", g.shape, Float32Array.from(g.data, (_, k) => Math.fround(Math.sin(seed + k))))
        const s = scatterAdd(x.shape, idx, u, axis)
        const lhs = Array.from(g.data).reduce((acc, v, k) => acc + v * u.data[k]!, 0)
        const rhs = Array.from(x.data).reduce((acc, v, k) => acc + v * s.data[k]!, 0)
        expect(Math.abs(lhs - rhs)).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(lhs)))
      }),
      RUNS
    )
  })

  it("scatterAdd on int32 is exact and throws IntegerRangeError when a target's partial sums leave 2^24", () => {
    const idx = hostArray("int32", [4], new Int32Array([1, 1, -1, 0]))
    const u = hostArray("int32", [4], new Int32Array([5, -7, 100, 3]))
    expect(Array.from(scatterAdd([3], idx, u, 0).data)).toEqual([3, -2, 100])
    const big = hostArray("int32", [2], new Int32Array([16000000, 16000000]))
    expect(() => scatterAdd([2], hostArray("int32", [2], new Int32Array([0, 0])), big, 0)).toThrow(IntegerRangeError)
  })

  it("scatterAdd with no indices gives zeros", () => {
    const out = scatterAdd([2, 2], hostArray("int32", [0], new Int32Array(0)), hostArray("float32", [0, 2], new Float32Array(0)), 0)
    expect(Array.from(out.data)).toEqual([0, 0, 0, 0])
  })
})
