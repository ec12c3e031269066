/** `slice`: strided slice; linear, transposes to pad. JAX: `lax.slice_p`. */
import { ShapedArray } from "../aval.js"
import { shapeError } from "../errors.js"
import type { PrimitiveDef } from "../primitive.js"
import { bind1 } from "../trace.js"
import * as lax from "../lax.js"
import * as K from "../../../kernels/index.js"
import { linearJvp, wrap } from "./families.js"
import { avalOf } from "./families.js"

type SliceParams = { start: number[]; limit: number[]; strides: number[] | null }

export const slice: PrimitiveDef<SliceParams> = {
  name: "slice",
  impl: ([x], { start, limit, strides }) => [wrap(K.slice(x!.host, start, limit, strides ?? undefined))],
  abstractEval: ([x], { start, limit, strides }) => {
    const n = x!.ndim
    const bad =
      start.length !== n ||
      limit.length !== n ||
      (strides !== null && strides.length !== n) ||
      start.some((s, i) => !Number.isInteger(s) || s < 0 || s > limit[i]! || limit[i]! > x!.shape[i]!) ||
      (strides !== null && strides.some((s) => !Number.isInteger(s) || s < 1))
    if (bad) throw shapeError("slice", `start ${JSON.stringify(start)} / limit ${JSON.stringify(limit)}${strides ? ` / strides ${JSON.stringify(strides)}` : ""} do not fit ${x!.toString()}; each needs 0 <= start <= limit <= dim.`)
    return [new ShapedArray(start.map((s, i) => Math.ceil((limit[i]! - s) / (strides?.[i] ?? 1))), x!.dtype)]
  },
  jvp: linearJvp(() => slice),
  transpose: (cts, [x], { start, limit, strides }) => {
    const t = cts[0]
    if (!t) return [null]
    const shape = avalOf(x).shape
    const zero = lax.scalar(0, t.dtype)
    if (strides === null || strides.every((s) => s === 1)) {
      return [lax.pad(t, zero, start.map((s, i) => [s, shape[i]! - limit[i]!, 0] as const))]
    }
    const realLimits = start.map((s, i) => s + (t.shape[i] === 0 ? 0 : 1 + (t.shape[i]! - 1) * strides[i]!))
    return [lax.pad(t, zero, start.map((s, i) => [s, shape[i]! - realLimits[i]!, strides[i]! - 1] as const))]
  },
  batch: ([x], [d], { start, limit, strides }) => {
    const xm = lax.moveAxis(x!, d!, 0)
    return [[bind1(slice, [xm], { start: [0, ...start], limit: [xm.shape[0]!, ...limit], strides: strides ? [1, ...strides] : null })], [0]]
  },
  printParams: (p) => `limit_indices=(${p.limit.join(", ")}) start_indices=(${p.start.join(", ")}) strides=${p.strides ? `(${p.strides.join(", ")})` : "None"}`
}
