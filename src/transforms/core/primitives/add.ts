/** `add`: x + y with numpy broadcasting in the kernel; linear, transposes by summing over broadcast axes. JAX: `lax.add_p`. */
import { bind1 } from "../trace.js"
import * as lax from "../lax.js"
import { isUndef, addTangents } from "./families.js"
import { NUM, make, bt } from "./binary.js"

export const add = make(
  "add",
  NUM,
  (self) => ([x, y], [tx, ty]) => {
    const o = bind1(self(), [x!, y!])
    return [[o], [addTangents(bt(tx ?? null, o.shape), bt(ty ?? null, o.shape))]]
  },
  (cts, [x, y]) => {
    const ct = cts[0] ?? null
    return [
      isUndef(x) && ct !== null ? lax.unbroadcast(ct, x.aval.shape) : null,
      isUndef(y) && ct !== null ? lax.unbroadcast(ct, y.aval.shape) : null
    ]
  }
)
