import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { type DotDims, IntegerRangeError, dotGeneral, hostArray } from "../../src/kernels/index.js"
import { arbPermutation, arbTensorOf, arbValue } from "../support/arbitraries.js"
import { assertAllclose } from "../support/assertAllclose.js"
import { dotGeneralRef, ref } from "../support/reference.js"

/** A random dot_general problem: batch, contracting and free dims, each operand's axes permuted. */
const arbDot = (dtype: "float32" | "int32" = "float32") =>
  fc
    .record({
      batch: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
      contract: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 2 }),
      lfree: fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 2 }),
      rfree: fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 2 })
    })
    .chain(({ batch, contract, lfree, rfree }) => {
      const lr = batch.length + contract.length + lfree.length
      const rr = batch.length + contract.length + rfree.length
      return fc.tuple(fc.constant({ batch, contract, lfree, rfree }), arbPermutation(lr), arbPermutation(rr))
    })
    .chain(([{ batch, contract, lfree, rfree }, lp, rp]) => {
      // logical lhs axes: [batch..., contract..., free...] placed at positions lp
      const lLogical = [...batch, ...contract, ...lfree]
      const rLogical = [...batch, ...contract, ...rfree]
      const lShape = new Array<number>(lLogical.length)
      lp.forEach((pos, k) => (lShape[pos] = lLogical[k]!))
      const rShape = new Array<number>(rLogical.length)
      rp.forEach((pos, k) => (rShape[pos] = rLogical[k]!))
      const nb = batch.length
      const nc = contract.length
      const dims: DotDims = {
        lhsBatch: lp.slice(0, nb),
        rhsBatch: rp.slice(0, nb),
        lhsContracting: lp.slice(nb, nb + nc),
        rhsContracting: rp.slice(nb, nb + nc)
      }
      const values = dtype === "float32" ? arbValue("float32") : arbValue("int32", { intRange: 50 })
      return fc.tuple(arbTensorOf(dtype, lShape, values), arbTensorOf(dtype, rShape, values), fc.constant(dims))
    })

describe("dotGeneral", () => {
  it("dotGeneral matches float64 within (K+1)·2^-23·Σ|a||b| for any batch/contracting/free layout", () => {
    fc.assert(
      fc.property(arbDot(), ([a, b, dims]) => {
        const out = dotGeneral(a, b, dims)
        const { out: want, absSum } = dotGeneralRef(ref(a), ref(b), dims)
        const k = dims.lhsContracting.reduce((p, d) => p * a.shape[d]!, 1)
        expect(out.shape).toEqual(want.shape)
        assertAllclose(out, want.data, { atol: absSum.map((s) => (k + 1) * 2 ** -23 * s + 1e-30) })
      }),
      { numRuns: 30 }
    )
  })

  it("dotGeneral on int32 is exact within 2^24", () => {
    fc.assert(
      fc.property(arbDot("int32"), ([a, b, dims]) => {
        expect(Array.from(dotGeneral(a, b, dims).data)).toEqual(dotGeneralRef(ref(a), ref(b), dims).out.data)
      }),
      { numRuns: 15 }
    )
  })

  it("a plain 64x48 @ 48x32 matmul agrees with the reference", () => {
    const a = hostArray("float32", [64, 48], Float32Array.from({ length: 64 * 48 }, (_, k) => Math.fround(Math.sin(k))))
    const b = hostArray("float32", [48, 32], Float32Array.from({ length: 48 * 32 }, (_, k) => Math.fround(Math.cos(k))))
    const dims = { lhsContracting: [1], rhsContracting: [0], lhsBatch: [], rhsBatch: [] }
    const { out, absSum } = dotGeneralRef(ref(a), ref(b), dims)
    assertAllclose(dotGeneral(a, b, dims), out.data, { atol: absSum.map((s) => 49 * 2 ** -23 * s) })
  })

  it("dotGeneral on int32 throws IntegerRangeError instead of returning an inexact sum", () => {
    const a = hostArray("int32", [1, 2], new Int32Array([4096, 4096]))
    const b = hostArray("int32", [2, 1], new Int32Array([4096, 4096]))
    expect(() => dotGeneral(a, b, { lhsContracting: [1], rhsContracting: [0], lhsBatch: [], rhsBatch: [] })).toThrow(IntegerRangeError)
  })

  it("dotGeneral with an empty contraction gives zeros", () => {
    const a = hostArray("float32", [2, 0], new Float32Array(0))
    const b = hostArray("float32", [0, 3], new Float32Array(0))
    const out = dotGeneral(a, b, { lhsContracting: [1], rhsContracting: [0], lhsBatch: [], rhsBatch: [] })
    expect(out.shape).toEqual([2, 3])
    expect(Array.from(out.data)).toEqual([0, 0, 0, 0, 0, 0])
  })
})
