/**
 * `lax.dot_general`: one thread per output element; the contraction loops read both operands
 * through literal strides, so transposed operands are never copied.
 */
import { launchDevice } from "./backend.js"
import type { DeviceTexture } from "./device.js"
import { coalesce, kernelSource, linear, unravel } from "./codegen.js"
import { type DType, allocStorage, sizeOf, stridesOf } from "./dtype.js"
import { EXACT_INT_LIMIT, integerRangeError, shapeError } from "./errors.js"
import { type HostArray, result } from "./HostArray.js"
import { checkArray, checkSizes, types } from "./shape.js"
import { checkIntInputs, kernelInput, maxAbs, resultOf } from "./transfer.js"

/** Dimension numbers of `lax.dot_general`. */
export interface DotDims {
  readonly lhsContracting: ReadonlyArray<number>
  readonly rhsContracting: ReadonlyArray<number>
  readonly lhsBatch: ReadonlyArray<number>
  readonly rhsBatch: ReadonlyArray<number>
}

const freeDims = (rank: number, used: ReadonlyArray<number>): number[] =>
  Array.from({ length: rank }, (_, d) => d).filter((d) => !used.includes(d))

/** Output shape of dot_general: `[batch..., lhsFree..., rhsFree...]`. */
export const dotShape = (a: HostArray, b: HostArray, dims: DotDims): number[] => [
  ...dims.lhsBatch.map((d) => a.shape[d]!),
  ...freeDims(a.shape.length, [...dims.lhsBatch, ...dims.lhsContracting]).map((d) => a.shape[d]!),
  ...freeDims(b.shape.length, [...dims.rhsBatch, ...dims.rhsContracting]).map((d) => b.shape[d]!)
]

/** Validates a dot_general call and returns the output shape. */
export const validateDotGeneral = (a: HostArray, b: HostArray, dims: DotDims): number[] => {
  checkArray("dotGeneral", a, "lhs")
  checkArray("dotGeneral", b, "rhs")
  const t = types(a, b)
  const fail = (what: string, fix: string): never => {
    throw shapeError("dotGeneral", t, what, fix)
  }
  if (a.dtype !== b.dtype) fail(`operand dtypes differ (${a.dtype} vs ${b.dtype})`, "promote both operands to one dtype first")
  const lists: Array<[string, ReadonlyArray<number> | undefined, number]> = [
    ["lhsContracting", dims?.lhsContracting, a.shape.length],
    ["rhsContracting", dims?.rhsContracting, b.shape.length],
    ["lhsBatch", dims?.lhsBatch, a.shape.length],
    ["rhsBatch", dims?.rhsBatch, b.shape.length]
  ]
  for (const [name, list, rank] of lists) {
    if (!Array.isArray(list)) fail(`dimension numbers lack ${name}`, "pass { lhsContracting, rhsContracting, lhsBatch, rhsBatch } as arrays")
    for (const d of list!) if (!Number.isInteger(d) || d < 0 || d >= rank) fail(`${name} [${list!.join(",")}] has axis ${d}, out of range for rank ${rank}`, `use axes in [0, ${rank})`)
  }
  const lhsUsed = [...dims.lhsBatch, ...dims.lhsContracting]
  const rhsUsed = [...dims.rhsBatch, ...dims.rhsContracting]
  if (new Set(lhsUsed).size !== lhsUsed.length) fail(`lhs axes [${lhsUsed.join(",")}] repeat across batch and contracting dims`, "use each lhs axis at most once")
  if (new Set(rhsUsed).size !== rhsUsed.length) fail(`rhs axes [${rhsUsed.join(",")}] repeat across batch and contracting dims`, "use each rhs axis at most once")
  if (dims.lhsContracting.length !== dims.rhsContracting.length) fail(`${dims.lhsContracting.length} lhs vs ${dims.rhsContracting.length} rhs contracting dims`, "contract the same number of dims on each side")
  if (dims.lhsBatch.length !== dims.rhsBatch.length) fail(`${dims.lhsBatch.length} lhs vs ${dims.rhsBatch.length} rhs batch dims`, "use the same number of batch dims on each side")
  dims.lhsContracting.forEach((d, k) => {
    const e = dims.rhsContracting[k]!
    if (a.shape[d] !== b.shape[e]) fail(`contracting dims differ: lhs axis ${d} has ${a.shape[d]}, rhs axis ${e} has ${b.shape[e]}`, "contract dims of equal size")
  })
  dims.lhsBatch.forEach((d, k) => {
    const e = dims.rhsBatch[k]!
    if (a.shape[d] !== b.shape[e]) fail(`batch dims differ: lhs axis ${d} has ${a.shape[d]}, rhs axis ${e} has ${b.shape[e]}`, "batch over dims of equal size")
  })
  const out = dotShape(a, b, dims)
  checkSizes("dotGeneral", a, b, { dtype: a.dtype, shape: out })
  return out
}

interface DotLayout {
  readonly out: { shape: number[]; lhs: number[]; rhs: number[] }
  readonly loops: { shape: number[]; lhs: number[]; rhs: number[] }
}

const dotLayout = (aShape: ReadonlyArray<number>, bShape: ReadonlyArray<number>, dims: DotDims): DotLayout => {
  const as = stridesOf(aShape)
  const bs = stridesOf(bShape)
  const aFree = freeDims(aShape.length, [...dims.lhsBatch, ...dims.lhsContracting])
  const bFree = freeDims(bShape.length, [...dims.rhsBatch, ...dims.rhsContracting])
  const outShape = [...dims.lhsBatch.map((d) => aShape[d]!), ...aFree.map((d) => aShape[d]!), ...bFree.map((d) => bShape[d]!)]
  const lhsView = [...dims.lhsBatch.map((d) => as[d]!), ...aFree.map((d) => as[d]!), ...bFree.map(() => 0)]
  const rhsView = [...dims.rhsBatch.map((d) => bs[d]!), ...aFree.map(() => 0), ...bFree.map((d) => bs[d]!)]
  const out = coalesce(outShape, [lhsView, rhsView])
  const loops = coalesce(
    dims.lhsContracting.map((d) => aShape[d]!),
    [dims.lhsContracting.map((d) => as[d]!), dims.rhsContracting.map((d) => bs[d]!)]
  )
  return {
    out: { shape: out.shape, lhs: out.views[0]!, rhs: out.views[1]! },
    loops: { shape: loops.shape, lhs: loops.views[0]!, rhs: loops.views[1]! }
  }
}

const dotSource = (layout: DotLayout, bound: boolean): string => {
  const un = unravel(layout.out.shape, "i", "c")
  return dotBody([...un.lines, `const la = ${linear(un.coords, layout.out.lhs)};`, `const lb = ${linear(un.coords, layout.out.rhs)};`], layout.loops, bound)
}

/** The contraction loops after the offset lines `head` (which define `la` and `lb`). */
const dotBody = (head: ReadonlyArray<string>, loopsIn: DotLayout["loops"], bound: boolean): string => {
  const layout = { loops: loopsIn }
  const lines = [...head, `let acc = 0.0;`]
  const vars = layout.loops.shape.map((_, d) => `k${d}`)
  const ia = ["la", ...vars.map((v, d) => `${v} * ${layout.loops.lhs[d]}`)].join(" + ")
  const ib = ["lb", ...vars.map((v, d) => `${v} * ${layout.loops.rhs[d]}`)].join(" + ")
  const term = `a0[${ia}] * a1[${ib}]`
  // bound mode: every partial sum lies within [-Σ|negative terms|, Σ positive terms]
  let body = bound ? [`const p = ${term};`, `if (p > 0.0) { acc = acc + p; } else { neg = neg - p; }`] : [`acc = acc + ${term};`]
  for (let d = vars.length - 1; d >= 0; d--) {
    body = [`for (let ${vars[d]} = 0; ${vars[d]} < ${layout.loops.shape[d]}; ${vars[d]}++) {`, ...body.map((l) => `  ${l}`), `}`]
  }
  return kernelSource(2, 0, bound ? [...lines, `let neg = 0.0;`, ...body, `return Math.max(acc, neg);`] : [...lines, ...body, `return acc;`])
}

/**
 * The same kernel on a 2-D output: rows run over [batch..., lhsFree...] (`this.thread.y`),
 * columns over [rhsFree...] (`this.thread.x`), so the lhs offset is uniform along a row.
 */
const dotSource2D = (aShape: ReadonlyArray<number>, bShape: ReadonlyArray<number>, dims: DotDims, bound: boolean): string => {
  const as = stridesOf(aShape)
  const bs = stridesOf(bShape)
  const aFree = freeDims(aShape.length, [...dims.lhsBatch, ...dims.lhsContracting])
  const bFree = freeDims(bShape.length, [...dims.rhsBatch, ...dims.rhsContracting])
  const row = coalesce(
    [...dims.lhsBatch.map((d) => aShape[d]!), ...aFree.map((d) => aShape[d]!)],
    [[...dims.lhsBatch.map((d) => as[d]!), ...aFree.map((d) => as[d]!)], [...dims.rhsBatch.map((d) => bs[d]!), ...aFree.map(() => 0)]]
  )
  const col = coalesce(bFree.map((d) => bShape[d]!), [bFree.map((d) => bs[d]!)])
  const ur = unravel(row.shape, "this.thread.y", "r")
  const uc = unravel(col.shape, "this.thread.x", "c")
  const lb = [linear(ur.coords, row.views[1]!), linear(uc.coords, col.views[0]!)].filter((t) => t !== "0").join(" + ") || "0"
  const head = [...ur.lines, ...uc.lines, `const la = ${linear(ur.coords, row.views[0]!)};`, `const lb = ${lb};`]
  const loops = dotLayout(aShape, bShape, dims).loops
  return dotBody(head, loops, bound)
}

const runDot = (a: HostArray, b: HostArray, dims: DotDims, bound: boolean, n: number): Float32Array | DeviceTexture => {
  const key = `dot:${bound}|${a.shape.join(",")}|${b.shape.join(",")}|${[dims.lhsContracting, dims.rhsContracting, dims.lhsBatch, dims.rhsBatch].map((l) => l.join(",")).join(";")}`
  const cols = sizeOf(freeDims(b.shape.length, [...dims.rhsBatch, ...dims.rhsContracting]).map((d) => b.shape[d]!))
  if (cols > 1 && n / cols > 1) {
    return launchDevice({ key: `${key}|2d`, size: n, rows: n / cols, arrays: 2, source: () => dotSource2D(a.shape, b.shape, dims, bound) }, [kernelInput(a), kernelInput(b)])
  }
  return launchDevice({ key, size: n, arrays: 2, source: () => dotSource(dotLayout(a.shape, b.shape, dims), bound) }, [kernelInput(a), kernelInput(b)])
}

/** gpu.js implementation of `dotGeneral` (inputs validated). */
export const gpujsDotGeneral = (a: HostArray, b: HostArray, dims: DotDims): HostArray => {
  const outShape = dotShape(a, b, dims)
  const dtype: DType = a.dtype
  const n = sizeOf(outShape)
  if (n === 0) return result(dtype, outShape, allocStorage(dtype, 0))
  if (dtype === "int32" || dtype === "uint32") {
    checkIntInputs("dotGeneral", a, b)
    const k = sizeOf(dims.lhsContracting.map((d) => a.shape[d]!))
    if (maxAbs(a.data) * maxAbs(b.data) * k >= EXACT_INT_LIMIT) {
      for (const v of resultOf("dotGeneral", "float32", [n], runDot(a, b, dims, true, n)).data) if (!(v < EXACT_INT_LIMIT)) throw integerRangeError("dotGeneral", dtype, v, "the bound on partial sums (Σ of same-signed products)")
    }
  }
  return resultOf("dotGeneral", dtype, outShape, runDot(a, b, dims, false, n))
}
