/** The elementwise unary rule family: kernel `K.unary`, shape preserved, batched trivially; the primitive files say which rule each uses. */
import type { PrimitiveDef } from "../primitive.js"
import type { Tensor } from "../Tensor.js"
import * as lax from "../lax.js"
import * as K from "../../../kernels/index.js"
import type { DType } from "../../../kernels/dtype.js"
import { nonlinear, unaryAbstractEval, unaryJvp, vectorizedBatch, wrap, zeroJvp } from "./families.js"

export const F: DType[] = ["float32"]

export const NUM: DType[] = ["float32", "int32"]

export const c = (x: Tensor, v: number): Tensor => lax.scalar(v, x.dtype)

export const smooth = (name: K.UnaryOp, deriv: (x: Tensor, y: Tensor) => Tensor, accepts: DType[] = F): PrimitiveDef => {
  const self: PrimitiveDef = {
    name,
    impl: ([x]) => [wrap(K.unary(name, x!.host))],
    abstractEval: unaryAbstractEval(name, accepts),
    jvp: unaryJvp(() => self, deriv),
    transpose: nonlinear,
    batch: vectorizedBatch(() => self)
  }
  return self
}

export const flat = (name: K.UnaryOp, accepts: DType[], out?: DType): PrimitiveDef => {
  const self: PrimitiveDef = {
    name,
    impl: ([x]) => [wrap(K.unary(name, x!.host))],
    abstractEval: unaryAbstractEval(name, accepts, out),
    jvp: zeroJvp(() => self),
    transpose: nonlinear,
    batch: vectorizedBatch(() => self)
  }
  return self
}
