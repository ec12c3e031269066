/** `select_and_scatter_add`: scatter each window's value onto the operand's first argmax (max-pool backward); linear in the source. JAX: `lax.select_and_scatter_add_p`. */
import { ShapedArray } from "../aval.js"
import { shapeError } from "../errors.js"
import type { PrimitiveDef } from "../primitive.js"
import type { Tensor } from "../Tensor.js"
import { bind1 } from "../trace.js"
import * as K from "../../../kernels/index.js"
import { isUndef, wrap } from "./families.js"
import { WindowParams, kparams, windowOutShape, batchWindow, printWin } from "./window.js"
import { select_and_gather_add } from "./select_and_gather_add.js"

/** Scatter each window's value onto the operand's first argmax in that window (max-pool backward). */
export const select_and_scatter_add: PrimitiveDef<WindowParams> = {
  name: "select_and_scatter_add",
  impl: ([s, x], p) => [wrap(K.selectAndScatterAdd(s!.host, x!.host, kparams(p)))],
  abstractEval: ([s, x], p) => {
    const expect = windowOutShape("select_and_scatter_add", x!, p)
    if (expect.join() !== s!.shape.join()) throw shapeError("select_and_scatter_add", `source ${s} must have the window-output shape [${expect.join(",")}].`)
    return [new ShapedArray(x!.shape, s!.dtype)]
  },
  jvp: ([s, x], [ts], p) => [[bind1(select_and_scatter_add, [s!, x!], p)], [ts ? bind1(select_and_scatter_add, [ts, x!], p) : null]],
  transpose: (cts, [s, x], p) => {
    const ct = cts[0]
    if (!ct || !isUndef(s)) return [null, null]
    return [bind1(select_and_gather_add, [ct, x as unknown as Tensor], p), null]
  },
  batch: batchWindow(() => select_and_scatter_add, 2),
  printParams: printWin
}
