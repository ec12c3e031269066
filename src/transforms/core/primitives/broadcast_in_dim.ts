/** `broadcast_in_dim`: broadcast an operand into a shape; linear, transposes to a sum. JAX: `lax.broadcast_in_dim_p`. */
import { ShapedArray } from "../aval.js"
import { shapeError } from "../errors.js"
import type { PrimitiveDef } from "../primitive.js"
import { bind1 } from "../trace.js"
import * as lax from "../lax.js"
import * as K from "../../../kernels/index.js"
import { range } from "../shape.js"
import { linearJvp, wrap } from "./families.js"
import { avalOf } from "./families.js"

export const broadcast_in_dim: PrimitiveDef<{ shape: number[]; broadcastDimensions: number[] }> = {
  name: "broadcast_in_dim",
  impl: ([x], { shape, broadcastDimensions }) => [wrap(K.broadcastInDim(x!.host, shape, broadcastDimensions))],
  abstractEval: ([x], { shape, broadcastDimensions }) => {
    const ok =
      broadcastDimensions.length === x!.ndim &&
      broadcastDimensions.every((d, i) => d >= 0 && d < shape.length && (x!.shape[i] === 1 || x!.shape[i] === shape[d]) && (i === 0 || d > broadcastDimensions[i - 1]!))
    if (!ok) throw shapeError("broadcast_in_dim", `cannot broadcast ${x!.toString()} to shape [${shape.join(",")}] with broadcast_dimensions (${broadcastDimensions.join(",")}).`)
    return [new ShapedArray(shape, x!.dtype)]
  },
  jvp: linearJvp(() => broadcast_in_dim),
  transpose: (cts, [x], { shape, broadcastDimensions }) => {
    const ct = cts[0]
    if (!ct) return [null]
    const xs = avalOf(x).shape
    const newDims = range(shape.length).filter((i) => !broadcastDimensions.includes(i))
    const expanded = broadcastDimensions.filter((d, i) => xs[i] === 1 && shape[d] !== 1)
    const summed = lax.reduceSum(ct, [...newDims, ...expanded].sort((a, b) => a - b))
    return [lax.reshape(summed, xs)]
  },
  batch: ([x], [d], { shape, broadcastDimensions }) => {
    const xm = lax.moveAxis(x!, d!, 0)
    return [[bind1(broadcast_in_dim, [xm], { shape: [xm.shape[0]!, ...shape], broadcastDimensions: [0, ...broadcastDimensions.map((b) => b + 1)] })], [0]]
  },
  printParams: (p) => `broadcast_dimensions=(${p.broadcastDimensions.join(",")}${p.broadcastDimensions.length === 1 ? "," : ""}) shape=(${p.shape.join(", ")}${p.shape.length === 1 ? "," : ""})`
}
