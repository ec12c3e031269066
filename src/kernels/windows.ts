/**
 * The window family: `reduce_window` (max/sum pooling), `select_and_scatter_add` (max-pool
 * backward) and `select_and_gather_add` (max-pool JVP). Selection follows XLA's `ge` select:
 * the first maximum of a window (row-major order) wins; padding cells count as -inf.
 */
import { launch, launchDevice } from "./backend.js"
import { isNaNExpr, kernelSource, lit, notNaN, unravel } from "./codegen.js"
import { type DType, allocStorage, sizeOf, stridesOf } from "./dtype.js"
import { EXACT_INT_LIMIT, integerRangeError, shapeError } from "./errors.js"
import { type HostArray, result } from "./HostArray.js"
import { checkArray, checkDtype, checkInts, checkSizes, types } from "./shape.js"
import { checkIntInputs, kernelInput, maxAbs, resultOf, values } from "./transfer.js"
import { stridedBound } from "./conv.js"

/** Window parameters of reduce_window and the max-pool gradients (one entry per operand dim). */
export interface WindowParams {
  readonly windowDimensions: ReadonlyArray<number>
  readonly windowStrides: ReadonlyArray<number>
  readonly padding: ReadonlyArray<readonly [number, number]>
}

/** Output shape of a windowed reduction of `shape`. */
export const windowShape = (shape: ReadonlyArray<number>, p: WindowParams): number[] =>
  shape.map((n, d) => stridedBound(n + p.padding[d]![0] + p.padding[d]![1], p.windowDimensions[d]!, p.windowStrides[d]!))

const validateParams = (op: string, shape: ReadonlyArray<number>, p: WindowParams, all: HostArray[]): number[] => {
  const r = shape.length
  checkInts(op, "windowDimensions", p?.windowDimensions, r, all, 1)
  checkInts(op, "windowStrides", p.windowStrides, r, all, 1)
  if (!Array.isArray(p.padding) || p.padding.length !== r || !p.padding.every((q) => Array.isArray(q) && q.length === 2 && q.every(Number.isInteger))) {
    throw shapeError(op, types(...all), `padding ${JSON.stringify(p.padding)} must be ${r} integer [lo, hi] pairs`, "pass one [lo, hi] pair per dimension")
  }
  shape.forEach((n, d) => {
    if (n + p.padding[d]![0] + p.padding[d]![1] < 0) throw shapeError(op, types(...all), `dimension ${d}: padding [${p.padding[d]!.join(",")}] crops more than its ${n} elements`, "crop less")
  })
  return windowShape(shape, p)
}

/** Window loops: declares `w{d}` (window offset) and `p{d}` (operand position from `b{d}`); `inb` is the bounds test. */
const windowLoops = (shape: ReadonlyArray<number>, p: WindowParams, body: (idx: string, inb: string, flat: string) => string[]): string[] => {
  const xs = stridesOf(shape)
  const ws = stridesOf(p.windowDimensions)
  const conds: string[] = []
  const idx: string[] = []
  const flat: string[] = []
  const opens: string[] = []
  shape.forEach((n, d) => {
    const W = p.windowDimensions[d]!
    opens.push(W === 1 ? `{ const w${d} = 0;` : `for (let w${d} = 0; w${d} < ${W}; w${d}++) {`)
    opens.push(`const p${d} = b${d} + w${d};`)
    if (p.padding[d]![0] > 0 || p.padding[d]![1] > 0) conds.push(`p${d} >= 0`, `p${d} < ${n}`)
    idx.push(`p${d} * ${xs[d]}`)
    flat.push(`w${d} * ${ws[d]}`)
  })
  const inb = conds.length === 0 ? "true" : conds.join(" && ")
  return [...opens, ...body(idx.join(" + ") || "0", inb, flat.join(" + ") || "0"), ...shape.map(() => "}")]
}

/** Declares `b{d} = o{d} * S - lo` for window coordinates `coords`. */
const windowBases = (coords: ReadonlyArray<string>, p: WindowParams): string[] =>
  coords.map((c, d) => `const b${d} = ${c} * ${p.windowStrides[d]} - ${p.padding[d]![0]};`)

const keyOf = (op: string, shapes: ReadonlyArray<ReadonlyArray<number>>, p: WindowParams): string =>
  [op, ...shapes.map((s) => s.join(",")), p.windowDimensions.join(","), p.windowStrides.join(","), p.padding.map((q) => q.join(":")).join(",")].join("|")

/** Validates a reduceWindow call and returns the output shape. */
export const validateReduceWindow = (op: "max" | "sum", x: HostArray, p: WindowParams): number[] => {
  checkArray("reduceWindow", x)
  if (op !== "max" && op !== "sum") throw shapeError("reduceWindow", types(x), `unknown window reduction ${JSON.stringify(op)}`, "use max or sum")
  if (op === "sum") checkDtype("reduceWindow", x, ["float32", "int32", "uint32"], [x], "convert bool to int32 before a window sum")
  const out = validateParams("reduceWindow", x.shape, p, [x])
  checkSizes("reduceWindow", x, { dtype: x.dtype, shape: out })
  return out
}

const INT_MIN: Record<DType, number> = { float32: -Infinity, int32: -2147483648, uint32: 0, bool: 0 }

/** gpu.js implementation of `reduceWindow` (lax.reduce_window with max or add). */
export const gpujsReduceWindow = (op: "max" | "sum", x: HostArray, p: WindowParams): HostArray => {
  const outShape = windowShape(x.shape, p)
  const n = sizeOf(outShape)
  if (n === 0) return result(x.dtype, outShape, allocStorage(x.dtype, 0))
  if (x.dtype === "int32" || x.dtype === "uint32") {
    checkIntInputs(`reduceWindow ${op}`, x)
    const bound = maxAbs(x.data) * sizeOf(p.windowDimensions)
    if (op === "sum" && bound >= EXACT_INT_LIMIT) throw integerRangeError("reduceWindow sum", x.dtype, bound, "the bound max|x|·window size on a partial sum")
  }
  const source = (): string => {
    const un = unravel(outShape, "i", "c")
    const lines = [...un.lines, ...windowBases(un.coords, p), `let acc = ${op === "max" ? lit(-Infinity) : "0.0"};`]
    lines.push(
      ...windowLoops(x.shape, p, (idx, inb) => [
        `if (${inb}) {`,
        `  const v = a0[${idx}];`,
        op === "max" ? `  if (${notNaN("acc")} && (v > acc || ${isNaNExpr("v")})) { acc = v; }` : `  acc = acc + v;`,
        `}`
      ])
    )
    return kernelSource(1, 0, [...lines, "return acc;"])
  }
  if (x.dtype === "float32") return resultOf("reduceWindow", "float32", outShape, launchDevice({ key: keyOf(`rw:${op}`, [x.shape], p), size: n, arrays: 1, source }, [kernelInput(x)]))
  const out = launch({ key: keyOf(`rw:${op}`, [x.shape], p), size: n, arrays: 1, source }, [values(x)])
  // operands were range-checked, so every value is exact; a window of only padding holds
  // -inf, which becomes the dtype's minimum (the identity of max)
  const data = allocStorage(x.dtype, n)
  for (let k = 0; k < n; k++) data[k] = out[k] === -Infinity ? INT_MIN[x.dtype] : out[k]!
  return result(x.dtype, outShape, data)
}

/** Validates selectAndScatterAdd / selectAndGatherAdd operands; returns the window output shape. */
export const validateSelectWindow = (op: "selectAndScatterAdd" | "selectAndGatherAdd", values_: HostArray, operand: HostArray, p: WindowParams): number[] => {
  checkArray(op, values_, op === "selectAndScatterAdd" ? "source" : "tangents")
  checkArray(op, operand, "operand")
  const all = [values_, operand]
  checkDtype(op, values_, ["float32"], all)
  checkDtype(op, operand, ["float32"], all)
  const out = validateParams(op, operand.shape, p, all)
  const want = op === "selectAndScatterAdd" ? out : operand.shape
  const name = op === "selectAndScatterAdd" ? "source" : "tangents"
  if (values_.shape.length !== want.length || values_.shape.some((v, d) => v !== want[d])) {
    throw shapeError(op, types(...all), `${name} must have shape [${want.join(",")}]`, op === "selectAndScatterAdd" ? "pass one source value per window (the pooled output's shape)" : "pass tangents shaped like the operand")
  }
  checkSizes(op, ...all, { dtype: "float32", shape: out })
  return out
}

/** The first-maximum selection over one window: sets `best`, `bk` (window offset) and `tv`. */
const selectLines = (shape: ReadonlyArray<number>, p: WindowParams, gather: boolean): string[] => [
  `let best = 0.0;`,
  `let bk = -1.0;`,
  `let tv = 0.0;`,
  `let first = 1.0;`,
  ...windowLoops(shape, p, (idx, inb, flat) => [
    `let v = ${lit(-Infinity)};`,
    `let t = 0.0;`,
    `if (${inb}) { v = a1[${idx}];${gather ? ` t = a0[${idx}];` : ""} }`,
    `if (first > 0.5 || !(best >= v)) { best = v; bk = ${inb === "true" ? flat : `(${inb}) ? ${flat} : -1.0`}; tv = t; first = 0.0; }`
  ])
]

/** gpu.js implementation of `selectAndScatterAdd`: output shaped like `operand`. */
export const gpujsSelectAndScatterAdd = (source: HostArray, operand: HostArray, p: WindowParams): HostArray => {
  const outShape = windowShape(operand.shape, p)
  const n = sizeOf(operand.shape)
  if (n === 0) return result("float32", operand.shape, allocStorage("float32", 0))
  const gen = (): string => {
    const un = unravel(operand.shape, "i", "c")
    const lines = [...un.lines, `let acc = 0.0;`]
    const ss = stridesOf(outShape)
    const ws = stridesOf(p.windowDimensions)
    const opens: string[] = []
    const conds: string[] = []
    operand.shape.forEach((_, d) => {
      const S = p.windowStrides[d]!
      const W = p.windowDimensions[d]!
      const T = Math.ceil(W / S)
      const lo = p.padding[d]![0]
      lines.push(`const z${d} = ${un.coords[d]} + ${lo};`, `const m${d} = Math.floor(z${d} / ${S});`)
      opens.push(T === 1 ? `{ const u${d} = 0;` : `for (let u${d} = 0; u${d} < ${T}; u${d}++) {`)
      opens.push(`const o${d} = m${d} - u${d};`, `const e${d} = z${d} - o${d} * ${S};`)
      conds.push(`o${d} >= 0`, `o${d} < ${outShape[d]}`, `e${d} < ${W}`)
    })
    const me = operand.shape.map((_, d) => `e${d} * ${ws[d]}`).join(" + ")
    const src = operand.shape.map((_, d) => `o${d} * ${ss[d]}`).join(" + ") || "0"
    const body = [
      `if (${conds.join(" && ")}) {`,
      ...windowBases(operand.shape.map((_, d) => `o${d}`), p),
      ...selectLines(operand.shape, p, false),
      `if (bk == ${me || "0"}) { acc = acc + a0[${src}]; }`,
      `}`
    ]
    return kernelSource(2, 0, [...lines, ...opens, ...body, ...operand.shape.map(() => "}"), "return acc;"])
  }
  return resultOf("selectAndScatterAdd", "float32", operand.shape, launchDevice({ key: keyOf("sas", [operand.shape], p), size: n, arrays: 2, source: gen }, [kernelInput(source), kernelInput(operand)]))
}

/** gpu.js implementation of `selectAndGatherAdd`: per window, the tangent at the operand's first maximum. */
export const gpujsSelectAndGatherAdd = (tangents: HostArray, operand: HostArray, p: WindowParams): HostArray => {
  const outShape = windowShape(operand.shape, p)
  const n = sizeOf(outShape)
  if (n === 0) return result("float32", outShape, allocStorage("float32", 0))
  const gen = (): string => {
    const un = unravel(outShape, "i", "c")
    return kernelSource(2, 0, [...un.lines, ...windowBases(un.coords, p), ...selectLines(operand.shape, p, true), "return tv;"])
  }
  return resultOf("selectAndGatherAdd", "float32", outShape, launchDevice({ key: keyOf("sga", [operand.shape], p), size: n, arrays: 2, source: gen }, [kernelInput(tangents), kernelInput(operand)]))
}
