/** `sub`: x - y with broadcasting; linear. JAX: `lax.sub_p`. */
import { bind1 } from "../trace.js"
import * as lax from "../lax.js"
import { isUndef, addTangents } from "./families.js"
import { NUM, make, bt } from "./binary.js"

export const sub = make(
  "sub",
  NUM,
  (self) => ([x, y], [tx, ty]) => {
    const o = bind1(self(), [x!, y!])
    const nty = ty === null || ty === undefined ? null : lax.neg(ty)
    return [[o], [addTangents(bt(tx ?? null, o.shape), bt(nty, o.shape))]]
  },
  (cts, [x, y]) => {
    const ct = cts[0] ?? null
    return [
      isUndef(x) && ct !== null ? lax.unbroadcast(ct, x.aval.shape) : null,
      isUndef(y) && ct !== null ? lax.unbroadcast(lax.neg(ct), y.aval.shape) : null
    ]
  }
)
