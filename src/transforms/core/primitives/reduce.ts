/** The reduction rule family (reduce_sum/max/min/prod, argmax/argmin): shape rule, batching, extremum JVP. */
import { ShapedArray } from "../aval.js"
import { dtypeError } from "../errors.js"
import type { PrimitiveDef } from "../primitive.js"
import type { Tensor } from "../Tensor.js"
import { bind1 } from "../trace.js"
import * as lax from "../lax.js"
import * as K from "../../../kernels/index.js"
import { normalizeAxes, range } from "../shape.js"
import { nonlinear, wrap, zeroJvp } from "./families.js"

export type AxesParams = { axes: number[] }

export const reducedShape = (name: string, x: ShapedArray, axes: number[]): number[] => {
  const ax = normalizeAxes(name, axes, x.ndim)
  return x.shape.filter((_, i) => !ax.includes(i))
}

/** Broadcast a reduced value back over the reduced axes. */
export const unreduce = (y: Tensor, shape: ReadonlyArray<number>, axes: number[]): Tensor =>
  lax.broadcastInDim(y, shape, range(shape.length).filter((i) => !axes.includes(i)))

export const batchReduce =
  (self: () => PrimitiveDef<AxesParams>) =>
  ([x]: ReadonlyArray<Tensor>, [d]: ReadonlyArray<number | null>, { axes }: AxesParams): [Tensor[], (number | null)[]] => {
    const moved = lax.moveAxis(x!, d!, 0)
    return [[bind1(self(), [moved], { axes: axes.map((a) => a + 1) })], [0]]
  }

export const make = (name: "reduce_sum" | "reduce_max" | "reduce_min" | "reduce_prod", op: "sum" | "max" | "min" | "prod", jvp: PrimitiveDef<AxesParams>["jvp"], transpose: PrimitiveDef<AxesParams>["transpose"]): PrimitiveDef<AxesParams> => {
  const self: PrimitiveDef<AxesParams> = {
    name,
    impl: ([x], { axes }) => [wrap(K.reduce(op, x!.host, axes))],
    abstractEval: ([x], { axes }) => {
      if (x!.dtype === "bool") throw dtypeError(name, `does not reduce ${x!.toString()}; cast to int32 or float32 first.`)
      return [new ShapedArray(reducedShape(name, x!, axes), x!.dtype)]
    },
    jvp,
    transpose,
    batch: batchReduce(() => self),
    printParams: (p) => `axes=(${p.axes.join(",")}${p.axes.length === 1 ? "," : ""})`
  }
  return self
}

/** max/min JVP: average the tangent over the positions attaining the extremum (as JAX). */
export const chooserJvp =
  (self: () => PrimitiveDef<AxesParams>): PrimitiveDef<AxesParams>["jvp"] =>
  ([x], [t], params) => {
    const y = bind1(self(), [x!], params)
    if (!t) return [[y], [null]]
    const axes = params.axes.map((a) => (a < 0 ? a + x!.ndim : a))
    const mask = lax.convertElementType(lax.eq(x!, unreduce(y, x!.shape, axes)), x!.dtype)
    const num = lax.reduceSum(lax.mul(t, mask), axes)
    const den = lax.reduceSum(mask, axes)
    return [[y], [lax.div(num, den)]]
  }

export const makeArg = (name: "argmax" | "argmin"): PrimitiveDef<AxesParams> => {
  const self: PrimitiveDef<AxesParams> = {
    name,
    impl: ([x], { axes }) => [wrap(K.reduce(name, x!.host, axes))],
    abstractEval: ([x], { axes }) => {
      if (axes.length !== 1) throw dtypeError(name, "takes exactly one axis")
      return [new ShapedArray(reducedShape(name, x!, axes), "int32")]
    },
    jvp: zeroJvp(() => self),
    transpose: nonlinear,
    batch: batchReduce(() => self),
    printParams: (p) => `axes=(${p.axes.join(",")},) index_dtype=int32`
  }
  return self
}
