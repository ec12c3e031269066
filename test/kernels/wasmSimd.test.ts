/**
 * tanka's WebAssembly SIMD kernels against their definitions, the gpu.js kernels of the same op
 * (run side by side on the same random inputs): dot_general over random shapes, dimension numbers
 * and operand layouts (transposed operands read in place), conv over random layouts, strides,
 * padding, dilations and groups, every elementwise op with broadcasting and special values,
 * select and every conversion, and reductions over random axes. Plus the thread-count law: a
 * GEMM is bit-identical on one thread and on two.
 */
import fc from "fast-check"
import { afterAll, describe, expect, it } from "vitest"
import * as K from "../../src/kernels/index.js"
import type { BinaryOp, DotDims, DType, HostArray, ReduceOp, UnaryOp } from "../../src/kernels/index.js"
import { arbBroadcastableShapes, arbConv, arbPermutation, arbShape, arbTensorOf, arbValue } from "../support/arbitraries.js"
import { assertAllclose, assertBitsEqual } from "../support/assertAllclose.js"
import { mapBroadcast, ref } from "../support/reference.js"

/** Floats in ±scale with the values kernels get wrong first: NaN, ±inf, ±0, subnormals, the float32 extremes. */
const edgy = (scale: number): fc.Arbitrary<number> =>
  fc.oneof(
    { weight: 6, arbitrary: arbValue("float32", { scale }) },
    { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, 0, -0, 1.401298464324817e-45, -2.5e-40, 1.1754943508222875e-38, 3.4028234663852886e38, -3.4028234663852886e38) }
  )

const wasmImpl = <Op extends K.OpName>(op: Op) => K.implementation(op, "wasm-simd")
const gpuImpl = <Op extends K.OpName>(op: Op) => K.implementation(op, "gpu.js")

afterAll(() => K.setThreads(K.getThreads()))

/** A random dot_general: logical [batch, free, contracting] axes placed by random permutations. */
const arbDot = fc
  .record({
    nb: fc.integer({ min: 0, max: 2 }),
    nc: fc.integer({ min: 0, max: 2 }),
    nl: fc.integer({ min: 0, max: 2 }),
    nr: fc.integer({ min: 0, max: 2 })
  })
  .chain(({ nb, nc, nl, nr }) =>
    fc.tuple(
      fc.array(fc.integer({ min: 1, max: 6 }), { minLength: nb + nc + nl + nr, maxLength: nb + nc + nl + nr }),
      arbPermutation(nb + nl + nc),
      arbPermutation(nb + nc + nr),
      fc.constant({ nb, nc, nl, nr })
    )
  )
  .chain(([sizes, lp, rp, { nb, nc, nl, nr }]) => {
    const batch = sizes.slice(0, nb)
    const contract = sizes.slice(nb, nb + nc)
    const lfree = sizes.slice(nb + nc, nb + nc + nl)
    const rfree = sizes.slice(nb + nc + nl)
    // logical lhs axes: batch, free, contracting; rhs: batch, contracting, free; placed by lp / rp
    const lhsShape = new Array<number>(nb + nl + nc)
    ;[...batch, ...lfree, ...contract].forEach((v, k) => (lhsShape[lp[k]!] = v))
    const rhsShape = new Array<number>(nb + nc + nr)
    ;[...batch, ...contract, ...rfree].forEach((v, k) => (rhsShape[rp[k]!] = v))
    const dims: DotDims = {
      lhsBatch: lp.slice(0, nb),
      rhsBatch: rp.slice(0, nb),
      lhsContracting: lp.slice(nb + nl),
      rhsContracting: rp.slice(nb, nb + nc)
    }
    return fc.tuple(arbTensorOf("float32", lhsShape, arbValue("float32")), arbTensorOf("float32", rhsShape, arbValue("float32")), fc.constant(dims))
  })

/** Per element: |Σ a·b| bounds; wasm and gpu.js sum in different orders, so compare within K·eps·Σ|a||b|. */
const dotAbsSum = (a: HostArray, b: HostArray, dims: DotDims): Float64Array => {
  const abs = (x: HostArray) => K.hostArray("float32", x.shape, Float32Array.from(x.data as Float32Array, Math.abs))
  return Float64Array.from(gpuImpl("dotGeneral")(abs(a), abs(b), dims).data as Float32Array)
}

describe("wasm-simd kernels agree with the gpu.js kernels", () => {
  it("dot_general: random shapes, dimension numbers and operand layouts", () => {
    fc.assert(
      fc.property(arbDot, ([a, b, dims]) => {
        const want = gpuImpl("dotGeneral")(a, b, dims)
        const got = wasmImpl("dotGeneral")(a, b, dims)
        expect(got.shape).toEqual(want.shape)
        const bound = dotAbsSum(a, b, dims)
        assertAllclose(got.data, want.data, { atol: Array.from(bound, (s) => 2e-6 * s + 1e-30) })
      }),
      { numRuns: 150 }
    )
  })

  it("dot_general past every block size (K > KC, M > MC, N > NC) and a transposed operand", () => {
    const r = (shape: number[], seed: number) => K.hostArray("float32", shape, Float32Array.from({ length: shape[0]! * shape[1]! }, (_, k) => Math.fround(Math.sin(seed * 7.1 + k * 0.37))))
    const a = r([300, 130], 1) // used transposed: contracting dim 0
    const b = r([300, 1030], 2)
    const dims: DotDims = { lhsContracting: [0], rhsContracting: [0], lhsBatch: [], rhsBatch: [] }
    const got = wasmImpl("dotGeneral")(a, b, dims)
    assertAllclose(got.data, gpuImpl("dotGeneral")(a, b, dims).data, { atol: Array.from(dotAbsSum(a, b, dims), (s) => 2e-6 * s) })
  })

  it("a GEMM gives the same bits on one thread and on two", () => {
    const r = (n: number, seed: number) => K.hostArray("float32", [n, n], Float32Array.from({ length: n * n }, (_, k) => Math.fround(Math.cos(seed + k * 0.013))))
    const a = r(200, 1)
    const b = r(200, 2)
    const dims: DotDims = { lhsContracting: [1], rhsContracting: [0], lhsBatch: [], rhsBatch: [] }
    K.setThreads(1)
    const one = wasmImpl("dotGeneral")(a, b, dims)
    K.setThreads(2)
    const two = wasmImpl("dotGeneral")(a, b, dims)
    assertBitsEqual(two.data as Float32Array, Array.from(one.data))
  })

  it("conv: random layouts, strides, padding, dilations, feature and batch groups", () => {
    fc.assert(
      fc.property(fc.oneof(arbConv({ groups: true, batchGroups: false }), arbConv({ groups: false, batchGroups: true })), ([lhs, rhs, p]) => {
        const want = gpuImpl("conv")(lhs, rhs, p)
        const got = wasmImpl("conv")(lhs, rhs, p)
        expect(got.shape).toEqual(want.shape)
        const abs = (x: HostArray) => K.hostArray("float32", x.shape, Float32Array.from(x.data as Float32Array, Math.abs))
        const bound = gpuImpl("conv")(abs(lhs), abs(rhs), p).data
        assertAllclose(got.data, want.data, { atol: Array.from(bound, (s) => 2e-6 * s + 1e-30) })
      }),
      { numRuns: 100 }
    )
  })

  const UNARY: ReadonlyArray<[UnaryOp, number, { rtol: number; atol: number }]> = [
    ["neg", 8, { rtol: 0, atol: 0 }],
    ["abs", 8, { rtol: 0, atol: 0 }],
    ["sign", 8, { rtol: 0, atol: 0 }],
    ["floor", 8, { rtol: 0, atol: 0 }],
    ["ceil", 8, { rtol: 0, atol: 0 }],
    ["round", 8, { rtol: 0, atol: 0 }],
    ["sqrt", 50, { rtol: 0, atol: 0 }],
    ["rsqrt", 50, { rtol: 3e-7, atol: 0 }],
    ["exp", 80, { rtol: 4e-7, atol: 0 }],
    ["log", 1e30, { rtol: 4e-7, atol: 1e-7 }],
    ["log1p", 50, { rtol: 4e-7, atol: 1e-7 }],
    ["expm1", 30, { rtol: 4e-7, atol: 1e-7 }],
    ["tanh", 12, { rtol: 4e-7, atol: 1e-7 }],
    ["logistic", 30, { rtol: 6e-7, atol: 1e-7 }],
    ["erf", 5, { rtol: 1e-6, atol: 1e-7 }],
    ["erf_inv", 1, { rtol: 2e-6, atol: 1e-6 }],
    // both within a few float32 ulp of float64 Math for every finite float32 (test/kernels/trig.test.ts)
    ["sin", 1e30, { rtol: 5e-7, atol: 1e-44 }],
    ["cos", 1e30, { rtol: 5e-7, atol: 1e-44 }]
  ]

  it.each(UNARY)("unary %s over ±%d with NaN, ±inf, ±0, subnormals and float32's extremes", (op, scale, tol) => {
    fc.assert(
      fc.property(arbShape({ maxRank: 3, maxDim: 9 }).chain((s) => arbTensorOf("float32", s, edgy(scale))), (x) => {
        assertAllclose(wasmImpl("unary")(op, x).data, gpuImpl("unary")(op, x).data, tol)
      }),
      { numRuns: 60 }
    )
  })

  it("unary not on bool, int32 and uint32 (exact)", () => {
    for (const dtype of ["bool", "int32", "uint32"] as const) {
      fc.assert(
        fc.property(arbShape({ maxRank: 3, maxDim: 6 }).chain((s) => arbTensorOf(dtype, s, arbValue(dtype, { intRange: 2 ** 31 - 1 }))), (x) => {
          assertBitsEqual(wasmImpl("unary")("not", x).data as never, Array.from(gpuImpl("unary")("not", x).data))
        }),
        { numRuns: 30 }
      )
    }
  })

  const FLOAT_BINARY: ReadonlyArray<[BinaryOp, { rtol: number; atol: number }]> = [
    ["add", { rtol: 0, atol: 0 }],
    ["sub", { rtol: 0, atol: 0 }],
    ["mul", { rtol: 0, atol: 0 }],
    ["div", { rtol: 0, atol: 0 }],
    ["max", { rtol: 0, atol: 0 }],
    ["min", { rtol: 0, atol: 0 }],
    ["rem", { rtol: 0, atol: 1e-6 }],
    ["pow", { rtol: 4e-7, atol: 1e-30 }],
    ["atan2", { rtol: 3e-7, atol: 1e-7 }],
    ["eq", { rtol: 0, atol: 0 }],
    ["ne", { rtol: 0, atol: 0 }],
    ["lt", { rtol: 0, atol: 0 }],
    ["le", { rtol: 0, atol: 0 }],
    ["gt", { rtol: 0, atol: 0 }],
    ["ge", { rtol: 0, atol: 0 }]
  ]
  const arbPair = (dtype: DType, values: fc.Arbitrary<number>) =>
    arbBroadcastableShapes(3, 5).chain(([s1, s2]) => fc.tuple(arbTensorOf(dtype, s1, values), arbTensorOf(dtype, s2, values)))

  it.each(FLOAT_BINARY)("binary %s on float32 with broadcasting, NaN, ±inf, ±0, subnormals and float32's extremes", (op, tol) => {
    fc.assert(
      fc.property(arbPair("float32", edgy(6)), ([a, b]) => {
        const got = wasmImpl("binary")(op, a, b)
        if (op !== "rem") return assertAllclose(got.data, gpuImpl("binary")(op, a, b).data, tol)
        // gpu.js's rem overflows its quotient when |a/b| passes float32's range (rem(3e38, 1e-45)
        // is -inf there); against exact fmod the wasm kernel is within an ulp of |a|
        const want = mapBroadcast((x, y) => Math.fround(x % y), ref(a), ref(b))
        assertAllclose(got.data, want.data, { atol: mapBroadcast((x) => 2.5e-7 * Math.abs(x), ref(a), ref(b)).data })
      }),
      { numRuns: 50 }
    )
  })

  it.each(["eq", "ne", "lt", "le", "gt", "ge", "max", "min", "and", "or", "xor"] as const)("binary %s on int32 and uint32 over the full 32-bit range (exact)", (op) => {
    for (const dtype of ["int32", "uint32"] as const) {
      const values = dtype === "int32" ? fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) : fc.integer({ min: 0, max: 2 ** 32 - 1 })
      fc.assert(
        fc.property(arbPair(dtype, values), ([a, b]) => {
          assertBitsEqual(wasmImpl("binary")(op, a, b).data as never, Array.from(gpuImpl("binary")(op, a, b).data))
        }),
        { numRuns: 30 }
      )
    }
  })

  it("select and every conversion (exact)", () => {
    const DTYPES: DType[] = ["float32", "int32", "uint32", "bool"]
    fc.assert(
      fc.property(arbBroadcastableShapes(3, 4), fc.constantFrom(...DTYPES), fc.constantFrom(...DTYPES), ([s1, s2], from, to) =>
        fc.assert(
          fc.property(
            arbTensorOf("bool", s1),
            arbTensorOf(from, s2, from === "float32" ? arbValue("float32", { scale: 3e9, special: true }) : arbValue(from, { intRange: 2 ** 31 - 1 })),
            (p, x) => {
              assertBitsEqual(wasmImpl("select")(p, x, x).data as never, Array.from(gpuImpl("select")(p, x, x).data))
              assertBitsEqual(wasmImpl("convert")(x, to).data as never, Array.from(gpuImpl("convert")(x, to).data))
            }
          ),
          { numRuns: 3 }
        )
      ),
      { numRuns: 40 }
    )
  })

  it.each(["sum", "max", "min"] as ReduceOp[])("reduce %s over random axes", (op) => {
    fc.assert(
      fc.property(
        arbShape({ maxRank: 4, maxDim: 9 }).chain((s) =>
          fc.tuple(arbTensorOf("float32", s, arbValue("float32", { special: op !== "sum" })), fc.subarray(s.map((_, d) => d)))
        ),
        ([x, axes]) => {
          const want = gpuImpl("reduce")(op, x, axes)
          const got = wasmImpl("reduce")(op, x, axes)
          expect(got.shape).toEqual(want.shape)
          const n = x.data.length / Math.max(1, want.data.length)
          assertAllclose(got.data, want.data, op === "sum" ? { rtol: 1e-6 * n, atol: 4e-6 * n } : { rtol: 0, atol: 0 })
        }
      ),
      { numRuns: 120 }
    )
  })

  it("a long sum (blocked in 256s) stays within float32 rounding of the float64 sum", () => {
    const n = 100003
    const x = K.hostArray("float32", [n], Float32Array.from({ length: n }, (_, k) => Math.fround(1 + Math.sin(k))))
    let exact = 0
    for (const v of x.data) exact += v
    const got = (wasmImpl("reduce")("sum", x, [0]).data as Float32Array)[0]!
    expect(Math.abs(got - exact) / exact).toBeLessThan(2e-6)
  })
})
