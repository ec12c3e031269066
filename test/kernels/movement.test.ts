import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { type DType, type HostArray, broadcastInDim, concatenate, hostArray, kernelLaunches, pad, reshape, slice, transpose } from "../../src/kernels/index.js"
import { arbInt32Full, arbPermutation, arbShape, arbTensorOf, arbValue } from "../support/arbitraries.js"
import { assertBitsEqual } from "../support/assertAllclose.js"
import { broadcastInDimRef, concatenateRef, padRef, ref, sliceRef, transposeRef } from "../support/reference.js"

const RUNS = { numRuns: 20 }
/** Movement must be bit-exact for every dtype: floats with NaN/±0/±inf, full-range 32-bit ints, bools. */
const DTYPES: Array<[DType, fc.Arbitrary<number>]> = [
  ["float32", arbValue("float32", { special: true })],
  ["int32", arbInt32Full("int32")],
  ["uint32", arbInt32Full("uint32")],
  ["bool", arbValue("bool")]
]
const same = (out: HostArray, want: { shape: ReadonlyArray<number>; data: number[] }): void => {
  expect(out.shape).toEqual(want.shape)
  assertBitsEqual(out.data, want.data)
}

describe.each(DTYPES)("movement of %s is bit-exact", (dtype, values) => {
  it("transpose(x, perm) equals the reference permutation of axes", () => {
    fc.assert(
      fc.property(arbShape({ maxRank: 4 }).chain((s) => fc.tuple(arbTensorOf(dtype, s, values), arbPermutation(s.length))), ([x, perm]) => {
        same(transpose(x, perm), transposeRef(ref(x), perm))
      }),
      RUNS
    )
  })

  it("broadcastInDim(x, shape, dims) repeats x along the new and size-1 dims", () => {
    const arb = arbShape({ maxRank: 4, maxDim: 4 }).chain((out) =>
      fc.tuple(fc.constant(out), fc.subarray(out.map((_, d) => d)), fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length })).chain(([o, dims, ones]) =>
        fc.tuple(fc.constant(o), fc.constant(dims), arbTensorOf(dtype, dims.map((d) => (ones[d] ? 1 : o[d]!)), values))
      )
    )
    fc.assert(
      fc.property(arb, ([shape, dims, x]) => {
        same(broadcastInDim(x, shape, dims), broadcastInDimRef(ref(x), shape, dims))
      }),
      RUNS
    )
  })

  it("slice(x, start, limit, strides) picks the strided window", () => {
    const arb = arbShape({ maxRank: 4, maxDim: 6 }).chain((s) =>
      fc.tuple(
        arbTensorOf(dtype, s, values),
        fc.tuple(...s.map((n) => fc.tuple(fc.integer({ min: 0, max: n }), fc.integer({ min: 0, max: n }), fc.integer({ min: 1, max: 3 }))))
      )
    )
    fc.assert(
      fc.property(arb, ([x, spec]) => {
        const start = spec.map(([a, b]) => Math.min(a, b))
        const limit = spec.map(([a, b]) => Math.max(a, b))
        const strides = spec.map(([, , c]) => c)
        same(slice(x, start, limit, strides), sliceRef(ref(x), start, limit, strides))
      }),
      RUNS
    )
  })

  it("pad(x, v, config) matches lax.pad, including interior padding and negative (cropping) edges", () => {
    const arb = arbShape({ maxRank: 3, maxDim: 4 }).chain((s) =>
      fc.tuple(
        arbTensorOf(dtype, s, values),
        fc.tuple(...s.map((n) => fc.tuple(fc.integer({ min: -Math.min(n, 2), max: 2 }), fc.integer({ min: -Math.min(n, 2), max: 2 }), fc.integer({ min: 0, max: 2 })))),
        values
      )
    )
    fc.assert(
      fc.property(arb, ([x, config, v]) => {
        const ok = x.shape.every((n, d) => config[d]![0] + config[d]![1] + n + Math.max(0, n - 1) * config[d]![2] >= 0)
        fc.pre(ok)
        same(pad(x, v, config), padRef(ref(x), v, config))
      }),
      RUNS
    )
  })

  it("concatenate(xs, axis) stacks the operands along axis (up to 11 operands, some empty)", () => {
    const arb = arbShape({ minRank: 1, maxRank: 3, maxDim: 3 }).chain((s) =>
      fc.tuple(fc.integer({ min: 0, max: s.length - 1 }), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 11 })).chain(([axis, sizes]) =>
        fc.tuple(fc.constant(axis), fc.tuple(...sizes.map((n) => arbTensorOf(dtype, s.map((v, d) => (d === axis ? n : v)), values))))
      )
    )
    fc.assert(
      fc.property(arb, ([axis, xs]) => {
        same(concatenate(xs, axis), concatenateRef(xs.map(ref), axis))
      }),
      RUNS
    )
  })
})

describe("reshape", () => {
  it("reshape runs no kernel and shares the (immutable) storage", () => {
    const x = hostArray("float32", [2, 3], new Float32Array([1, 2, 3, 4, 5, 6]))
    const before = kernelLaunches()
    const y = reshape(x, [3, 1, 2])
    expect(kernelLaunches()).toBe(before)
    expect(y.shape).toEqual([3, 1, 2])
    expect(y.data).toBe(x.data)
  })
})

describe("extreme values", () => {
  it("int32 -2^31 and uint32 0xffffffff survive transpose, pad and concatenate exactly", () => {
    const i = hostArray("int32", [2, 2], new Int32Array([-2147483648, 2147483647, -1, 16777217]))
    expect(Array.from(transpose(i, [1, 0]).data)).toEqual([-2147483648, -1, 2147483647, 16777217])
    const u = hostArray("uint32", [2], new Uint32Array([0xffffffff, 0x80000001]))
    expect(Array.from(pad(u, 0xfffffffe, [[1, 1, 1]]).data)).toEqual([0xfffffffe, 0xffffffff, 0xfffffffe, 0x80000001, 0xfffffffe])
    expect(Array.from(concatenate([u, u], 0).data)).toEqual([0xffffffff, 0x80000001, 0xffffffff, 0x80000001])
  })

  it("pad with a NaN or -inf value fills exactly", () => {
    const x = hostArray("float32", [1], new Float32Array([2]))
    expect(Array.from(pad(x, NaN, [[1, 0, 0]]).data)).toEqual([NaN, 2])
    expect(Array.from(pad(x, -Infinity, [[0, 2, 0]]).data)).toEqual([2, -Infinity, -Infinity])
  })
})
