/** Elementwise binary primitives with numpy broadcasting done inside the kernel. */
import type { PrimitiveDef, Tangent } from "../primitive.js"
import type { Tensor } from "../Tensor.js"
import { bind1 } from "../trace.js"
import * as lax from "../lax.js"
import * as K from "../../../kernels/index.js"
import type { DType } from "../../../kernels/dtype.js"
import { binaryAbstractEval, broadcastingBatch, isUndef, nonlinear, wrap, zeroJvp, addTangents } from "./families.js"
import { broadcastShapes } from "../shape.js"

const F: DType[] = ["float32"]
const NUM: DType[] = ["float32", "int32", "uint32"]
const ALL: DType[] = ["float32", "int32", "uint32", "bool"]
const BITS: DType[] = ["bool", "int32", "uint32"]

type Jvp = PrimitiveDef["jvp"]

const make = (name: K.BinaryOp, accepts: DType[], jvp: (self: () => PrimitiveDef) => Jvp, transpose: PrimitiveDef["transpose"] = nonlinear, out?: DType): PrimitiveDef => {
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

const outShapeOf = (x: Tensor, y: Tensor): number[] => broadcastShapes("jvp", [x.shape, y.shape])
const bt = (t: Tangent, shape: ReadonlyArray<number>): Tangent => (t === null ? null : lax.broadcastTo(t, shape))

/** d = ta * fx(x, y, out) + tb * fy(x, y, out) */
const smooth =
  (fx: ((x: Tensor, y: Tensor, o: Tensor) => Tensor) | null, fy: ((x: Tensor, y: Tensor, o: Tensor) => Tensor) | null) =>
  (self: () => PrimitiveDef): Jvp =>
  ([x, y], [tx, ty]) => {
    const o = bind1(self(), [x!, y!])
    const shape = o.shape
    const a = tx === null || tx === undefined || fx === null ? null : bt(lax.mul(tx, fx(x!, y!, o)), shape)
    const b = ty === null || ty === undefined || fy === null ? null : bt(lax.mul(ty, fy(x!, y!, o)), shape)
    return [[o], [addTangents(a, b)]]
  }

const c = (x: Tensor, v: number): Tensor => lax.scalar(v, x.dtype)

export const add = make(
  "add",
  NUM,
  (self) => ([x, y], [tx, ty]) => {
    const o = bind1(self(), [x!, y!])
    return [[o], [addTangents(bt(tx ?? null, o.shape), bt(ty ?? null, o.shape))]]
  },
  (cts, [x, y]) => {
    const ct = cts[0] ?? null
    return [
      isUndef(x) && ct !== null ? lax.unbroadcast(ct, x.aval.shape) : null,
      isUndef(y) && ct !== null ? lax.unbroadcast(ct, y.aval.shape) : null
    ]
  }
)

export const sub = make(
  "sub",
  NUM,
  (self) => ([x, y], [tx, ty]) => {
    const o = bind1(self(), [x!, y!])
    const nty = ty === null || ty === undefined ? null : lax.neg(ty)
    return [[o], [addTangents(bt(tx ?? null, o.shape), bt(nty, o.shape))]]
  },
  (cts, [x, y]) => {
    const ct = cts[0] ?? null
    return [
      isUndef(x) && ct !== null ? lax.unbroadcast(ct, x.aval.shape) : null,
      isUndef(y) && ct !== null ? lax.unbroadcast(lax.neg(ct), y.aval.shape) : null
    ]
  }
)

export const mul = make(
  "mul",
  NUM,
  smooth((_x, y) => y, (x) => x),
  (cts, [x, y]) => {
    const ct = cts[0] ?? null
    if (ct === null) return [null, null]
    if (isUndef(x) && isUndef(y)) throw new Error("mul transpose: both operands are linear (the jaxpr is not linear)")
    return [
      isUndef(x) ? lax.unbroadcast(lax.mul(ct, y as unknown as Tensor), x.aval.shape) : null,
      isUndef(y) ? lax.unbroadcast(lax.mul(x as unknown as Tensor, ct), y.aval.shape) : null
    ]
  }
)

export const div = make(
  "div",
  NUM,
  smooth((_x, y) => lax.div(c(y, 1), y), (_x, y, o) => lax.neg(lax.div(o, y))),
  (cts, [x, y]) => {
    const ct = cts[0] ?? null
    if (isUndef(y)) throw new Error("div transpose: the divisor is linear (the jaxpr is not linear)")
    return [isUndef(x) && ct !== null ? lax.unbroadcast(lax.div(ct, y as unknown as Tensor), x.aval.shape) : null, null]
  }
)

export const rem = make(
  "rem",
  NUM,
  smooth(
    (x) => lax.onesLike(x),
    (x, y) => {
      const q = lax.div(x, y)
      return lax.neg(lax.mul(lax.sign(q), lax.floor(lax.abs(q))))
    }
  )
)
export const pow = make(
  "pow",
  F,
  smooth(
    (x, y) => lax.mul(y, lax.pow(x, lax.sub(y, c(y, 1)))),
    (x, _y, o) => {
      const safe = lax.selectN(lax.eq(x, c(x, 0)), x, lax.onesLike(x))
      return lax.mul(o, lax.log(safe))
    }
  )
)

/** max/min: the tangent flows from the winning operand; ties split it evenly (as JAX). */
const minmaxJvp =
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

export const max = make("max", NUM, minmaxJvp((x, y) => lax.gt(x, y)))
export const min = make("min", NUM, minmaxJvp((x, y) => lax.lt(x, y)))
export const atan2 = make(
  "atan2",
  F,
  smooth(
    (x, y) => lax.div(y, lax.add(lax.mul(x, x), lax.mul(y, y))),
    (x, y) => lax.neg(lax.div(x, lax.add(lax.mul(x, x), lax.mul(y, y))))
  )
)

export const and = make("and", BITS, zeroJvp)
export const or = make("or", BITS, zeroJvp)
export const xor = make("xor", BITS, zeroJvp)
export const shift_left = make("shift_left", ["int32", "uint32"], zeroJvp)
export const shift_right_logical = make("shift_right_logical", ["int32", "uint32"], zeroJvp)
export const eq = make("eq", ALL, zeroJvp, nonlinear, "bool")
export const ne = make("ne", ALL, zeroJvp, nonlinear, "bool")
export const lt = make("lt", NUM, zeroJvp, nonlinear, "bool")
export const le = make("le", NUM, zeroJvp, nonlinear, "bool")
export const gt = make("gt", NUM, zeroJvp, nonlinear, "bool")
export const ge = make("ge", NUM, zeroJvp, nonlinear, "bool")

export { outShapeOf }
