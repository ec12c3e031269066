/**
 * The cumulative rule family (cumsum, cumprod, cummax, cummin): shape preserved, batched by
 * shifting the axis, and, for the nonlinear ones, a JVP that is the JVP of the parallel prefix
 * scan built from lax operations (as JAX does: the kernel computes the primal, the scan's
 * derivative gives the tangent, so ties in max/min split the tangent like `lax.max`).
 */
import { ShapedArray } from "../aval.js"
import { dtypeError, shapeError } from "../errors.js"
import type { PrimitiveDef } from "../primitive.js"
import type { Tensor } from "../Tensor.js"
import { bind1 } from "../trace.js"
import { jvpFlat } from "../jvp.js"
import * as lax from "../lax.js"
import { associativeScan } from "../lowered.js"
import * as K from "../../../kernels/index.js"
import { nonlinear, wrap } from "./families.js"

export type CumulativeParams = { axis: number; reverse: boolean }

export const make = (
  name: "cumsum" | "cumprod" | "cummax" | "cummin",
  jvp: (self: () => PrimitiveDef<CumulativeParams>) => PrimitiveDef<CumulativeParams>["jvp"],
  transpose: PrimitiveDef<CumulativeParams>["transpose"]
): PrimitiveDef<CumulativeParams> => {
  const op = name.slice(3) as K.CumulativeOp
  const self: PrimitiveDef<CumulativeParams> = {
    name,
    impl: ([x], { axis, reverse }) => [wrap(K.cumulative(op, x!.host, axis, reverse))],
    abstractEval: ([x], { axis, reverse }) => {
      if (x!.dtype === "bool") throw dtypeError(name, `does not accept ${x!.toString()}; cast to int32 or float32 first.`)
      if (!Number.isInteger(axis) || axis < 0 || axis >= x!.ndim) {
        throw shapeError(name, `axis ${axis} is out of range for ${x!.toString()}; lax takes a non-negative axis below the rank (jnp normalises negative axes).`)
      }
      if (typeof reverse !== "boolean") throw shapeError(name, `reverse must be a boolean, got ${String(reverse)}.`)
      return [x!]
    },
    jvp: jvp(() => self),
    transpose,
    batch: ([x], [d], { axis, reverse }) => [[bind1(self, [lax.moveAxis(x!, d!, 0)], { axis: axis + 1, reverse })], [0]],
    printParams: (p) => `axis=${p.axis} reverse=${p.reverse ? "True" : "False"}`
  }
  return self
}

/** JVP of a cumulative reduction through the prefix scan of `combine`. */
export const scanJvp =
  (combine: (a: Tensor, b: Tensor) => Tensor) =>
  (self: () => PrimitiveDef<CumulativeParams>): PrimitiveDef<CumulativeParams>["jvp"] =>
  ([x], [t], params) => {
    const y = bind1(self(), [x!], params)
    if (!t) return [[y], [null]]
    const [, [ty]] = jvpFlat((v) => associativeScan((a, b) => [combine(a[0]!, b[0]!)], [v], params.axis, params.reverse), [x!], [t])
    return [[y], [ty!]]
  }

export { nonlinear }
