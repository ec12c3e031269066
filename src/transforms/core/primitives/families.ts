/** Rule families written once and specialised by the primitive files. */
import { ShapedArray } from "../aval.js"
import { dtypeError } from "../errors.js"
import type { BatchDim, PrimitiveDef, Tangent, TransposeRule } from "../primitive.js"
import { UndefPrimal } from "../primitive.js"
import { ConcreteTensor, Tensor } from "../Tensor.js"
import { bind, bind1 } from "../trace.js"
import * as lax from "../lax.js"
import { broadcastShapes } from "../shape.js"
import type { DType } from "../../../kernels/dtype.js"
import * as K from "../../../kernels/index.js"

export const wrap = (h: K.HostArray): ConcreteTensor => new ConcreteTensor(h)

/** Move the batch dim to the front (or broadcast an unmapped value) so all operands are batched at 0. */
export const moveBatchToFront = (x: Tensor, d: BatchDim, axisSize: number): Tensor => {
  if (d === null) return lax.broadcastInDim(x, [axisSize, ...x.shape], x.shape.map((_, i) => i + 1))
  return lax.moveAxis(x, d, 0)
}

/** Batching rule of a primitive that maps elementwise over every dim of one operand. */
export const vectorizedBatch =
  (prim: () => PrimitiveDef) =>
  (vals: ReadonlyArray<Tensor>, dims: ReadonlyArray<BatchDim>, params: any): [Tensor[], BatchDim[]] =>
    [bind(prim(), vals, params), [dims[0]!]]

/**
 * Batching rule of a numpy-broadcasting n-ary op: batched operands get their batch dim moved to
 * 0 and are padded to the per-example output rank; unbatched operands broadcast from the right.
 */
export const broadcastingBatch =
  (prim: () => PrimitiveDef) =>
  (vals: ReadonlyArray<Tensor>, dims: ReadonlyArray<BatchDim>, params: any): [Tensor[], BatchDim[]] => {
    const perExampleRank = Math.max(...vals.map((v, i) => v.ndim - (dims[i] === null ? 0 : 1)))
    const args = vals.map((v, i) => {
      const d = dims[i]!
      if (d === null) return v
      const moved = lax.moveAxis(v, d, 0)
      const rank = moved.ndim - 1
      if (rank === perExampleRank) return moved
      return lax.reshape(moved, [moved.shape[0]!, ...new Array(perExampleRank - rank).fill(1), ...moved.shape.slice(1)])
    })
    return [bind(prim(), args, params), [0]]
  }

/** Shape rule of an elementwise unary op. */
export const unaryAbstractEval =
  (name: string, accepts: ReadonlyArray<DType>, out?: DType) =>
  (avals: ReadonlyArray<ShapedArray>): ShapedArray[] => {
    const x = avals[0]!
    if (!accepts.includes(x.dtype)) {
      throw dtypeError(name, `does not accept ${x.toString()}; it takes ${accepts.join(" or ")}. Cast with astype first.`)
    }
    return [new ShapedArray(x.shape, out ?? x.dtype)]
  }

/** Shape rule of a broadcasting binary op whose operands share a dtype. */
export const binaryAbstractEval =
  (name: string, accepts: ReadonlyArray<DType>, out?: DType) =>
  (avals: ReadonlyArray<ShapedArray>): ShapedArray[] => {
    const [x, y] = avals as [ShapedArray, ShapedArray]
    if (x.dtype !== y.dtype) {
      throw dtypeError(name, `operands ${x.toString()} and ${y.toString()} have different dtypes; cast one with astype (jnp ops promote for you).`)
    }
    if (!accepts.includes(x.dtype)) {
      throw dtypeError(name, `does not accept ${x.toString()}; it takes ${accepts.join(" or ")}.`)
    }
    return [new ShapedArray(broadcastShapes(name, [x.shape, y.shape], [x.dtype, y.dtype]), out ?? x.dtype)]
  }

/** JVP of a primitive whose output does not depend smoothly on its inputs: tangent is zero. */
export const zeroJvp =
  (prim: () => PrimitiveDef) =>
  (primals: ReadonlyArray<Tensor>, _t: ReadonlyArray<Tangent>, params: any): [Tensor[], Tangent[]] => {
    const outs = bind(prim(), primals, params)
    return [outs, outs.map(() => null)]
  }

/** JVP of a linear primitive: apply it to the tangents (zeros where a tangent is symbolic). */
export const linearJvp =
  (prim: () => PrimitiveDef) =>
  (primals: ReadonlyArray<Tensor>, tangents: ReadonlyArray<Tangent>, params: any): [Tensor[], Tangent[]] => {
    const outs = bind(prim(), primals, params)
    if (tangents.every((t) => t === null)) return [outs, outs.map(() => null)]
    const ts = tangents.map((t, i) => t ?? lax.zerosLike(primals[i]!))
    return [outs, bind(prim(), ts, params)]
  }

/** JVP of a unary op given d(out)/d(x) as a function of x and the output. */
export const unaryJvp =
  (prim: () => PrimitiveDef, deriv: (x: Tensor, y: Tensor) => Tensor) =>
  (primals: ReadonlyArray<Tensor>, tangents: ReadonlyArray<Tangent>, params: any): [Tensor[], Tangent[]] => {
    const x = primals[0]!
    const y = bind1(prim(), [x], params)
    const t = tangents[0]
    return [[y], [t === null || t === undefined ? null : lax.mul(t, deriv(x, y))]]
  }

export const nonlinear = "nonlinear" as const

export const isUndef = (x: unknown): x is UndefPrimal => x instanceof UndefPrimal

/** Transpose of a unary linear op that is its own transpose up to `f`. */
export const unaryTranspose =
  (f: (ct: Tensor) => Tensor): TransposeRule<any> =>
  (cts) => {
    const ct = cts[0]
    return [ct === null || ct === undefined ? null : f(ct)]
  }

/** Add two tangents, treating `null` as zero. */
export const addTangents = (a: Tangent, b: Tangent): Tangent => (a === null ? b : b === null ? a : lax.add(a, b))

/** Instantiate a symbolic zero. */
export const instantiate = (t: Tangent, like: { shape: ReadonlyArray<number>; dtype: DType }): Tensor => t ?? lax.zerosLike(like)

/** The aval of a primal or an `UndefPrimal` (transpose rules read shapes from either). */
export const avalOf = (x: unknown): ShapedArray => (x as { aval: ShapedArray }).aval
