import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { type HostArray, hostArray, threefry2x32 } from "../../src/kernels/index.js"
import { arbInt32Full, arbShape, arbTensorOf } from "../support/arbitraries.js"
import { threefryRef } from "../support/reference.js"

const u32 = (...v: number[]): HostArray => hostArray("uint32", [v.length], new Uint32Array(v))

describe("threefry2x32", () => {
  it("threefry2x32 reproduces the Random123 / JAX known-answer vectors", () => {
    const [y0, y1] = threefry2x32(u32(0, 0xffffffff, 0x13198a2e), u32(0, 0xffffffff, 0x03707344), u32(0, 0xffffffff, 0x243f6a88), u32(0, 0xffffffff, 0x85a308d3))
    expect(Array.from(y0.data)).toEqual([0x6b200159, 0x1cb996fc, 0xc4923a9c])
    expect(Array.from(y1.data)).toEqual([0x99ba4efe, 0xbb002be7, 0x483df7a0])
  })

  it("the test's plain-JS uint32 reference reproduces the same vectors", () => {
    expect(threefryRef(0, 0, 0, 0)).toEqual([0x6b200159, 0x99ba4efe])
    expect(threefryRef(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff)).toEqual([0x1cb996fc, 0xbb002be7])
    expect(threefryRef(0x13198a2e, 0x03707344, 0x243f6a88, 0x85a308d3)).toEqual([0xc4923a9c, 0x483df7a0])
  })

  it("threefry2x32 equals the plain-JS uint32 implementation on random keys and counters of any shape", () => {
    const arb = arbShape({ maxRank: 3, maxDim: 5 }).chain((s) => fc.tuple(...[0, 1, 2, 3].map(() => arbTensorOf("uint32", s, arbInt32Full("uint32")))))
    fc.assert(
      fc.property(arb, ([k0, k1, x0, x1]) => {
        const [y0, y1] = threefry2x32(k0!, k1!, x0!, x1!)
        expect(y0.shape).toEqual(k0!.shape)
        const want = Array.from(k0!.data, (_, j) => threefryRef(k0!.data[j]!, k1!.data[j]!, x0!.data[j]!, x1!.data[j]!))
        expect(Array.from(y0.data)).toEqual(want.map((w) => w[0]))
        expect(Array.from(y1.data)).toEqual(want.map((w) => w[1]))
      }),
      { numRuns: 20 }
    )
  })
})
