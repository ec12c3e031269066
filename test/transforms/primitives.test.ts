/**
 * Laws checked for every primitive, from one table: shape rule = impl, JVP = central finite
 * differences on a float64 reference, VJP = transpose of JVP, vmap = stacking, jit = eager.
 */
import { describe, expect, it } from "vitest"
import { jax, jnp, type Tensor } from "../../src/index.js"
import * as lax from "../../src/transforms/core/lax.js"
import { P } from "../../src/transforms/core/primitives/index.js"
import { expectClose, f64, randn, vdot } from "../support/values.js"

type F64Fn = (...xs: Float64Array[]) => Float64Array
interface Entry {
  /** builds the arguments (float32 unless stated) */
  readonly args: () => Tensor[]
  readonly f: (...xs: Tensor[]) => Tensor
  /** float64 reference of f over flat inputs; omitted for primitives linear in their inputs */
  readonly ref?: F64Fn
  /** which args are differentiated (default: all float32 args) */
  readonly diff?: number[]
  readonly tol?: number
  readonly noGrad?: boolean
}

const map1 = (g: (a: number) => number): F64Fn => (x) => x.map(g)
const map2 = (g: (a: number, b: number) => number): F64Fn => (x, y) => x.map((a, i) => g(a, y![i]!))
const pos = (seed: number, shape: number[]) => jnp.add(jnp.abs(randn(seed, shape)), 0.5)
const erf64 = (x: number): number => {
  // Abramowitz-Stegun 7.1.26 is too coarse for FD; use a series / continued fraction in float64
  const t = Math.abs(x)
  if (t < 3) {
    let sum = t
    let term = t
    for (let n = 1; n < 80; n++) {
      term *= (-t * t) / n
      sum += term / (2 * n + 1)
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum
  }
  return Math.sign(x)
}
const erfinv64 = (y: number): number => {
  let x = 0
  for (let i = 0; i < 60; i++) x -= (erf64(x) - y) / ((2 / Math.sqrt(Math.PI)) * Math.exp(-x * x))
  return x
}

/** Inclusive scan of each row of a [rows, cols] float64 array (from the end when `reverse`). */
const scanRows = (x: Float64Array, rows: number, cols: number, f: (a: number, b: number) => number, reverse = false): Float64Array => {
  const out = new Float64Array(rows * cols)
  for (let r = 0; r < rows; r++) {
    for (let t = 0; t < cols; t++) {
      const c = reverse ? cols - 1 - t : t
      out[r * cols + c] = t === 0 ? x[r * cols + c]! : f(out[r * cols + (reverse ? c + 1 : c - 1)]!, x[r * cols + c]!)
    }
  }
  return out
}
/** Inclusive scan down each column of a [rows, cols] float64 array. */
const scanCols = (x: Float64Array, rows: number, cols: number, f: (a: number, b: number) => number): Float64Array => {
  const out = new Float64Array(rows * cols)
  for (let c = 0; c < cols; c++) for (let r = 0; r < rows; r++) out[r * cols + c] = r === 0 ? x[c]! : f(out[(r - 1) * cols + c]!, x[r * cols + c]!)
  return out
}

const table: Record<string, Entry | { coveredBy: string }> = {
  neg: { args: () => [randn(1, [2, 3])], f: lax.neg },
  exp: { args: () => [randn(2, [4])], f: lax.exp, ref: map1(Math.exp) },
  log: { args: () => [pos(3, [4])], f: lax.log, ref: map1(Math.log) },
  log1p: { args: () => [pos(4, [4])], f: lax.log1p, ref: map1(Math.log1p) },
  expm1: { args: () => [randn(5, [4])], f: lax.expm1, ref: map1(Math.expm1) },
  tanh: { args: () => [randn(6, [4])], f: lax.tanh, ref: map1(Math.tanh) },
  logistic: { args: () => [randn(7, [4])], f: lax.logistic, ref: map1((a) => 1 / (1 + Math.exp(-a))) },
  sqrt: { args: () => [pos(8, [4])], f: lax.sqrt, ref: map1(Math.sqrt) },
  rsqrt: { args: () => [pos(9, [4])], f: lax.rsqrt, ref: map1((a) => 1 / Math.sqrt(a)) },
  abs: { args: () => [pos(10, [4])], f: lax.abs, ref: map1(Math.abs) },
  sign: { args: () => [randn(11, [4])], f: lax.sign, ref: map1(Math.sign) },
  sin: { args: () => [randn(12, [4])], f: lax.sin, ref: map1(Math.sin) },
  cos: { args: () => [randn(13, [4])], f: lax.cos, ref: map1(Math.cos) },
  floor: { args: () => [randn(14, [4], 3)], f: lax.floor, ref: map1(Math.floor) },
  ceil: { args: () => [randn(15, [4], 3)], f: lax.ceil, ref: map1(Math.ceil) },
  round: { args: () => [randn(16, [4], 3)], f: lax.round, ref: map1((a) => Math.sign(a) * Math.round(Math.abs(a))) },
  erf: { args: () => [randn(17, [4])], f: lax.erf, ref: map1(erf64), tol: 2e-3 },
  erf_inv: { args: () => [randn(18, [4], 0.8)], f: lax.erfInv, ref: map1(erfinv64), tol: 2e-3 },
  not: { args: () => [jnp.array([true, false, true])], f: lax.not, noGrad: true },
  add: { args: () => [randn(20, [2, 3]), randn(21, [3])], f: lax.add },
  sub: { args: () => [randn(22, [2, 3]), randn(23, [2, 1])], f: lax.sub },
  mul: { args: () => [randn(24, [2, 3]), randn(25, [3])], f: lax.mul, ref: (x, y) => x.map((a, i) => a * y![i % 3]!) },
  div: { args: () => [randn(26, [4]), pos(27, [4])], f: lax.div, ref: map2((a, b) => a / b) },
  rem: { args: () => [randn(28, [4], 5), pos(29, [4])], f: lax.rem, ref: map2((a, b) => a % b), tol: 5e-2 },
  pow: { args: () => [pos(30, [4]), randn(31, [4])], f: lax.pow, ref: map2(Math.pow) },
  max: { args: () => [randn(32, [5]), randn(33, [5])], f: lax.max, ref: map2(Math.max) },
  min: { args: () => [randn(34, [5]), randn(35, [5])], f: lax.min, ref: map2(Math.min) },
  atan2: { args: () => [randn(36, [4]), pos(37, [4])], f: lax.atan2, ref: map2(Math.atan2) },
  and: { args: () => [jnp.array([1, 6, 7], { dtype: "int32" }), jnp.array([3, 3, 2], { dtype: "int32" })], f: lax.and, noGrad: true },
  or: { args: () => [jnp.array([1, 6, 7], { dtype: "int32" }), jnp.array([3, 3, 2], { dtype: "int32" })], f: lax.or, noGrad: true },
  xor: { args: () => [jnp.array([1, 6, 7], { dtype: "int32" }), jnp.array([3, 3, 2], { dtype: "int32" })], f: lax.xor, noGrad: true },
  shift_left: { args: () => [jnp.array([1, 6, 7], { dtype: "int32" }), jnp.array([3, 3, 2], { dtype: "int32" })], f: lax.shiftLeft, noGrad: true },
  shift_right_logical: { args: () => [jnp.array([17, 64, 7], { dtype: "uint32" }), jnp.array([3, 3, 2], { dtype: "uint32" })], f: lax.shiftRightLogical, noGrad: true },
  eq: { args: () => [randn(40, [4]), randn(40, [4])], f: lax.eq, noGrad: true },
  ne: { args: () => [randn(41, [4]), randn(42, [4])], f: lax.ne, noGrad: true },
  lt: { args: () => [randn(43, [4]), randn(44, [4])], f: lax.lt, noGrad: true },
  le: { args: () => [randn(45, [4]), randn(46, [4])], f: lax.le, noGrad: true },
  gt: { args: () => [randn(47, [4]), randn(48, [4])], f: lax.gt, noGrad: true },
  ge: { args: () => [randn(49, [4]), randn(50, [4])], f: lax.ge, noGrad: true },
  select_n: { args: () => [jnp.greater(randn(51, [4]), 0), randn(52, [4]), randn(53, [4])], f: lax.selectN, diff: [1, 2] },
  convert_element_type: { args: () => [randn(54, [4], 4)], f: (x) => lax.convertElementType(lax.convertElementType(x, "int32"), "float32"), ref: map1(Math.trunc) },
  stop_gradient: { args: () => [randn(55, [4])], f: lax.stopGradient, ref: (x) => x.map(() => 0), noGrad: true },
  iota: { args: () => [randn(56, [3])], f: (x) => lax.add(x, lax.convertElementType(lax.iota("int32", [3], 0), "float32")) },
  reduce_sum: { args: () => [randn(57, [2, 3, 4])], f: (x) => lax.reduceSum(x, [0, 2]) },
  reduce_max: { args: () => [randn(58, [3, 4])], f: (x) => lax.reduceMax(x, [1]), ref: (x) => Float64Array.from([0, 1, 2], (r) => Math.max(...x.slice(r * 4, r * 4 + 4))) },
  reduce_min: { args: () => [randn(59, [3, 4])], f: (x) => lax.reduceMin(x, [1]), ref: (x) => Float64Array.from([0, 1, 2], (r) => Math.min(...x.slice(r * 4, r * 4 + 4))) },
  reduce_prod: { args: () => [randn(60, [2, 3])], f: (x) => lax.reduceProd(x, [1]), ref: (x) => Float64Array.from([0, 1], (r) => x[r * 3]! * x[r * 3 + 1]! * x[r * 3 + 2]!) },
  argmax: { args: () => [randn(61, [3, 4])], f: (x) => lax.argmax(x, 1), noGrad: true },
  argmin: { args: () => [randn(62, [3, 4])], f: (x) => lax.argmin(x, 1), noGrad: true },
  dot_general: {
    args: () => [randn(63, [2, 3, 4]), randn(64, [2, 4, 5])],
    f: (x, y) => lax.dotGeneral(x, y, { lhsContracting: [2], rhsContracting: [1], lhsBatch: [0], rhsBatch: [0] }),
    ref: (x, y) => {
      const out = new Float64Array(2 * 3 * 5)
      for (let b = 0; b < 2; b++) for (let i = 0; i < 3; i++) for (let j = 0; j < 5; j++) {
        let s = 0
        for (let k = 0; k < 4; k++) s += x[b * 12 + i * 4 + k]! * y![b * 20 + k * 5 + j]!
        out[b * 15 + i * 5 + j] = s
      }
      return out
    }
  },
  transpose: { args: () => [randn(65, [2, 3, 4])], f: (x) => lax.transpose(x, [2, 0, 1]) },
  broadcast_in_dim: { args: () => [randn(66, [3, 1])], f: (x) => lax.broadcastInDim(x, [2, 3, 4], [1, 2]) },
  reshape: { args: () => [randn(67, [2, 6])], f: (x) => lax.reshape(x, [3, 4]) },
  slice: { args: () => [randn(68, [5, 6])], f: (x) => lax.slice(x, [1, 0], [5, 6], [2, 3]) },
  pad: { args: () => [randn(69, [3, 4])], f: (x) => lax.pad(x, lax.scalar(0, "float32"), [[1, -1, 1], [0, 2, 0]]) },
  concatenate: { args: () => [randn(70, [2, 3]), randn(71, [2, 2])], f: (x, y) => lax.concatenate([x, y], 1) },
  gather: { args: () => [randn(72, [4, 3])], f: (x) => lax.gather(x, jnp.array([[3, 0], [1, 3]], { dtype: "int32" }), 0) },
  scatter_add: { args: () => [randn(73, [4, 3]), randn(74, [2, 3])], f: (op, u) => lax.scatterAdd(op, jnp.array([2, 2], { dtype: "int32" }), u, 0) },
  threefry2x32: { coveredBy: "test/transforms/random.test.ts (known-answer vectors, vmap of split)" },
  scan: { coveredBy: "test/transforms/control.test.ts" },
  cond: { coveredBy: "test/transforms/control.test.ts" },
  remat: { coveredBy: "test/transforms/control.test.ts" },
  while: { coveredBy: "test/transforms/control.test.ts" },
  conv_general_dilated: {
    args: () => [randn(75, [2, 5, 5, 4]), randn(76, [3, 3, 2, 6])],
    f: (x, w) => lax.convGeneralDilated(x, w, { windowStrides: [2, 1], padding: [[1, 1], [0, 1]], lhsDilation: [1, 1], rhsDilation: [1, 2], featureGroupCount: 2, batchGroupCount: 1, dimensionNumbers: { lhs: [0, 3, 1, 2], rhs: [3, 2, 0, 1], out: [0, 3, 1, 2] } }),
    tol: 2e-3
  },
  reduce_window_sum: { args: () => [randn(77, [1, 5, 5, 2])], f: (x) => lax.reduceWindowSum(x, { windowDimensions: [1, 3, 3, 1], windowStrides: [1, 2, 2, 1], padding: [[0, 0], [1, 1], [1, 1], [0, 0]] }) },
  reduce_window_max: {
    args: () => [randn(78, [1, 4, 4, 1])],
    f: (x) => lax.reduceWindowMax(x, { windowDimensions: [1, 2, 2, 1], windowStrides: [1, 2, 2, 1], padding: [[0, 0], [0, 0], [0, 0], [0, 0]] }),
    ref: (x) => Float64Array.from([0, 1, 2, 3], (o) => {
      const r = Math.floor(o / 2) * 2
      const c = (o % 2) * 2
      return Math.max(x[r * 4 + c]!, x[r * 4 + c + 1]!, x[(r + 1) * 4 + c]!, x[(r + 1) * 4 + c + 1]!)
    })
  },
  select_and_gather_add: { coveredBy: "the reduce_window_max entry (its JVP) in this table" },
  select_and_scatter_add: { coveredBy: "the reduce_window_max entry (its VJP) in this table" },
  tan: { args: () => [randn(80, [4])], f: lax.tan, ref: map1(Math.tan) },
  asin: { args: () => [randn(81, [4], 0.9)], f: lax.asin, ref: map1(Math.asin) },
  acos: { args: () => [randn(82, [4], 0.9)], f: lax.acos, ref: map1(Math.acos) },
  atan: { args: () => [randn(83, [4], 3)], f: lax.atan, ref: map1(Math.atan) },
  sinh: { args: () => [randn(84, [4], 2)], f: lax.sinh, ref: map1(Math.sinh) },
  cosh: { args: () => [randn(85, [4], 2)], f: lax.cosh, ref: map1(Math.cosh) },
  cumsum: { args: () => [randn(86, [2, 4])], f: (x) => lax.cumsum(x, 1, true) },
  cumprod: { args: () => [randn(87, [2, 4], 2)], f: (x) => lax.cumprod(x, 1), ref: (x) => scanRows(x, 2, 4, (a, b) => a * b) },
  cummax: { args: () => [randn(88, [3, 4])], f: (x) => lax.cummax(x, 0), ref: (x) => scanCols(x, 3, 4, Math.max) },
  cummin: { args: () => [randn(89, [2, 5])], f: (x) => lax.cummin(x, 1, true), ref: (x) => scanRows(x, 2, 5, Math.min, true) },
  sort: {
    args: () => [randn(90, [2, 5]), randn(91, [2, 5])],
    // sorted keys, then the values permuted alike
    f: (x, y) => lax.concatenate(lax.sort([x, y], 1), 0),
    ref: (x, y) => {
      const out = new Float64Array(20)
      for (let r = 0; r < 2; r++) {
        const order = [0, 1, 2, 3, 4].sort((a, b) => x[r * 5 + a]! - x[r * 5 + b]! || a - b)
        order.forEach((j, p) => {
          out[r * 5 + p] = x[r * 5 + j]!
          out[10 + r * 5 + p] = y![r * 5 + j]!
        })
      }
      return out
    }
  },
  top_k: {
    args: () => [randn(92, [3, 4])],
    f: (x) => lax.topK(x, 2, 1)[0],
    ref: (x) => Float64Array.from({ length: 6 }, (_, o) => [...x.slice(Math.floor(o / 2) * 4, Math.floor(o / 2) * 4 + 4)].sort((a, b) => b - a)[o % 2]!)
  },
  scatter: {
    args: () => [randn(93, [4, 3]), randn(94, [3, 3])],
    f: (op, u) => lax.scatter(op, jnp.array([2, 0, 2], { dtype: "int32" }), u, 0)
  },
  scatter_mul: {
    args: () => [randn(95, [4, 3]), randn(96, [2, 3])],
    f: (op, u) => lax.scatterMul(op, jnp.array([3, 1], { dtype: "int32" }), u, 0, true)
  }
}

const entries = Object.entries(table).filter((e): e is [string, Entry] => "args" in e[1])

describe("the primitive table", () => {
  it("covers every registered primitive", () => {
    expect(Object.keys(table).sort()).toEqual(Object.keys(P).sort())
  })
})

const isFloat = (t: Tensor) => t.dtype === "float32"

describe.each(entries)("%s", (_name, e) => {
  const args = e.args()
  const diff = e.diff ?? args.flatMap((a, i) => (isFloat(a) ? [i] : []))

  it("shape rule = shape of the impl's result", () => {
    const out = e.f(...args)
    expect(jax.evalShape(e.f, ...args)).toEqual({ shape: [...out.shape], dtype: out.dtype })
  })

  it("jit(f) = f", () => {
    expectClose(jax.jit(e.f)(...args), e.f(...args), { atol: 1e-6 })
  })

  it("vmap(f)(xs) = stacking f over the slices", () => {
    const batch = [0, 1, 2].map((k) => args.map((a, i) => (isFloat(a) ? jnp.add(a, 0.01 * (k + 1) * (i + 1)) : a)))
    const stacked = args.map((_, i) => jnp.stack(batch.map((b) => b[i]!)))
    const got = jax.vmap(e.f)(...stacked)
    expectClose(got, jnp.stack(batch.map((b) => e.f(...b))), { atol: 1e-5 })
  })

  if (e.noGrad) return

  it("JVP = central finite differences of the float64 reference", () => {
    const tangents = args.map((a, i) => (diff.includes(i) ? randn(100 + i, [...a.shape]) : jnp.zerosLike(a)))
    const [, jt] = jax.jvp(e.f, args, tangents) as [Tensor, Tensor]
    if (e.ref) {
      const h = 1e-6
      const plus = e.ref(...args.map((a, i) => f64(a).map((v, k) => v + (diff.includes(i) ? h * f64(tangents[i]!)[k]! : 0))))
      const minus = e.ref(...args.map((a, i) => f64(a).map((v, k) => v - (diff.includes(i) ? h * f64(tangents[i]!)[k]! : 0))))
      const fd = plus.map((p, k) => (p - minus[k]!) / (2 * h))
      expectClose(jt, fd, { atol: e.tol ?? 1e-3, rtol: e.tol ?? 1e-3 })
    } else {
      // linear or bilinear in its inputs: the central difference with h = 1 is exactly J t
      const plus = args.map((a, i) => (diff.includes(i) ? jnp.add(a, tangents[i]!) : a))
      const minus = args.map((a, i) => (diff.includes(i) ? jnp.subtract(a, tangents[i]!) : a))
      expectClose(jt, jnp.divide(jnp.subtract(e.f(...plus), e.f(...minus)), 2), { atol: e.tol ?? 1e-4 })
    }
  })

  it("VJP is the transpose of JVP: <ct, J t> = <J^T ct, t>", () => {
    const tangents = args.map((a, i) => (diff.includes(i) ? randn(200 + i, [...a.shape]) : jnp.zerosLike(a)))
    const [out, jt] = jax.jvp(e.f, args, tangents) as [Tensor, Tensor]
    const ct = randn(300, [...out.shape])
    const g = (...d: Tensor[]) => e.f(...args.map((a, i) => (diff.includes(i) ? d[diff.indexOf(i)]! : a)))
    const [, back] = jax.vjp(g, ...diff.map((i) => args[i]!))
    const cts = back(ct) as Tensor[]
    const lhs = vdot(ct, jt)
    const rhs = diff.reduce((s, i, k) => s + vdot(cts[k]!, tangents[i]!), 0)
    expect(Math.abs(lhs - rhs)).toBeLessThan(1e-3 * (1 + Math.abs(lhs)))
  })
})
