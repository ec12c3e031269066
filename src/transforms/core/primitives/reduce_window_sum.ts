/** `reduce_window_sum`: sum over sliding windows (avg pooling); linear. JAX: `lax.reduce_window_sum_p`. */
import { ShapedArray } from "../aval.js"
import type { PrimitiveDef } from "../primitive.js"
import { bind1 } from "../trace.js"
import * as lax from "../lax.js"
import * as K from "../../../kernels/index.js"
import { isUndef, linearJvp, wrap } from "./families.js"
import { WindowParams, kparams, windowOutShape, batchWindow, printWin, dilate } from "./window.js"

export const reduce_window_sum: PrimitiveDef<WindowParams> = {
  name: "reduce_window_sum",
  impl: ([x], p) => [wrap(K.reduceWindow("sum", x!.host, kparams(p)))],
  abstractEval: ([x], p) => [new ShapedArray(windowOutShape("reduce_window_sum", x!, p), x!.dtype)],
  jvp: linearJvp(() => reduce_window_sum),
  transpose: (cts, [x], p) => {
    const ct = cts[0]
    if (!ct || !isUndef(x)) return [null]
    const inShape = x.aval.shape
    // JAX: pad the cotangent (interior = stride - 1) and sum windows with stride 1
    const pads = inShape.map((n, i) => {
      const w = p.windowDimensions[i]!
      const before = w - p.padding[i]![0] - 1
      const after = n + w - 1 - dilate(ct.shape[i]!, p.windowStrides[i]!) - before
      return [before, after, p.windowStrides[i]! - 1] as const
    })
    const padded = lax.pad(ct, lax.scalar(0, ct.dtype), pads)
    return [bind1(reduce_window_sum, [padded], { windowDimensions: p.windowDimensions, windowStrides: inShape.map(() => 1), padding: inShape.map(() => [0, 0] as const) })]
  },
  batch: batchWindow(() => reduce_window_sum, 1),
  printParams: printWin
}
