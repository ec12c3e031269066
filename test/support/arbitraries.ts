/** fast-check arbitraries for kernel tests: shapes, tensors, broadcastable pairs. */
import fc from "fast-check"
import { type ConvParams, type DType, type HostArray, allocStorage, hostArray, sizeOf } from "../../src/kernels/index.js"

/** A shape of rank in [minRank, maxRank] with dims in [minDim, maxDim]. */
export const arbShape = (opts: { minRank?: number; maxRank?: number; minDim?: number; maxDim?: number } = {}): fc.Arbitrary<number[]> =>
  fc.array(fc.integer({ min: opts.minDim ?? 1, max: opts.maxDim ?? 5 }), { minLength: opts.minRank ?? 0, maxLength: opts.maxRank ?? 4 })

/** Values for a dtype: floats in ±`scale` (float32-rounded), ints in ±`intRange`, bools 0/1. */
export const arbValue = (dtype: DType, opts: { scale?: number; intRange?: number; special?: boolean } = {}): fc.Arbitrary<number> => {
  switch (dtype) {
    case "float32": {
      const base = fc.double({ min: -(opts.scale ?? 4), max: opts.scale ?? 4, noNaN: true }).map(Math.fround)
      return opts.special ? fc.oneof({ weight: 8, arbitrary: base }, { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, -0, 0) }) : base
    }
    case "int32":
      return fc.integer({ min: -(opts.intRange ?? 1000), max: opts.intRange ?? 1000 })
    case "uint32":
      return fc.integer({ min: 0, max: opts.intRange ?? 1000 })
    case "bool":
      return fc.integer({ min: 0, max: 1 })
  }
}

/** Any 32-bit pattern for int32/uint32 (full range, including -2^31 and 0xffffffff). */
export const arbInt32Full = (dtype: "int32" | "uint32"): fc.Arbitrary<number> =>
  fc.oneof(
    fc.constantFrom(...(dtype === "int32" ? [-2147483648, 2147483647, -1, 0, 16777217, -16777217] : [0xffffffff, 0x80000000, 0, 1, 16777217])),
    dtype === "int32" ? fc.integer({ min: -2147483648, max: 2147483647 }) : fc.integer({ min: 0, max: 4294967295 })
  )

/** A HostArray of `shape` with values from `values`. */
export const arbTensorOf = (dtype: DType, shape: ReadonlyArray<number>, values: fc.Arbitrary<number> = arbValue(dtype)): fc.Arbitrary<HostArray> =>
  fc.array(values, { minLength: sizeOf(shape), maxLength: sizeOf(shape) }).map((vs) => {
    const data = allocStorage(dtype, vs.length)
    vs.forEach((v, k) => (data[k] = v))
    return hostArray(dtype, shape, data)
  })

/** A HostArray of a random shape. */
export const arbTensor = (dtype: DType, shapeOpts?: Parameters<typeof arbShape>[0], values?: fc.Arbitrary<number>): fc.Arbitrary<HostArray> =>
  arbShape(shapeOpts).chain((s) => arbTensorOf(dtype, s, values))

/** Two shapes that broadcast together (numpy rules): dims dropped or set to 1 on either side. */
export const arbBroadcastableShapes = (maxRank = 4, maxDim = 4): fc.Arbitrary<[number[], number[]]> =>
  arbShape({ maxRank, maxDim }).chain((out) =>
    fc
      .tuple(
        fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
        fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
        fc.integer({ min: 0, max: out.length }),
        fc.integer({ min: 0, max: out.length })
      )
      .map(([ones1, ones2, drop1, drop2]) => [
        out.map((n, d) => (ones1[d] ? 1 : n)).slice(drop1),
        out.map((n, d) => (ones2[d] ? 1 : n)).slice(drop2)
      ] as [number[], number[]])
  )

/** A pair of tensors with broadcastable shapes and one dtype. */
export const arbBroadcastablePair = (dtype: DType, values?: fc.Arbitrary<number>): fc.Arbitrary<[HostArray, HostArray]> =>
  arbBroadcastableShapes().chain(([s1, s2]) => fc.tuple(arbTensorOf(dtype, s1, values), arbTensorOf(dtype, s2, values)))

/** A permutation of 0..n-1. */
export const arbPermutation = (n: number): fc.Arbitrary<number[]> =>
  fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: n, maxLength: n }).map((keys) =>
    keys.map((k, j) => [k, j] as const).sort((a, b) => a[0] - b[0]).map(([, j]) => j)
  )

/** A non-empty sorted subset of 0..n-1 (or possibly empty when `allowEmpty`). */
export const arbAxes = (n: number, allowEmpty = true): fc.Arbitrary<number[]> =>
  fc.subarray(Array.from({ length: n }, (_, d) => d), { minLength: allowEmpty ? 0 : Math.min(1, n) })

export const dilate = (n: number, d: number): number => (n === 0 ? 0 : (n - 1) * d + 1)

/** A random conv problem in logical [N, C, spatial...] / [O, I, spatial...] form, laid out by random dimension numbers. */
export const arbConv = (opts: { groups: boolean; batchGroups: boolean }) =>
  fc
    .record({
      ns: fc.integer({ min: 1, max: 2 }),
      g: opts.groups ? fc.integer({ min: 1, max: 3 }) : fc.constant(1),
      b: opts.batchGroups ? fc.integer({ min: 1, max: 3 }) : fc.constant(1),
      n: fc.integer({ min: 1, max: 2 }),
      i: fc.integer({ min: 1, max: 3 }),
      oPer: fc.integer({ min: 1, max: 2 })
    })
    .chain(({ ns, g, b, n, i, oPer }) => {
      const gg = b > 1 ? 1 : g
      const spatial = fc.tuple(
        ...Array.from({ length: ns }, () =>
          fc.record({
            x: fc.integer({ min: 1, max: 6 }),
            k: fc.integer({ min: 1, max: 3 }),
            stride: fc.integer({ min: 1, max: 3 }),
            lo: fc.integer({ min: -1, max: 2 }),
            hi: fc.integer({ min: -1, max: 2 }),
            ld: fc.integer({ min: 1, max: 2 }),
            rd: fc.integer({ min: 1, max: 2 })
          })
        )
      )
      return fc.tuple(fc.constant({ ns, g: gg, b, n: n * b, i, o: oPer * gg * b }), spatial, arbPermutation(ns + 2), arbPermutation(ns + 2), arbPermutation(ns + 2))
    })
    .filter(([c, sp]) => sp.every((s) => dilate(s.x, s.ld) + s.lo + s.hi >= dilate(s.k, s.rd)) && c.n > 0)
    .chain(([c, sp, lp, rp, op]) => {
      const lhsShape = new Array<number>(c.ns + 2)
      const rhsShape = new Array<number>(c.ns + 2)
      ;[c.n, c.i * c.g, ...sp.map((s) => s.x)].forEach((v, k) => (lhsShape[lp[k]!] = v))
      ;[c.o, c.i, ...sp.map((s) => s.k)].forEach((v, k) => (rhsShape[rp[k]!] = v))
      const p: ConvParams = {
        windowStrides: sp.map((s) => s.stride),
        padding: sp.map((s) => [s.lo, s.hi] as [number, number]),
        lhsDilation: sp.map((s) => s.ld),
        rhsDilation: sp.map((s) => s.rd),
        featureGroupCount: c.g,
        batchGroupCount: c.b,
        dimensionNumbers: { lhs: lp, rhs: rp, out: op }
      }
      return fc.tuple(arbTensorOf("float32", lhsShape, arbValue("float32")), arbTensorOf("float32", rhsShape, arbValue("float32")), fc.constant(p))
    })

