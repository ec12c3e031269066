/** Reductions over axes: reduce_sum/max/min/prod, argmax/argmin. */
import { ShapedArray } from "../aval.js"
import { dtypeError } from "../errors.js"
import type { PrimitiveDef } from "../primitive.js"
import type { Tensor } from "../Tensor.js"
import { bind1 } from "../trace.js"
import * as lax from "../lax.js"
import * as K from "../../../kernels/index.js"
import { normalizeAxes, range } from "../shape.js"
import { nonlinear, wrap, zeroJvp } from "./families.js"

type AxesParams = { axes: number[] }

const reducedShape = (name: string, x: ShapedArray, axes: number[]): number[] => {
  const ax = normalizeAxes(name, axes, x.ndim)
  return x.shape.filter((_, i) => !ax.includes(i))
}

/** Broadcast a reduced value back over the reduced axes. */
const unreduce = (y: Tensor, shape: ReadonlyArray<number>, axes: number[]): Tensor =>
  lax.broadcastInDim(y, shape, range(shape.length).filter((i) => !axes.includes(i)))

const batchReduce =
  (self: () => PrimitiveDef<AxesParams>) =>
  ([x]: ReadonlyArray<Tensor>, [d]: ReadonlyArray<number | null>, { axes }: AxesParams): [Tensor[], (number | null)[]] => {
    const moved = lax.moveAxis(x!, d!, 0)
    return [[bind1(self(), [moved], { axes: axes.map((a) => a + 1) })], [0]]
  }

const make = (name: "reduce_sum" | "reduce_max" | "reduce_min" | "reduce_prod", op: "sum" | "max" | "min" | "prod", jvp: PrimitiveDef<AxesParams>["jvp"], transpose: PrimitiveDef<AxesParams>["transpose"]): PrimitiveDef<AxesParams> => {
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

export const reduce_sum: PrimitiveDef<AxesParams> = make(
  "reduce_sum",
  "sum",
  ([x], [t], params) => [[bind1(reduce_sum, [x!], params)], [t ? bind1(reduce_sum, [t], params) : null]],
  (cts, [x], { axes }) => {
    const ct = cts[0]
    const shape = (x as { aval: ShapedArray }).aval.shape
    return [ct ? unreduce(ct, shape, axes.map((a) => (a < 0 ? a + shape.length : a))) : null]
  }
)

/** max/min JVP: average the tangent over the positions attaining the extremum (as JAX). */
const chooserJvp =
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

export const reduce_max: PrimitiveDef<AxesParams> = make("reduce_max", "max", chooserJvp(() => reduce_max), nonlinear)
export const reduce_min: PrimitiveDef<AxesParams> = make("reduce_min", "min", chooserJvp(() => reduce_min), nonlinear)
export const reduce_prod: PrimitiveDef<AxesParams> = make(
  "reduce_prod",
  "prod",
  ([x], [t], params) => {
    const y = bind1(reduce_prod, [x!], params)
    if (!t) return [[y], [null]]
    // d(prod) = sum_i t_i * prod_{j != i} x_j, computed without dividing by x (exact at zeros)
    const axes = params.axes.map((a) => (a < 0 ? a + x!.ndim : a))
    const n = axes.reduce((s, a) => s * x!.shape[a]!, 1)
    let acc: Tensor | null = null
    const flatShape = [...x!.shape.filter((_, i) => !axes.includes(i)), n]
    const perm = [...range(x!.ndim).filter((i) => !axes.includes(i)), ...axes]
    const xf = lax.reshape(lax.transpose(x!, perm), flatShape)
    const tf = lax.reshape(lax.transpose(t, perm), flatShape)
    const last = flatShape.length - 1
    for (let i = 0; i < n; i++) {
      const start = flatShape.map(() => 0)
      const limit = [...flatShape]
      start[last] = i
      limit[last] = i + 1
      const ti = lax.reshape(lax.slice(tf, start, limit), flatShape.slice(0, last))
      const others: Tensor[] = []
      if (i > 0) others.push(lax.slice(xf, flatShape.map(() => 0), [...flatShape.slice(0, last), i]))
      if (i < n - 1) others.push(lax.slice(xf, [...flatShape.slice(0, last).map(() => 0), i + 1], flatShape))
      const rest = others.length === 0 ? lax.onesLike(ti) : lax.reduceProd(lax.concatenate(others, last), [last])
      const term = lax.mul(ti, rest)
      acc = acc === null ? term : lax.add(acc, term)
    }
    return [[y], [acc]]
  },
  nonlinear
)

const makeArg = (name: "argmax" | "argmin"): PrimitiveDef<AxesParams> => {
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
export const argmax = makeArg("argmax")
export const argmin = makeArg("argmin")
