/** The elementwise binary rule family: numpy broadcasting inside the kernel, broadcasting batching, JVPs from partial derivatives. */
import type { PrimitiveDef, Tangent } from "../primitive.js"
import type { Tensor } from "../Tensor.js"
import { bind1 } from "../trace.js"
import * as lax from "../lax.js"
import * as K from "../../../kernels/index.js"
import type { DType } from "../../../kernels/dtype.js"
import { binaryAbstractEval, broadcastingBatch, nonlinear, wrap, addTangents } from "./families.js"

export const F: DType[] = ["float32"]

export const NUM: DType[] = ["float32", "int32", "uint32"]

export const ALL: DType[] = ["float32", "int32", "uint32", "bool"]

export const BITS: DType[] = ["bool", "int32", "uint32"]

export type Jvp = PrimitiveDef["jvp"]

export const make = (name: K.BinaryOp, accepts: DType[], jvp: (self: () => PrimitiveDef) => Jvp, transpose: PrimitiveDef["transpose"] = nonlinear, out?: DType): PrimitiveDef => {
  const self: PrimitiveDef = {
    name,
    impl: ([x, y]) => [wrap(K.binary(name, x!.host, y!.host))],
    abstractEval: binaryAbstractEval(name, accepts, out),
    jvp: jvp(() => self),
    transpose,
    batch: broadcastingBatch(() => self)
  }
  return self
}


export const bt = (t: Tangent, shape: ReadonlyArray<number>): Tangent => (t === null ? null : lax.broadcastTo(t, shape))

/** d = ta * fx(x, y, out) + tb * fy(x, y, out) */
export const smooth =
  (fx: ((x: Tensor, y: Tensor, o: Tensor) => Tensor) | null, fy: ((x: Tensor, y: Tensor, o: Tensor) => Tensor) | null) =>
  (self: () => PrimitiveDef): Jvp =>
  ([x, y], [tx, ty]) => {
    const o = bind1(self(), [x!, y!])
    const shape = o.shape
    const a = tx === null || tx === undefined || fx === null ? null : bt(lax.mul(tx, fx(x!, y!, o)), shape)
    const b = ty === null || ty === undefined || fy === null ? null : bt(lax.mul(ty, fy(x!, y!, o)), shape)
    return [[o], [addTangents(a, b)]]
  }

export const c = (x: Tensor, v: number): Tensor => lax.scalar(v, x.dtype)

/** max/min: the tangent flows from the winning operand; ties split it evenly (as JAX). */
export const minmaxJvp =
  (pick: (x: Tensor, y: Tensor) => Tensor) =>
  (self: () => PrimitiveDef): Jvp =>
  ([x, y], [tx, ty]) => {
    const o = bind1(self(), [x!, y!])
    const wx = lax.add(lax.convertElementType(pick(x!, y!), o.dtype), lax.mul(lax.convertElementType(lax.eq(x!, y!), o.dtype), lax.scalar(0.5, o.dtype)))
    const wy = lax.sub(lax.scalar(1, o.dtype), wx)
    const a = tx === null || tx === undefined ? null : lax.mul(lax.broadcastTo(tx, o.shape), wx)
    const b = ty === null || ty === undefined ? null : lax.mul(lax.broadcastTo(ty, o.shape), wy)
    return [[o], [addTangents(a, b)]]
  }
