/** dot_general: matmul with contracting and batch dims; transposed operands read in-kernel. */
import { ShapedArray } from "../aval.js"
import { dtypeError, shapeError } from "../errors.js"
import type { PrimitiveDef, BatchDim } from "../primitive.js"
import type { Tensor } from "../Tensor.js"
import { bind1 } from "../trace.js"
import * as lax from "../lax.js"
import type { DotDims } from "../lax.js"
import * as K from "../../../kernels/index.js"
import { range } from "../shape.js"
import { isUndef, wrap, addTangents } from "./families.js"

type Params = { dims: DotDims }

const remaining = (n: number, ...removed: ReadonlyArray<ReadonlyArray<number>>): number[] =>
  range(n).filter((i) => !removed.some((r) => r.includes(i)))

const rangesLike = (...xs: ReadonlyArray<ReadonlyArray<unknown>>): number[][] => {
  let start = 0
  return xs.map((x) => {
    const r = range(x.length).map((i) => i + start)
    start += x.length
    return r
  })
}

const argsort = (xs: ReadonlyArray<number>): number[] => range(xs.length).sort((a, b) => xs[a]! - xs[b]!)

const outShape = (x: ShapedArray, y: ShapedArray, d: DotDims): number[] => {
  const show = `${x.toString()} · ${y.toString()}`
  if (x.dtype !== y.dtype) throw dtypeError("dot_general", `operands ${show} have different dtypes; cast one with astype.`)
  if (x.dtype === "bool") throw dtypeError("dot_general", `does not multiply bool arrays (${show}); cast to float32.`)
  if (d.lhsContracting.length !== d.rhsContracting.length || d.lhsBatch.length !== d.rhsBatch.length) {
    throw shapeError("dot_general", `contracting/batch dimension lists differ in length for ${show}.`)
  }
  const check = (which: string, a: ShapedArray, i: number) => {
    if (!Number.isInteger(i) || i < 0 || i >= a.ndim) throw shapeError("dot_general", `${which} dimension ${i} is out of range for ${a.toString()}.`)
  }
  d.lhsContracting.forEach((i) => check("lhs contracting", x, i))
  d.rhsContracting.forEach((i) => check("rhs contracting", y, i))
  d.lhsBatch.forEach((i) => check("lhs batch", x, i))
  d.rhsBatch.forEach((i) => check("rhs batch", y, i))
  d.lhsContracting.forEach((i, k) => {
    const j = d.rhsContracting[k]!
    if (x.shape[i] !== y.shape[j]) {
      throw shapeError("dot_general", `contracting dimensions differ: ${show} (lhs dim ${i} = ${x.shape[i]}, rhs dim ${j} = ${y.shape[j]}). Transpose or reshape an operand so the inner sizes match.`)
    }
  })
  d.lhsBatch.forEach((i, k) => {
    const j = d.rhsBatch[k]!
    if (x.shape[i] !== y.shape[j]) throw shapeError("dot_general", `batch dimensions differ: ${show} (lhs dim ${i} = ${x.shape[i]}, rhs dim ${j} = ${y.shape[j]}).`)
  })
  const batch = d.lhsBatch.map((i) => x.shape[i]!)
  const lf = remaining(x.ndim, d.lhsContracting, d.lhsBatch).map((i) => x.shape[i]!)
  const rf = remaining(y.ndim, d.rhsContracting, d.rhsBatch).map((i) => y.shape[i]!)
  return [...batch, ...lf, ...rf]
}

const transposeLhs = (g: Tensor, x: ShapedArray, y: Tensor, d: DotDims, swapAns: boolean): Tensor => {
  const xKept = remaining(x.ndim, d.lhsContracting, d.lhsBatch)
  const yKept = remaining(y.ndim, d.rhsContracting, d.rhsBatch)
  const [ansBatch, ansY] = swapAns
    ? (() => {
        const [b, yk] = rangesLike(d.lhsBatch, yKept, xKept)
        return [b!, yk!]
      })()
    : (() => {
        const [b, , yk] = rangesLike(d.lhsBatch, xKept, yKept)
        return [b!, yk!]
      })()
  const dims: DotDims = { lhsContracting: ansY, rhsContracting: yKept, lhsBatch: ansBatch, rhsBatch: d.rhsBatch }
  const xContractSortedByY = argsort(d.rhsContracting).map((i) => d.lhsContracting[i]!)
  const outAxes = argsort([...d.lhsBatch, ...xKept, ...xContractSortedByY])
  return lax.transpose(lax.dotGeneral(g, y, dims), outAxes)
}

const swap = (d: DotDims): DotDims => ({ lhsContracting: d.rhsContracting, rhsContracting: d.lhsContracting, lhsBatch: d.rhsBatch, rhsBatch: d.lhsBatch })

export const dot_general: PrimitiveDef<Params> = {
  name: "dot_general",
  impl: ([x, y], { dims }) =>
    [wrap(K.dotGeneral(x!.host, y!.host, { lhsContracting: [...dims.lhsContracting], rhsContracting: [...dims.rhsContracting], lhsBatch: [...dims.lhsBatch], rhsBatch: [...dims.rhsBatch] }))],
  abstractEval: ([x, y], { dims }) => [new ShapedArray(outShape(x!, y!, dims), x!.dtype)],
  jvp: ([x, y], [tx, ty], params) => {
    const o = bind1(dot_general, [x!, y!], params)
    const a = tx ? bind1(dot_general, [tx, y!], params) : null
    const b = ty ? bind1(dot_general, [x!, ty], params) : null
    return [[o], [addTangents(a, b)]]
  },
  transpose: (cts, [x, y], { dims }) => {
    const g = cts[0]
    if (!g) return [null, null]
    if (isUndef(x) && isUndef(y)) throw new Error("dot_general transpose: both operands are linear")
    return [
      isUndef(x) ? transposeLhs(g, x.aval, y as Tensor, dims, false) : null,
      isUndef(y) ? transposeLhs(g, y.aval, x as Tensor, swap(dims), true) : null
    ]
  },
  batch: ([x, y], [dx, dy], { dims }, axisSize) => {
    const shift = (a: ReadonlyArray<number>) => a.map((i) => i + 1)
    if (dx !== null && dy !== null) {
      const xm = lax.moveAxis(x!, dx!, 0)
      const ym = lax.moveAxis(y!, dy!, 0)
      const nd: DotDims = { lhsContracting: shift(dims.lhsContracting), rhsContracting: shift(dims.rhsContracting), lhsBatch: [0, ...shift(dims.lhsBatch)], rhsBatch: [0, ...shift(dims.rhsBatch)] }
      return [[bind1(dot_general, [xm, ym], { dims: nd })], [0]]
    }
    if (dx !== null) {
      // the mapped axis becomes the first free dim of the lhs: one kernel, no loop
      const xm = lax.moveAxis(x!, dx!, 0)
      const nd: DotDims = { ...dims, lhsContracting: shift(dims.lhsContracting), lhsBatch: shift(dims.lhsBatch) }
      return [[bind1(dot_general, [xm, y!], { dims: nd })], [dims.lhsBatch.length]]
    }
    const ym = lax.moveAxis(y!, dy!, 0)
    const nd: DotDims = { ...dims, rhsContracting: shift(dims.rhsContracting), rhsBatch: shift(dims.rhsBatch) }
    const lhsFree = x!.ndim - dims.lhsContracting.length - dims.lhsBatch.length
    void axisSize
    return [[bind1(dot_general, [x!, ym], { dims: nd })], [dims.lhsBatch.length + lhsFree] as BatchDim[]]
  },
  printParams: ({ dims }) =>
    `dimension_numbers=(([${dims.lhsContracting.join(", ")}], [${dims.rhsContracting.join(", ")}]), ([${dims.lhsBatch.join(", ")}], [${dims.rhsBatch.join(", ")}]))`
}
