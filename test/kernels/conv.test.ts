import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { type ConvParams, type HostArray, conv, hostArray } from "../../src/kernels/index.js"
import { arbConv, arbPermutation, arbTensorOf, arbValue, dilate } from "../support/arbitraries.js"
import { assertAllclose } from "../support/assertAllclose.js"
import { type Ref, convRef, ref, size, tabulate, transposeRef } from "../support/reference.js"

const f32 = (r: Ref): HostArray => hostArray("float32", r.shape, Float32Array.from(r.data))
const checkForward = ([lhs, rhs, p]: [HostArray, HostArray, ConvParams]): void => {
  const out = conv(lhs, rhs, p)
  const { out: want, absSum } = convRef(ref(lhs), ref(rhs), p)
  expect(out.shape).toEqual(want.shape)
  const k = size(rhs.shape) / rhs.shape[p.dimensionNumbers.rhs[0]!]!
  assertAllclose(out, want.data, { atol: absSum.map((s) => (k + 1) * 2 ** -23 * s + 1e-30) })
}

describe("conv", () => {
  it("conv matches conv_general_dilated (StableHLO semantics) for any layout, strides, padding and dilations", () => {
    fc.assert(fc.property(arbConv({ groups: false, batchGroups: false }), checkForward), { numRuns: 30 })
  })

  it("conv with featureGroupCount > 1 convolves each feature group with its own filters", () => {
    fc.assert(fc.property(arbConv({ groups: true, batchGroups: false }), checkForward), { numRuns: 20 })
  })

  it("conv with batchGroupCount > 1 pairs batch groups with output-feature groups", () => {
    fc.assert(fc.property(arbConv({ groups: false, batchGroups: true }), checkForward), { numRuns: 20 })
  })

  it("an NHWC/HWIO 'SAME' conv agrees with the reference", () => {
    const x = f32(tabulate([2, 5, 5, 3], (i) => Math.sin(i[0]! + 2 * i[1]! + 3 * i[2]! + 5 * i[3]!)))
    const w = f32(tabulate([3, 3, 3, 4], (i) => Math.cos(i[0]! - i[1]! + 2 * i[2]! + 3 * i[3]!)))
    checkForward([x, w, { windowStrides: [1, 1], padding: [[1, 1], [1, 1]], lhsDilation: [1, 1], rhsDilation: [1, 1], featureGroupCount: 1, batchGroupCount: 1, dimensionNumbers: { lhs: [0, 3, 1, 2], rhs: [3, 2, 0, 1], out: [0, 3, 1, 2] } }])
  })
})

// ------------------------------------------------------------------ gradients, as JAX expresses them

const specT = (s: ReadonlyArray<number>): number[] => [s[1]!, s[0]!, ...s.slice(2)]

/** Reverses the given axes of a Ref. */
const rev = (x: Ref, axes: ReadonlyArray<number>): Ref => tabulate(x.shape, (i) => x.data[i.reduce((acc, v, d) => acc * x.shape[d]! + (axes.includes(d) ? x.shape[d]! - 1 - v : v), 0)]!)

/** jax.lax._reshape_axis_out_of: split axis `src` into (size1, rest). */
const reshapeAxisOutOf = (src: number, size1: number, x: Ref): Ref => ({ shape: [...x.shape.slice(0, src), size1, x.shape[src]! / size1, ...x.shape.slice(src + 1)], data: x.data })

/** jax.lax._reshape_axis_into: move axis `src` next to `dst` (major) and merge them. */
const reshapeAxisInto = (src: number, dst: number, x: Ref): Ref => {
  const perm = x.shape.map((_, d) => d).filter((d) => d !== src)
  perm.splice(dst, 0, src)
  const t = transposeRef(x, perm)
  const shape = x.shape.filter((_, d) => d !== src)
  shape[dst] = shape[dst]! * x.shape[src]!
  return { shape, data: t.data }
}

/** JAX's _conv_general_dilated_transpose_lhs (batchGroupCount 1): the conv computing d<out, ct>/dlhs. */
const transposeLhs = (ct: Ref, lhsShape: ReadonlyArray<number>, rhs: Ref, p: ConvParams): [Ref, ConvParams] => {
  const { lhs: ls, rhs: rs, out: os } = p.dimensionNumbers
  const sd = (spec: ReadonlyArray<number>, shape: ReadonlyArray<number>) => spec.slice(2).map((d) => shape[d]!)
  let r = rhs
  if (p.featureGroupCount > 1) r = reshapeAxisInto(rs[0]!, rs[1]!, reshapeAxisOutOf(rs[0]!, p.featureGroupCount, r))
  const lhsD = sd(ls, lhsShape).map((n, j) => dilate(n, p.lhsDilation[j]!))
  const rhsD = sd(rs, r.shape).map((n, j) => dilate(n, p.rhsDilation[j]!))
  const outD = sd(os, ct.shape).map((n, j) => dilate(n, p.windowStrides[j]!))
  const before = rhsD.map((n, j) => n - p.padding[j]![0] - 1)
  const padding = before.map((b, j) => [b, lhsD[j]! + rhsD[j]! - 1 - outD[j]! - b] as [number, number])
  return [
    rev(r, rs.slice(2)),
    {
      windowStrides: p.lhsDilation,
      padding,
      lhsDilation: p.windowStrides,
      rhsDilation: p.rhsDilation,
      featureGroupCount: p.featureGroupCount,
      batchGroupCount: 1,
      dimensionNumbers: { lhs: os, rhs: specT(rs), out: ls }
    }
  ]
}

/** JAX's _conv_general_dilated_transpose_rhs: the conv computing d<out, ct>/drhs. */
const transposeRhs = (lhs: Ref, ct: Ref, rhsShape: ReadonlyArray<number>, p: ConvParams): ConvParams => {
  const { lhs: ls, rhs: rs, out: os } = p.dimensionNumbers
  const sd = (spec: ReadonlyArray<number>, shape: ReadonlyArray<number>) => spec.slice(2).map((d) => shape[d]!)
  const lhsD = sd(ls, lhs.shape).map((n, j) => dilate(n, p.lhsDilation[j]!))
  const rhsD = sd(rs, rhsShape).map((n, j) => dilate(n, p.rhsDilation[j]!))
  const outD = sd(os, ct.shape).map((n, j) => dilate(n, p.windowStrides[j]!))
  const padding = p.padding.map(([lo], j) => [lo, outD[j]! - lhsD[j]! + rhsD[j]! - lo - 1] as [number, number])
  return {
    windowStrides: p.rhsDilation,
    padding,
    lhsDilation: p.lhsDilation,
    rhsDilation: p.windowStrides,
    featureGroupCount: p.batchGroupCount,
    batchGroupCount: p.featureGroupCount,
    dimensionNumbers: { lhs: specT(ls), rhs: specT(os), out: specT(rs) }
  }
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => Array.from(a).reduce((s, v, k) => s + v * b[k]!, 0)
const absDot = (a: ArrayLike<number>, b: ArrayLike<number>): number => Array.from(a).reduce((s, v, k) => s + Math.abs(v * b[k]!), 0)

describe("conv gradients", () => {
  it("the input- and filter-gradient convs (JAX's transpose rules) satisfy <conv(x,w), ct> = <x, dx> = <w, dw>, and the kernel computes them", () => {
    fc.assert(
      fc.property(arbConv({ groups: true, batchGroups: false }), fc.integer(), ([x, w, p], seed) => {
        const y = convRef(ref(x), ref(w), p).out
        fc.pre(y.data.length > 0)
        const ct: Ref = { shape: y.shape, data: y.data.map((_, k) => Math.fround(Math.sin(seed + 3 * k))) }
        const [wT, pl] = transposeLhs(ct, x.shape, ref(w), p)
        const pr = transposeRhs(ref(x), ct, w.shape, p)
        const dx = conv(f32(ct), f32(wT), pl)
        const dw = conv(x, f32(ct), pr)
        expect(dx.shape).toEqual([...x.shape])
        expect(dw.shape).toEqual([...w.shape])
        // the kernel agrees with the reference on the gradient-style parameters
        assertAllclose(dx, convRef(ct, wT, pl).out.data, { atol: 1e-4 })
        assertAllclose(dw, convRef(ref(x), ct, pr).out.data, { atol: 1e-4 })
        // and those parameters are the true adjoints (dot-product test)
        const lhsSide = dot(y.data, ct.data)
        const scale = absDot(y.data, ct.data) + 1
        expect(Math.abs(lhsSide - dot(x.data, dx.data))).toBeLessThanOrEqual(1e-4 * scale)
        expect(Math.abs(lhsSide - dot(w.data, dw.data))).toBeLessThanOrEqual(1e-4 * scale)
      }),
      { numRuns: 25 }
    )
  })
})
