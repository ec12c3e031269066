/** Elementwise unary primitives: kernel `K.unary`, shape preserved, batched trivially. */
import type { PrimitiveDef } from "../primitive.js"
import type { Tensor } from "../Tensor.js"
import * as lax from "../lax.js"
import * as K from "../../../kernels/index.js"
import type { DType } from "../../../kernels/dtype.js"
import { nonlinear, unaryAbstractEval, unaryJvp, unaryTranspose, vectorizedBatch, wrap, zeroJvp, linearJvp } from "./families.js"

const F: DType[] = ["float32"]
const NUM: DType[] = ["float32", "int32"]

const c = (x: Tensor, v: number): Tensor => lax.scalar(v, x.dtype)

const smooth = (name: K.UnaryOp, deriv: (x: Tensor, y: Tensor) => Tensor, accepts: DType[] = F): PrimitiveDef => {
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

const flat = (name: K.UnaryOp, accepts: DType[], out?: DType): PrimitiveDef => {
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

export const neg: PrimitiveDef = {
  name: "neg",
  impl: ([x]) => [wrap(K.unary("neg", x!.host))],
  abstractEval: unaryAbstractEval("neg", NUM),
  jvp: linearJvp(() => neg),
  transpose: unaryTranspose((ct) => lax.neg(ct)),
  batch: vectorizedBatch(() => neg)
}

export const exp = smooth("exp", (_x, y) => y)
export const log = smooth("log", (x) => lax.div(c(x, 1), x))
export const log1p = smooth("log1p", (x) => lax.div(c(x, 1), lax.add(x, c(x, 1))))
export const expm1 = smooth("expm1", (x, y) => lax.add(y, c(x, 1)))
export const tanh = smooth("tanh", (x, y) => lax.sub(c(x, 1), lax.mul(y, y)))
export const logistic = smooth("logistic", (x, y) => lax.mul(y, lax.sub(c(x, 1), y)))
export const sqrt = smooth("sqrt", (x, y) => lax.div(c(x, 0.5), y))
export const rsqrt = smooth("rsqrt", (x, y) => lax.mul(c(x, -0.5), lax.div(y, x)))
export const abs = smooth("abs", (x) => lax.sign(x), NUM)
export const sin = smooth("sin", (x) => lax.cos(x))
export const cos = smooth("cos", (x) => lax.neg(lax.sin(x)))
export const erf = smooth("erf", (x) => lax.mul(c(x, 2 / Math.sqrt(Math.PI)), lax.exp(lax.neg(lax.mul(x, x)))))
export const erf_inv = smooth("erf_inv", (x, y) => lax.mul(c(x, Math.sqrt(Math.PI) / 2), lax.exp(lax.mul(y, y))))
export const sign = flat("sign", NUM)
export const floor = flat("floor", F)
export const ceil = flat("ceil", F)
export const round = flat("round", F)
export const not = flat("not", ["bool", "int32", "uint32"])
