/**
 * One table over every op: each available mode agrees with the float64 reference (and so with
 * every other mode) within the op's tolerance, records its own kernel class, and every op is
 * pure (inputs untouched, identical bits on a repeated call).
 */
import { afterAll, describe, expect, it } from "vitest"
import * as K from "../../src/kernels/index.js"
import type { HostArray } from "../../src/kernels/index.js"
import { assertAllclose, assertBitsEqual } from "../support/assertAllclose.js"
import * as R from "../support/reference.js"

const seq = (n: number, f: (k: number) => number): number[] => Array.from({ length: n }, (_, k) => Math.fround(f(k)))
const f32 = (shape: number[], f: (k: number) => number): HostArray => K.hostArray("float32", shape, Float32Array.from(seq(R.size(shape), f)))
const i32 = (shape: number[], v: number[]): HostArray => K.hostArray("int32", shape, Int32Array.from(v))
const u32 = (shape: number[], v: number[]): HostArray => K.hostArray("uint32", shape, Uint32Array.from(v))

const x = f32([3, 4], (k) => Math.sin(k + 1) * 2)
const y = f32([4], (k) => Math.cos(k) + 1.5)
const pos = f32([3, 4], (k) => 0.1 + k / 3)
const img = f32([2, 5, 5, 3], (k) => Math.sin(0.37 * k))
const ker = f32([3, 3, 3, 2], (k) => Math.cos(0.11 * k))
const idx = i32([5], [2, -1, 0, 2, 1])
const big = u32([4], [0xffffffff, 0x80000000, 0, 123456789])
const window = { windowDimensions: [1, 2, 2, 1], windowStrides: [1, 2, 2, 1], padding: [[0, 0], [0, 1], [0, 1], [0, 0]] as Array<[number, number]> }
const convP = { windowStrides: [2, 1], padding: [[1, 1], [0, 1]] as Array<[number, number]>, lhsDilation: [1, 2], rhsDilation: [1, 1], featureGroupCount: 1, batchGroupCount: 1, dimensionNumbers: { lhs: [0, 3, 1, 2], rhs: [3, 2, 0, 1], out: [0, 3, 1, 2] } }
const dims = { lhsContracting: [1], rhsContracting: [0], lhsBatch: [], rhsBatch: [] }
const ref = R.ref
const tol = (rtol: number, atol = 0) => ({ rtol, atol })

/** name -> [inputs (checked for mutation), run, float64 expectation, tolerance] */
const TABLE: Record<string, [HostArray[], () => HostArray | HostArray[], () => number[], { rtol?: number; atol?: number }]> = {
  exp: [[x], () => K.unary("exp", x), () => ref(x).data.map(Math.exp), tol(3e-7)],
  log: [[pos], () => K.unary("log", pos), () => ref(pos).data.map(Math.log), tol(3e-7, 1e-7)],
  tanh: [[x], () => K.unary("tanh", x), () => ref(x).data.map(Math.tanh), tol(3e-7, 1e-7)],
  logistic: [[x], () => K.unary("logistic", x), () => ref(x).data.map(R.UNARY_REF["logistic"]!), tol(6e-7)],
  erf: [[x], () => K.unary("erf", x), () => ref(x).data.map(R.erf), tol(1e-6, 1e-7)],
  round: [[x], () => K.unary("round", K.binary("mul", x, f32([], () => 3))), () => ref(x).data.map((v) => R.roundHalfAway(Math.fround(v * 3))), tol(0)],
  add_broadcast: [[x, y], () => K.binary("add", x, y), () => R.mapBroadcast((a, b) => a + b, ref(x), ref(y)).data, tol(6e-8)],
  div: [[x, y], () => K.binary("div", x, y), () => R.mapBroadcast((a, b) => a / b, ref(x), ref(y)).data, tol(6e-8)],
  pow: [[pos, y], () => K.binary("pow", pos, y), () => R.mapBroadcast(Math.pow, ref(pos), ref(y)).data, tol(3e-7)],
  rem: [[x, y], () => K.binary("rem", x, y), () => R.mapBroadcast(R.fmod, ref(x), ref(y)).data, tol(0, 1e-6)],
  lt_u32: [[big], () => K.binary("lt", big, u32([], [0x80000000])), () => [0, 0, 1, 1], tol(0)],
  shift_u32: [[big], () => K.binary("shift_right_logical", big, u32([], [3])), () => ref(big).data.map((v) => v >>> 3), tol(0)],
  select: [[x, y], () => K.select(K.binary("gt", x, y), x, y), () => R.mapBroadcast((a, b) => (a > b ? a : b), ref(x), ref(y)).data, tol(0)],
  convert: [[x], () => K.convert(x, "int32"), () => ref(x).data.map(Math.trunc), tol(0)],
  reduce_sum: [[x], () => K.reduce("sum", x, [1]), () => R.reduceRef("sum", ref(x), [1]).data, tol(1e-6, 1e-6)],
  argmax: [[x], () => K.reduce("argmax", x, [0]), () => R.reduceRef("argmax", ref(x), [0]).data, tol(0)],
  dot_general: [[x, pos], () => K.dotGeneral(x, K.transpose(pos, [1, 0]), dims), () => R.dotGeneralRef(ref(x), R.transposeRef(ref(pos), [1, 0]), dims).out.data, tol(1e-6, 1e-5)],
  transpose_u32: [[big], () => K.transpose(K.reshape(big, [2, 2]), [1, 0]), () => [0xffffffff, 0, 0x80000000, 123456789], tol(0)],
  broadcast_in_dim: [[y], () => K.broadcastInDim(y, [2, 4, 3], [1]), () => R.broadcastInDimRef(ref(y), [2, 4, 3], [1]).data, tol(0)],
  slice: [[x], () => K.slice(x, [1, 0], [3, 4], [1, 2]), () => R.sliceRef(ref(x), [1, 0], [3, 4], [1, 2]).data, tol(0)],
  pad: [[x], () => K.pad(x, -1, [[1, -1, 1], [0, 2, 0]]), () => R.padRef(ref(x), -1, [[1, -1, 1], [0, 2, 0]]).data, tol(0)],
  concatenate: [[x, pos], () => K.concatenate([x, pos], 1), () => R.concatenateRef([ref(x), ref(pos)], 1).data, tol(0)],
  gather: [[x, idx], () => K.gather(x, idx, 0), () => R.gatherRef(ref(x), ref(idx), 0).data, tol(0)],
  scatter_add: [[idx], () => K.scatterAdd([3, 4], idx, f32([5, 4], (k) => k / 7), 0), () => R.scatterAddRef([3, 4], ref(idx), ref(f32([5, 4], (k) => k / 7)), 0).data, tol(1e-6, 1e-6)],
  conv: [[img, ker], () => K.conv(img, ker, convP), () => R.convRef(ref(img), ref(ker), convP).out.data, tol(1e-5, 1e-5)],
  reduce_window: [[img], () => K.reduceWindow("max", img, window), () => R.reduceWindowRef("max", ref(img), window).data, tol(0)],
  select_and_scatter_add: [[img], () => K.selectAndScatterAdd(K.full("float32", [2, 3, 3, 3], 1), img, window), () => R.selectAndScatterAddRef(ref(K.full("float32", [2, 3, 3, 3], 1)), ref(img), window).data, tol(0)],
  threefry: [[big], () => K.threefry2x32(big, big, big, big), () => ref(big).data.flatMap((v) => R.threefryRef(v, v, v, v)), tol(0)],
  iota: [[], () => K.iota("int32", [2, 3], 1), () => [0, 1, 2, 0, 1, 2], tol(0)]
}

const flat = (r: HostArray | HostArray[]): number[] =>
  Array.isArray(r) ? r[0]!.data.length === r[1]!.data.length ? Array.from(r[0]!.data).flatMap((v, k) => [v, r[1]!.data[k]!]) : [] : Array.from(r.data)

const EXPECTED_CLASS: Record<string, string> = { webasm: "WebAssemblyKernel", cpu: "CPUKernel", webgl2: "WebGL2Kernel", webgl: "WebGLKernel", headlessgl: "HeadlessGLKernel" }

/** Rows that tanka's own WebAssembly SIMD kernels compute in `wasm-simd` (the rest run on gpu.js webasm). */
const WASM_ROWS = new Set(["exp", "log", "tanh", "logistic", "erf", "round", "add_broadcast", "div", "pow", "rem", "lt_u32", "select", "convert", "reduce_sum", "dot_general", "conv"])
const expectedClass = (mode: string, row: string): string =>
  mode === "wasm-simd" ? (WASM_ROWS.has(row) ? "WasmSimdKernel" : "WebAssemblyKernel") : EXPECTED_CLASS[mode]!

describe.each(K.availableModes())("mode %s", (mode) => {
  afterAll(() => K.setBackend("webasm"))

  it.each(Object.keys(TABLE))(`%s agrees with the float64 reference (hence with every other mode) and runs as this mode's kernel`, (name) => {
    K.setBackend(mode)
    const [, run, want, t] = TABLE[name]!
    assertAllclose(flat(run()), want(), t)
    expect(K.getBackend()).toEqual({ mode, lastKernelClass: expectedClass(mode, name) })
  })

  it.each(Object.keys(TABLE))("%s is pure: inputs unchanged and a repeated call gives identical bits", (name) => {
    K.setBackend(mode)
    const [inputs, run] = TABLE[name]!
    const before = inputs.map((a) => a.data.slice())
    const first = flat(run())
    const second = flat(run())
    assertBitsEqual(Float64Array.from(second), first)
    inputs.forEach((a, j) => assertBitsEqual(a.data, Array.from(before[j]!)))
  })
})

describe("mode parity", () => {
  afterAll(() => K.setBackend("webasm"))
  const others = K.availableModes().filter((m) => m !== "webasm")

  it.each(Object.keys(TABLE))("%s gives the same numbers in every available mode as in webasm, within the op's tolerance", (name) => {
    const [, run, , t] = TABLE[name]!
    K.setBackend("webasm")
    const base = flat(run())
    for (const mode of others) {
      K.setBackend(mode)
      assertAllclose(flat(run()), base, { rtol: 2 * (t.rtol ?? 0), atol: 2 * (t.atol ?? 0) })
    }
  })
})
