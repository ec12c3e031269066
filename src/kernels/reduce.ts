/**
 * The reduction family (`reduce_sum`, `reduce_max`, `reduce_min`, `reduce_prod`, `argmax`,
 * `argmin`): one thread per output element loops over the reduced axes with literal bounds.
 */
import { launch, launchDevice } from "./backend.js"
import { coalesce, isNaNExpr, kernelSource, linear, notNaN, unravel } from "./codegen.js"
import { gpujsFull } from "./creation.js"
import { type DType, allocStorage, sizeOf, stridesOf } from "./dtype.js"
import { EXACT_INT_LIMIT, integerRangeError, shapeError } from "./errors.js"
import { type HostArray, result } from "./HostArray.js"
import { checkArray, checkAxes, checkDtype, checkSizes, types } from "./shape.js"
import { checkIntInputs, joinPlanes, kernelInput, maxAbs, planes, resultOf, toStorage, values } from "./transfer.js"

/** Reductions over a set of axes. */
export type ReduceOp = "sum" | "max" | "min" | "prod" | "argmax" | "argmin"

const REDUCE_OPS: ReadonlyArray<ReduceOp> = ["sum", "max", "min", "prod", "argmax", "argmin"]

type Mode = "sum" | "sum_bound" | "prod" | "max" | "min" | "argmax" | "argmin" | "max16" | "min16" | "argmax16" | "argmin16"

/** Layout of a reduction: coalesced kept dims (thread index) and reduced dims (loops). */
export interface ReduceLayout {
  readonly outShape: number[]
  readonly kept: { shape: number[]; strides: number[] }
  readonly loops: { shape: number[]; strides: number[] }
}

/** Splits `shape` into the kept dims (output) and the reduced `axes`, each coalesced. */
export const reduceLayout = (shape: ReadonlyArray<number>, axes: ReadonlyArray<number>): ReduceLayout => {
  const strides = stridesOf(shape)
  const keptDims = shape.map((_, d) => d).filter((d) => !axes.includes(d))
  const redDims = shape.map((_, d) => d).filter((d) => axes.includes(d))
  const kept = coalesce(keptDims.map((d) => shape[d]!), [keptDims.map((d) => strides[d]!)])
  const loops = coalesce(redDims.map((d) => shape[d]!), [redDims.map((d) => strides[d]!)])
  return {
    outShape: keptDims.map((d) => shape[d]!),
    kept: { shape: kept.shape, strides: kept.views[0]! },
    loops: { shape: loops.shape, strides: loops.views[0]! }
  }
}

/** Nested literal-bound loops over `loops`; `inner` receives the flat input index expression. */
export const loopNest = (loops: { shape: ReadonlyArray<number>; strides: ReadonlyArray<number> }, base: string, inner: (idx: string, flat: string) => string[]): string[] => {
  const vars = loops.shape.map((_, d) => `r${d}`)
  const idx = [base, ...vars.map((v, d) => `${v} * ${loops.strides[d]}`)].filter((t) => t !== "0").join(" + ") || "0"
  // flat position within the reduced block (argmax needs it): row-major over the loop dims
  const flat = vars.length === 0 ? "0" : vars.reduce((acc, v, d) => (d === 0 ? v : `(${acc}) * ${loops.shape[d]} + ${v}`), "")
  let body = inner(idx, flat)
  for (let d = vars.length - 1; d >= 0; d--) {
    body = [`for (let ${vars[d]} = 0; ${vars[d]} < ${loops.shape[d]}; ${vars[d]}++) {`, ...body.map((l) => `  ${l}`), `}`]
  }
  return body
}

const BLOCK = 256

/**
 * `acc += x` over `loops`, summing the innermost loop in blocks of 256 when it is long, so the
 * float32 rounding error grows with n/256 + 256 terms rather than n.
 */
const blockedSum = (loops: { shape: ReadonlyArray<number>; strides: ReadonlyArray<number> }, base: string): string[] => {
  const n = loops.shape.length
  const len = loops.shape[n - 1] ?? 0
  if (len <= 2 * BLOCK) return loopNest(loops, base, (idx) => [`acc = acc + a0[${idx}];`])
  const stride = loops.strides[n - 1]!
  const blocks = Math.floor(len / BLOCK)
  const rest = len - blocks * BLOCK
  return loopNest({ shape: loops.shape.slice(0, -1), strides: loops.strides.slice(0, -1) }, base, (idx) => [
    `const ob = ${idx};`,
    `for (let rb = 0; rb < ${blocks}; rb++) {`,
    `  let part = 0.0;`,
    `  for (let rc = 0; rc < ${BLOCK}; rc++) { part = part + a0[ob + (rb * ${BLOCK} + rc) * ${stride}]; }`,
    `  acc = acc + part;`,
    `}`,
    ...(rest > 0 ? [`for (let rr = 0; rr < ${rest}; rr++) { acc = acc + a0[ob + (${blocks * BLOCK} + rr) * ${stride}]; }`] : [])
  ])
}

const reduceSource = (layout: ReduceLayout, mode: Mode, signed: boolean): string => {
  const un = unravel(layout.kept.shape, "i", "c")
  const base = linear(un.coords, layout.kept.strides)
  const lines = [...un.lines, `const base = ${base};`]
  const cmp = mode.startsWith("max") || mode.startsWith("argmax") ? ">" : "<"
  if (mode.endsWith("16")) {
    const sgn = (h: string): string => (signed ? `(${h} >= 32768.0 ? ${h} - 65536.0 : ${h})` : h)
    lines.push(`const h0 = a0[base];`, `let bh = ${sgn("h0")};`, `let bl = a1[base];`, `let bi = 0.0;`)
    lines.push(
      ...loopNest(layout.loops, "base", (idx, flat) => [
        `const hv = a0[${idx}];`,
        `const h = ${sgn("hv")};`,
        `const l = a1[${idx}];`,
        `if (h ${cmp} bh || (h == bh && l ${cmp} bl)) { bh = h; bl = l; bi = ${flat}; }`
      ])
    )
    lines.push(mode.startsWith("arg") ? `return bi;` : `return s0 < 0.5 ? (bh < 0.0 ? bh + 65536.0 : bh) : bl;`)
    return kernelSource(2, mode.startsWith("arg") ? 0 : 1, lines)
  }
  if (mode === "sum_bound") {
    // every partial sum lies between -Σ|negatives| and Σpositives
    lines.push(`let pos = 0.0;`, `let neg = 0.0;`)
    lines.push(...loopNest(layout.loops, "base", (idx) => [`const v = a0[${idx}];`, `if (v > 0.0) { pos = pos + v; } else { neg = neg - v; }`]))
    lines.push(`return Math.max(pos, neg);`)
    return kernelSource(1, 0, lines)
  }
  if (mode === "sum" || mode === "prod") {
    lines.push(`let acc = ${mode === "prod" ? "1.0" : "0.0"};`)
    const op = mode === "prod" ? "*" : "+"
    lines.push(...(mode === "sum" ? blockedSum(layout.loops, "base") : loopNest(layout.loops, "base", (idx) => [`acc = acc ${op} a0[${idx}];`])), `return acc;`)
    return kernelSource(1, 0, lines)
  }
  // float max/min/argmax/argmin: the first element seeds; NaN wins and stays (JAX)
  lines.push(`let best = a0[base];`, `let bi = 0.0;`)
  lines.push(
    ...loopNest(layout.loops, "base", (idx, flat) => [
      `const v = a0[${idx}];`,
      `if (${notNaN("best")} && (v ${cmp} best || ${isNaNExpr("v")})) { best = v; bi = ${flat}; }`
    ])
  )
  lines.push(mode.startsWith("arg") ? `return bi;` : `return best;`)
  return kernelSource(1, 0, lines)
}

const runReduce = (x: { shape: ReadonlyArray<number> }, axes: ReadonlyArray<number>, mode: Mode, signed: boolean, arrays: Float32Array[], scalars: number[] = []): Float32Array => {
  const layout = reduceLayout(x.shape, axes)
  return launch(
    {
      key: `reduce:${mode}:${signed}|${x.shape.join(",")}|${axes.join(",")}`,
      size: sizeOf(layout.outShape),
      arrays: arrays.length,
      scalars: scalars.length,
      source: () => reduceSource(layout, mode, signed)
    },
    arrays,
    scalars
  )
}

/** Validates a reduce call and returns the output shape. */
export const validateReduce = (op: ReduceOp, x: HostArray, axes: ReadonlyArray<number>): number[] => {
  checkArray("reduce", x)
  if (!REDUCE_OPS.includes(op)) throw shapeError("reduce", types(x), `unknown reduction ${JSON.stringify(op)}`, `use one of ${REDUCE_OPS.join(", ")}`)
  const name = op === "argmax" || op === "argmin" ? op : `reduce_${op}`
  checkAxes(name, axes, x.shape.length, [x])
  if (op === "sum" || op === "prod") checkDtype(name, x, ["float32", "int32", "uint32"], [x], `convert bool to int32 before ${name}`)
  if (op === "argmax" || op === "argmin") {
    if (axes.length !== 1) throw shapeError(name, types(x), `${op} takes exactly one axis, got [${axes.join(",")}]`, "pass a single axis")
    if (x.shape[axes[0]!] === 0) throw shapeError(name, types(x), `${op} over axis ${axes[0]} of size 0 has no answer`, "reduce over a non-empty axis")
  }
  checkSizes(name, x)
  return x.shape.filter((_, d) => !axes.includes(d))
}

const IDENTITY: Record<"sum" | "prod" | "max" | "min", Record<DType, number>> = {
  sum: { float32: 0, int32: 0, uint32: 0, bool: 0 },
  prod: { float32: 1, int32: 1, uint32: 1, bool: 1 },
  max: { float32: -Infinity, int32: -2147483648, uint32: 0, bool: 0 },
  min: { float32: Infinity, int32: 2147483647, uint32: 4294967295, bool: 1 }
}

/** gpu.js implementation of `reduce` (inputs validated). Output drops the reduced axes. */
export const gpujsReduce = (op: ReduceOp, x: HostArray, axes: ReadonlyArray<number>): HostArray => {
  const sorted = [...axes].sort((p, q) => p - q)
  const outShape = x.shape.filter((_, d) => !sorted.includes(d))
  const outDtype: DType = op === "argmax" || op === "argmin" ? "int32" : x.dtype
  const n = sizeOf(outShape)
  if (n === 0) return result(outDtype, outShape, allocStorage(outDtype, 0))
  if (sizeOf(x.shape) === 0) return gpujsFull(outDtype, outShape, IDENTITY[op as "sum"][x.dtype])
  const isInt = x.dtype === "int32" || x.dtype === "uint32"
  const signed = x.dtype === "int32"
  if (isInt && op !== "sum" && op !== "prod") {
    const [hi, lo] = planes(x.data)
    const mode = `${op}16` as Mode
    if (op === "argmax" || op === "argmin") return result("int32", outShape, toStorage(op, "int32", runReduce(x, sorted, mode, signed, [hi, lo])))
    const h = runReduce(x, sorted, mode, signed, [hi, lo], [0])
    const l = runReduce(x, sorted, mode, signed, [hi, lo], [1])
    return result(x.dtype, outShape, joinPlanes(x.dtype, h, l))
  }
  const data = isInt ? values(x) : new Float32Array(0)
  if (isInt) {
    checkIntInputs(`reduce_${op}`, x)
    const count = sizeOf(x.shape) / n
    if (op === "sum" && maxAbs(x.data) * count >= EXACT_INT_LIMIT) {
      // partial sums may leave the exact range even if the total does not: they stay within
      // [-Σ|negatives|, Σpositives], and those two monotone sums are exact until they pass 2^24
      const bound = runReduce(x, sorted, "sum_bound", false, [data])
      for (const b of bound) if (!(b < EXACT_INT_LIMIT)) throw integerRangeError("reduce_sum", x.dtype, b, "the bound on partial sums (Σ of same-signed terms)")
    }
  }
  const layout = reduceLayout(x.shape, sorted)
  const out = launchDevice(
    { key: `reduce:${op}:${signed}|${x.shape.join(",")}|${sorted.join(",")}`, size: sizeOf(layout.outShape), arrays: 1, source: () => reduceSource(layout, op, signed) },
    [isInt ? data : kernelInput(x)]
  )
  return resultOf(op.startsWith("arg") ? op : `reduce_${op}`, outDtype, outShape, out)
}
