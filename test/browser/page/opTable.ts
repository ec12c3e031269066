/**
 * The kernel op table for the shader paths: every op family of `src/kernels` (elementwise
 * unary/binary/select/convert, reduce, cumulative, dot_general, the movement ops, gather/scatter
 * (add, set, mul), sort permutations and take-along-axis, conv, the window ops, threefry, iota/full) against the float64 references of
 * `test/support/reference.ts`, each with a stated tolerance. Runs in the browser page (and in
 * Node for the Dawn path); no test framework, plain data.
 *
 * Tolerances are for float32 kernels against float64: elementwise arithmetic rounds once
 * (rtol 2^-23 ≈ 1.2e-7, stated as 2.5e-7); transcendentals get a few ulp (rtol 2e-6, atol 1e-6,
 * looser than the webasm parity table because GPU drivers implement exp/log/sin in a few ulp);
 * sums and contractions get atol `K·2^-23·Σ|a||b|`-style bounds (stated per case); integer,
 * movement and selection results must be exact.
 */
import * as K from "../../../src/kernels/index.js"
import type { HostArray } from "../../../src/kernels/index.js"
import * as R from "../../support/reference.js"
import { TRIG_WORST_CASES } from "../../kernels/fixtures/trigWorstCases.js"

/** One row: what it runs, its float64 expectation, and the tolerance. */
export interface OpCase {
  readonly name: string
  readonly family: string
  readonly run: () => HostArray | [HostArray, HostArray]
  readonly want: () => number[]
  readonly tol: { readonly rtol: number; readonly atol: number }
  /**
   * A known backend limit: in `mode` the op must fail with an error matching `error` (a clear
   * error, never a wrong result). If it starts passing, the check fails so the entry is removed.
   */
  readonly knownLimit?: { readonly mode: string; readonly error: RegExp; readonly why: string }
}

const seq = (n: number, f: (k: number) => number): number[] => Array.from({ length: n }, (_, k) => Math.fround(f(k)))
const f32 = (shape: number[], f: (k: number) => number): HostArray => K.hostArray("float32", shape, Float32Array.from(seq(R.size(shape), f)))
const i32 = (shape: number[], v: number[]): HostArray => K.hostArray("int32", shape, Int32Array.from(v))
const u32 = (shape: number[], v: number[]): HostArray => K.hostArray("uint32", shape, Uint32Array.from(v))
const ref = R.ref

const EXACT = { rtol: 0, atol: 0 }
const ROUND1 = { rtol: 2.5e-7, atol: 0 }
const ULPS = { rtol: 2e-6, atol: 1e-6 }
/**
 * sin/cos: tanka computes them itself (range reduction + float32 polynomials) instead of the
 * GPU built-ins, which are low precision by specification (Vulkan: 2^-11 absolute; SwiftShader's
 * WebGL2 ones were off by 1.7e-4), so the shader paths are held to a few float32 ulp.
 */
const TRIG = { rtol: 0, atol: 3e-7 }
/** tan is sin/cos from the same reduction: a few ulp relative (it grows without bound near the poles). */
const TAN = { rtol: 1e-6, atol: 3e-7 }
/**
 * sin/cos/tan of every binade up to float32's maximum and of the input of each binade closest to a
 * multiple of π/2 (Payne-Hanek above 4): a few float32 ulp relative to the result, which is as
 * small as 1e-9 there (the shader's reduction must be exact, not just close).
 */
const TRIG_WIDE = { rtol: 4e-7, atol: 1e-30 }
const TAN_WIDE = { rtol: 7e-7, atol: 1e-30 }

// Inputs: odd sizes on purpose (texture packing of non-square, non-power-of-two arrays).
const x = f32([5, 7], (k) => Math.sin(k + 1) * 2)
const y = f32([7], (k) => Math.cos(k) + 1.5)
const pos = f32([5, 7], (k) => 0.05 + k / 9)
const unit = f32([5, 7], (k) => Math.sin(3 * k) * 0.95)
const xi = i32([5, 7], seq(35, (k) => ((k * 37) % 41) - 20))
const yi = i32([7], [3, -4, 5, 7, -2, 1, 9])
const big = u32([4], [0xffffffff, 0x80000000, 0, 123456789])
const img = f32([2, 6, 5, 3], (k) => Math.sin(0.37 * k))
const ker = f32([3, 3, 3, 4], (k) => Math.cos(0.11 * k))
const idx = i32([6], [2, -1, 0, 4, 1, 2])
const window = { windowDimensions: [1, 2, 2, 1], windowStrides: [1, 2, 2, 1], padding: [[0, 0], [0, 0], [0, 1], [0, 0]] as Array<[number, number]> }
const convP = {
  windowStrides: [2, 1],
  padding: [[1, 1], [0, 1]] as Array<[number, number]>,
  lhsDilation: [1, 2],
  rhsDilation: [1, 1],
  featureGroupCount: 1,
  batchGroupCount: 1,
  dimensionNumbers: { lhs: [0, 3, 1, 2], rhs: [3, 2, 0, 1], out: [0, 3, 1, 2] }
}
const mm = { lhsContracting: [1], rhsContracting: [0], lhsBatch: [], rhsBatch: [] }
const bmm = { lhsContracting: [2], rhsContracting: [1], lhsBatch: [0], rhsBatch: [0] }
const a3 = f32([3, 4, 33], (k) => Math.sin(0.7 * k))
const b3 = f32([3, 33, 5], (k) => Math.cos(0.3 * k))

/** Per-element atol for a contraction: 4·K·2^-24·Σ|a||b| (K terms, float32 accumulation). */
const contractionTol = (absSum: number[], k: number): number => 4 * k * 2 ** -24 * Math.max(...absSum)

/** Domain of each float unary op's input. */
const UNARY_INPUT: Record<string, HostArray> = { log: pos, sqrt: pos, rsqrt: pos, log1p: pos, erf_inv: unit, asin: unit, acos: unit }

const wideTrig = K.hostArray("float32", [3, 101], Float32Array.from([
  ...seq(101, (k) => (k % 2 === 0 ? 1 : -1) * 10 ** (-6 + (44 * k) / 100)).map((v) => Math.min(Math.max(v, -3.4e38), 3.4e38)),
  ...TRIG_WORST_CASES.slice(-101).map(([v]) => v),
  ...TRIG_WORST_CASES.slice(-101).map(([v], k) => -Math.fround(v * (1 + (k % 3) * 2 ** -23)))
]))

const wideTrigCases: OpCase[] = (["sin", "cos", "tan"] as const).map((op) => ({
  name: `unary ${op} over every binade and the inputs nearest multiples of π/2`,
  family: "elementwise",
  run: () => K.unary(op, wideTrig),
  want: () => ref(wideTrig).data.map(Math[op]),
  tol: op === "tan" ? TAN_WIDE : TRIG_WIDE
}))

const unaryCases: OpCase[] = K.UNARY_OPS.filter((op) => op !== "not").map((op) => {
  const input = UNARY_INPUT[op] ?? x
  const exactOp = ["neg", "abs", "sign", "floor", "ceil", "round"].includes(op)
  return {
    name: `unary ${op}`,
    family: "elementwise",
    run: () => K.unary(op, input),
    want: () => ref(input).data.map(R.UNARY_REF[op]!),
    tol: exactOp ? EXACT : op === "erf_inv" ? { rtol: 1e-5, atol: 1e-6 } : op === "sin" || op === "cos" ? TRIG : op === "tan" ? TAN : ULPS
  }
})

const floatBinary: Array<[K.BinaryOp, (a: number, b: number) => number, { rtol: number; atol: number }]> = [
  ["add", (a, b) => a + b, ROUND1],
  ["sub", (a, b) => a - b, { rtol: 2.5e-7, atol: 1e-6 }],
  ["mul", (a, b) => a * b, ROUND1],
  ["div", (a, b) => a / b, { rtol: 5e-7, atol: 0 }],
  ["rem", R.fmod, { rtol: 0, atol: 2e-6 }],
  ["max", R.binaryRef("max", false), EXACT],
  ["min", R.binaryRef("min", false), EXACT],
  ["atan2", Math.atan2, ULPS],
  ["lt", R.binaryRef("lt", false), EXACT],
  ["eq", R.binaryRef("eq", false), EXACT]
]

const binaryCases: OpCase[] = [
  ...floatBinary.map(([op, f, tol]): OpCase => ({
    name: `binary ${op} f32[5,7]·f32[7] (broadcast)`,
    family: "elementwise",
    run: () => K.binary(op, x, y),
    want: () => R.mapBroadcast(f, ref(x), ref(y)).data,
    tol
  })),
  { name: "binary pow f32", family: "elementwise", run: () => K.binary("pow", pos, y), want: () => R.mapBroadcast(Math.pow, ref(pos), ref(y)).data, tol: ULPS },
  ...(["add", "mul", "div", "rem", "max", "ge"] as const).map((op): OpCase => ({
    name: `binary ${op} i32 (broadcast)`,
    family: "elementwise",
    run: () => K.binary(op, xi, yi),
    want: () => R.mapBroadcast(R.binaryRef(op, true), ref(xi), ref(yi)).data,
    tol: EXACT
  })),
  ...(["and", "xor", "shift_left", "shift_right_logical", "lt"] as const).map((op): OpCase => ({
    name: `binary ${op} u32 (full 32-bit range)`,
    family: "elementwise",
    run: () => K.binary(op, big, u32([], [op.startsWith("shift") ? 3 : 0x8000ffff])),
    want: () => ref(big).data.map((v) => R.binaryRef(op, true)(v, op.startsWith("shift") ? 3 : 0x8000ffff)),
    tol: EXACT
  }))
]

const otherCases: OpCase[] = [
  { name: "unary not i32", family: "elementwise", run: () => K.unary("not", i32([3], [0, 5, -1])), want: () => [-1, -6, 0], tol: EXACT },
  { name: "select", family: "elementwise", run: () => K.select(K.binary("gt", x, y), x, y), want: () => R.mapBroadcast((a, b) => (a > b ? a : b), ref(x), ref(y)).data, tol: EXACT },
  { name: "convert f32->i32 (truncate)", family: "elementwise", run: () => K.convert(K.binary("mul", x, f32([], () => 7)), "int32"), want: () => ref(x).data.map((v) => Math.trunc(Math.fround(v * 7))), tol: EXACT },
  { name: "convert i32->f32", family: "elementwise", run: () => K.convert(xi, "float32"), want: () => ref(xi).data, tol: EXACT },
  { name: "reduce sum axis 1", family: "reduce", run: () => K.reduce("sum", x, [1]), want: () => R.reduceRef("sum", ref(x), [1]).data, tol: { rtol: 1e-6, atol: 1e-6 } },
  { name: "reduce sum all", family: "reduce", run: () => K.reduce("sum", pos, [0, 1]), want: () => R.reduceRef("sum", ref(pos), [0, 1]).data, tol: { rtol: 2e-6, atol: 0 } },
  { name: "reduce max axis 0", family: "reduce", run: () => K.reduce("max", x, [0]), want: () => R.reduceRef("max", ref(x), [0]).data, tol: EXACT },
  { name: "reduce prod i32", family: "reduce", run: () => K.reduce("prod", i32([2, 3], [1, -2, 3, 4, 5, -6]), [1]), want: () => [-6, -120], tol: EXACT },
  { name: "reduce argmax axis 0", family: "reduce", run: () => K.reduce("argmax", x, [0]), want: () => R.reduceRef("argmax", ref(x), [0]).data, tol: EXACT },
  { name: "reduce argmin axis 1", family: "reduce", run: () => K.reduce("argmin", x, [1]), want: () => R.reduceRef("argmin", ref(x), [1]).data, tol: EXACT },
  {
    name: "dot_general matmul f32[5,7]·f32[7,5]",
    family: "dot_general",
    run: () => K.dotGeneral(x, K.transpose(pos, [1, 0]), mm),
    want: () => R.dotGeneralRef(ref(x), R.transposeRef(ref(pos), [1, 0]), mm).out.data,
    tol: { rtol: 0, atol: contractionTol(R.dotGeneralRef(ref(x), R.transposeRef(ref(pos), [1, 0]), mm).absSum, 7) }
  },
  {
    name: "dot_general batched f32[3,4,33]·f32[3,33,5]",
    family: "dot_general",
    run: () => K.dotGeneral(a3, b3, bmm),
    want: () => R.dotGeneralRef(ref(a3), ref(b3), bmm).out.data,
    tol: { rtol: 0, atol: contractionTol(R.dotGeneralRef(ref(a3), ref(b3), bmm).absSum, 33) }
  },
  { name: "transpose f32 [5,7]->[7,5]", family: "movement", run: () => K.transpose(x, [1, 0]), want: () => R.transposeRef(ref(x), [1, 0]).data, tol: EXACT },
  { name: "transpose u32 (hi/lo planes)", family: "movement", run: () => K.transpose(K.reshape(big, [2, 2]), [1, 0]), want: () => [0xffffffff, 0, 0x80000000, 123456789], tol: EXACT },
  { name: "broadcast_in_dim", family: "movement", run: () => K.broadcastInDim(y, [2, 7, 3], [1]), want: () => R.broadcastInDimRef(ref(y), [2, 7, 3], [1]).data, tol: EXACT },
  { name: "slice strided", family: "movement", run: () => K.slice(x, [1, 0], [5, 7], [2, 3]), want: () => R.sliceRef(ref(x), [1, 0], [5, 7], [2, 3]).data, tol: EXACT },
  { name: "pad (interior, negative edge)", family: "movement", run: () => K.pad(x, -1, [[1, -1, 1], [0, 2, 0]]), want: () => R.padRef(ref(x), -1, [[1, -1, 1], [0, 2, 0]]).data, tol: EXACT },
  { name: "concatenate axis 1", family: "movement", run: () => K.concatenate([x, pos, x], 1), want: () => R.concatenateRef([ref(x), ref(pos), ref(x)], 1).data, tol: EXACT },
  { name: "gather axis 0 (negative index)", family: "gather", run: () => K.gather(x, idx, 0), want: () => R.gatherRef(ref(x), ref(idx), 0).data, tol: EXACT },
  { name: "gather u32 axis 0", family: "gather", run: () => K.gather(big, i32([3], [3, 0, -3]), 0), want: () => [123456789, 0xffffffff, 0x80000000], tol: EXACT },
  {
    name: "scatter_add (duplicates accumulate)",
    family: "gather",
    run: () => K.scatterAdd([5, 7], idx, f32([6, 7], (k) => k / 7), 0),
    want: () => R.scatterAddRef([5, 7], ref(idx), ref(f32([6, 7], (k) => k / 7)), 0).data,
    tol: { rtol: 5e-7, atol: 1e-6 }
  },
  {
    name: "conv NHWC, stride 2, lhs dilation",
    family: "conv",
    run: () => K.conv(img, ker, convP),
    want: () => R.convRef(ref(img), ref(ker), convP).out.data,
    tol: { rtol: 0, atol: contractionTol(R.convRef(ref(img), ref(ker), convP).absSum, 27) }
  },
  { name: "reduce_window max", family: "windows", run: () => K.reduceWindow("max", img, window), want: () => R.reduceWindowRef("max", ref(img), window).data, tol: EXACT },
  { name: "reduce_window sum", family: "windows", run: () => K.reduceWindow("sum", img, window), want: () => R.reduceWindowRef("sum", ref(img), window).data, tol: { rtol: 5e-7, atol: 5e-7 } },
  {
    name: "select_and_scatter_add",
    family: "windows",
    run: () => K.selectAndScatterAdd(K.full("float32", [2, 3, 3, 3], 1), img, window),
    want: () => R.selectAndScatterAddRef(ref(K.full("float32", [2, 3, 3, 3], 1)), ref(img), window).data,
    tol: EXACT
  },
  {
    name: "select_and_gather_add",
    family: "windows",
    run: () => K.selectAndGatherAdd(img, img, window),
    want: () => R.selectAndGatherAddRef(ref(img), ref(img), window).data,
    tol: EXACT
  },
  {
    name: "threefry2x32 (uint32 planes)",
    family: "threefry",
    run: () => K.threefry2x32(big, u32([4], [7, 7, 7, 7]), big, u32([4], [1, 2, 3, 4])),
    want: () => {
      const b = ref(big).data
      return [0, 1].flatMap((j) => b.map((v, k) => R.threefryRef(v, 7, v, k + 1)[j]!))
    },
    tol: EXACT
  },
  {
    name: "cumulative sum axis 1",
    family: "cumulative",
    run: () => K.cumulative("sum", x, 1, false),
    want: () => ref(x).data.map((_, k) => ref(x).data.slice(k - (k % 7), k + 1).reduce((a, b) => a + b, 0)),
    tol: { rtol: 1e-6, atol: 1e-6 }
  },
  {
    name: "cumulative max axis 0, reverse",
    family: "cumulative",
    run: () => K.cumulative("max", x, 0, true),
    want: () => ref(x).data.map((_, k) => Math.max(...ref(x).data.filter((__, j) => j % 7 === k % 7 && j >= k))),
    tol: EXACT
  },
  {
    name: "sortPermutation f32 ascending (stable)",
    family: "sort",
    run: () => K.sortPermutation([x], 1, "ascending"),
    want: () => [0, 1, 2, 3, 4].flatMap((r) => [0, 1, 2, 3, 4, 5, 6].sort((a, b) => ref(x).data[r * 7 + a]! - ref(x).data[r * 7 + b]! || a - b)),
    tol: EXACT
  },
  {
    name: "sortPermutation + takeAlongAxis u32 descending (full 32-bit range)",
    family: "sort",
    run: () => K.takeAlongAxis(big, K.sortPermutation([big], 0, "descending"), 0),
    want: () => [0xffffffff, 0x80000000, 123456789, 0],
    tol: EXACT
  },
  {
    name: "scatter set u32 (last update wins)",
    family: "gather",
    run: () => K.scatter("set", big, i32([3], [1, 3, 1]), u32([3], [5, 6, 0xfffffffe]), 0),
    want: () => [0xffffffff, 0xfffffffe, 0, 6],
    tol: EXACT
  },
  {
    name: "scatter mul f32 (duplicates multiply)",
    family: "gather",
    run: () => K.scatter("mul", y, i32([3], [2, 2, -1]), f32([3], (k) => k + 2), 0),
    want: () => ref(y).data.map((v, k) => (k === 2 ? v * 2 * 3 : k === 6 ? v * 4 : v)),
    tol: ROUND1
  },
  { name: "iota i32 [2,3] dim 1", family: "creation", run: () => K.iota("int32", [2, 3], 1), want: () => [0, 1, 2, 0, 1, 2], tol: EXACT },
  { name: "full u32", family: "creation", run: () => K.full("uint32", [3], 0xfffffff0), want: () => [0xfffffff0, 0xfffffff0, 0xfffffff0], tol: EXACT }
]

/** The whole table: every op family. */
export const OP_TABLE: ReadonlyArray<OpCase> = [...unaryCases, ...wideTrigCases, ...binaryCases, ...otherCases]

/** Flattens an op's result (both outputs of threefry, first then second). */
export const flat = (r: HostArray | [HostArray, HostArray]): number[] => (Array.isArray(r) ? [...Array.from(r[0].data), ...Array.from(r[1].data)] : Array.from(r.data))
