/** `convert_element_type`: dtype cast; linear between float types, zero tangent otherwise. JAX: `lax.convert_element_type_p`. */
import { ShapedArray } from "../aval.js"
import type { PrimitiveDef } from "../primitive.js"
import { bind1 } from "../trace.js"
import * as lax from "../lax.js"
import * as K from "../../../kernels/index.js"
import type { DType } from "../../../kernels/dtype.js"
import { vectorizedBatch, wrap } from "./families.js"

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
