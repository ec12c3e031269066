/** select_n, convert_element_type, stop_gradient, iota. */
import { ShapedArray } from "../aval.js"
import { dtypeError } from "../errors.js"
import type { PrimitiveDef } from "../primitive.js"
import type { Tensor } from "../Tensor.js"
import { bind1 } from "../trace.js"
import * as lax from "../lax.js"
import * as K from "../../../kernels/index.js"
import type { DType } from "../../../kernels/dtype.js"
import { broadcastingBatch, isUndef, nonlinear, vectorizedBatch, wrap, zeroJvp, instantiate } from "./families.js"
import { broadcastShapes } from "../shape.js"

export const select_n: PrimitiveDef = {
  name: "select_n",
  impl: ([p, f, t]) => [wrap(K.select(p!.host, t!.host, f!.host))],
  abstractEval: ([p, f, t]) => {
    if (p!.dtype !== "bool") throw dtypeError("select_n", `the predicate must be bool, got ${p!.toString()}; compare first (jnp.greater, …).`)
    if (f!.dtype !== t!.dtype) throw dtypeError("select_n", `the two cases ${f!.toString()} and ${t!.toString()} must share a dtype.`)
    return [new ShapedArray(broadcastShapes("select_n", [p!.shape, f!.shape, t!.shape]), f!.dtype)]
  },
  jvp: ([p, f, t], [, tf, tt]) => {
    const o = bind1(select_n, [p!, f!, t!])
    if ((tf ?? null) === null && (tt ?? null) === null) return [[o], [null]]
    return [[o], [bind1(select_n, [p!, instantiate(tf ?? null, f!), instantiate(tt ?? null, t!)])]]
  },
  transpose: (cts, [p, f, t]) => {
    const ct = cts[0] ?? null
    if (isUndef(p)) throw new Error("select_n transpose: the predicate cannot be linear")
    if (ct === null) return [null, null, null]
    const zeros = lax.zerosLike(ct)
    return [
      null,
      isUndef(f) ? lax.unbroadcast(bind1(select_n, [p as unknown as Tensor, ct, zeros]), f.aval.shape) : null,
      isUndef(t) ? lax.unbroadcast(bind1(select_n, [p as unknown as Tensor, zeros, ct]), t.aval.shape) : null
    ]
  },
  batch: broadcastingBatch(() => select_n)
}

export const convert_element_type: PrimitiveDef<{ newDtype: DType }> = {
  name: "convert_element_type",
  impl: ([x], { newDtype }) => [wrap(K.convert(x!.host, newDtype))],
  abstractEval: ([x], { newDtype }) => [new ShapedArray(x!.shape, newDtype)],
  jvp: ([x], [t], params) => {
    const o = bind1(convert_element_type, [x!], params)
    const smooth = x!.dtype === "float32" && params.newDtype === "float32"
    return [[o], [smooth && t ? bind1(convert_element_type, [t], params) : null]]
  },
  transpose: (cts, [x]) => [cts[0] ? lax.convertElementType(cts[0], (x as { aval: ShapedArray }).aval.dtype) : null],
  batch: vectorizedBatch(() => convert_element_type),
  printParams: (p) => `new_dtype=${p.newDtype}`
}

export const stop_gradient: PrimitiveDef = {
  name: "stop_gradient",
  impl: ([x]) => [x!],
  abstractEval: ([x]) => [x!],
  jvp: zeroJvp(() => stop_gradient),
  transpose: nonlinear,
  batch: vectorizedBatch(() => stop_gradient)
}

export const iota: PrimitiveDef<{ dtype: DType; shape: number[]; dimension: number }> = {
  name: "iota",
  impl: (_args, { dtype, shape, dimension }) => [wrap(K.iota(dtype, shape, dimension))],
  abstractEval: (_avals, { dtype, shape }) => [new ShapedArray(shape, dtype)],
  jvp: zeroJvp(() => iota),
  transpose: nonlinear,
  batch: (_v, _d, params) => [[bind1(iota, [], params)], [null]]
}
