/** `select_and_gather_add`: per window, the tangent at the operand's first argmax (max-pool JVP); linear in the tangent. JAX: `lax.select_and_gather_add_p`. */
import { ShapedArray } from "../aval.js"
import { shapeError } from "../errors.js"
import type { PrimitiveDef } from "../primitive.js"
import type { Tensor } from "../Tensor.js"
import { bind1 } from "../trace.js"
import * as K from "../../../kernels/index.js"
import { isUndef, wrap } from "./families.js"
import { WindowParams, kparams, windowOutShape, batchWindow, printWin } from "./window.js"
import { select_and_scatter_add } from "./select_and_scatter_add.js"

/** For each window, the tangent at the operand's first argmax (JVP of max pooling). */
export const select_and_gather_add: PrimitiveDef<WindowParams> = {
  name: "select_and_gather_add",
  impl: ([t, x], p) => [wrap(K.selectAndGatherAdd(t!.host, x!.host, kparams(p)))],
  abstractEval: ([t, x], p) => {
    if (!t!.equals(x!)) throw shapeError("select_and_gather_add", `tangent ${t} and operand ${x} must match.`)
    return [new ShapedArray(windowOutShape("select_and_gather_add", x!, p), t!.dtype)]
  },
  jvp: ([t, x], [tt], p) => [[bind1(select_and_gather_add, [t!, x!], p)], [tt ? bind1(select_and_gather_add, [tt, x!], p) : null]],
  transpose: (cts, [t, x], p) => {
    const ct = cts[0]
    if (!ct || !isUndef(t)) return [null, null]
    return [bind1(select_and_scatter_add, [ct, x as unknown as Tensor], p), null]
  },
  batch: batchWindow(() => select_and_gather_add, 2),
  printParams: printWin
}
