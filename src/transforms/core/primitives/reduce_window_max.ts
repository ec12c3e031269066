/** `reduce_window_max`: max over sliding windows (max pooling); JVP via select_and_gather_add. JAX: `lax.reduce_window_max_p`. */
import { ShapedArray } from "../aval.js"
import type { PrimitiveDef } from "../primitive.js"
import { bind1 } from "../trace.js"
import * as K from "../../../kernels/index.js"
import { nonlinear, wrap } from "./families.js"
import { WindowParams, kparams, windowOutShape, batchWindow, printWin } from "./window.js"
import { select_and_gather_add } from "./select_and_gather_add.js"

export const reduce_window_max: PrimitiveDef<WindowParams> = {
  name: "reduce_window_max",
  impl: ([x], p) => [wrap(K.reduceWindow("max", x!.host, kparams(p)))],
  abstractEval: ([x], p) => [new ShapedArray(windowOutShape("reduce_window_max", x!, p), x!.dtype)],
  jvp: ([x], [t], p) => {
    const o = bind1(reduce_window_max, [x!], p)
    return [[o], [t ? bind1(select_and_gather_add, [t, x!], p) : null]]
  },
  transpose: nonlinear,
  batch: batchWindow(() => reduce_window_max, 1),
  printParams: printWin
}
