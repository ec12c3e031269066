/**
 * `scatter`: write updates at indexed positions along an axis; where several updates aim at one
 * position the last (in index order) wins, as XLA's CPU scatter does. Linear in (operand,
 * updates) jointly: the transpose zeroes the overwritten cotangent and routes it to the winning
 * updates only. JAX: `lax.scatter_p` (what `x.at[i].set(v)` binds).
 */
import type { PrimitiveDef } from "../primitive.js"
import type { Tensor } from "../Tensor.js"
import { bind1 } from "../trace.js"
import * as lax from "../lax.js"
import * as K from "../../../kernels/index.js"
import { range } from "../shape.js"
import { isUndef, avalOf, wrap } from "./families.js"
import type { AxisParams } from "./gather.js"
import { scatterAbstractEval, scatterBatch } from "./scatter_add.js"

/**
 * Which updates win: a bool array shaped like the updates, true where an update is the last one
 * aimed at its position (found by scattering the update positions themselves).
 */
export const winners = (indices: Tensor, updatesShape: ReadonlyArray<number>, axis: number, n: number): Tensor => {
  const k = indices.size
  const flat = lax.reshape(indices, [k])
  const pos = lax.iota("int32", [k], 0)
  const last = bind1(scatter, [lax.full([n], -1, "int32"), flat, pos], { axis: 0 })
  const win = lax.reshape(lax.eq(lax.gather(last, flat, 0), pos), indices.shape)
  return lax.broadcastInDim(win, updatesShape, range(indices.ndim).map((i) => axis + i))
}

export const scatter: PrimitiveDef<AxisParams> = {
  name: "scatter",
  impl: ([op, idx, upd], { axis }) => [wrap(K.scatter("set", op!.host, idx!.host, upd!.host, axis))],
  abstractEval: scatterAbstractEval("scatter"),
  jvp: ([op, idx, upd], [top, , tupd], params) => {
    const o = bind1(scatter, [op!, idx!, upd!], params)
    if (!top && !tupd) return [[o], [null]]
    return [[o], [bind1(scatter, [top ?? lax.zerosLike(op!), idx!, tupd ?? lax.zerosLike(upd!)], params)]]
  },
  transpose: (cts, [op, idx, upd], { axis }) => {
    const ct = cts[0]
    if (!ct) return [null, null, null]
    if (isUndef(idx)) throw new Error("scatter transpose: indices cannot be linear")
    const i = idx as unknown as Tensor
    const updAval = avalOf(upd)
    return [
      isUndef(op) ? bind1(scatter, [ct, i, lax.zerosLike(updAval)], { axis }) : null,
      null,
      isUndef(upd) ? lax.selectN(winners(i, updAval.shape, axis, ct.shape[axis]!), lax.zerosLike(updAval), lax.gather(ct, i, axis)) : null
    ]
  },
  batch: scatterBatch(() => scatter),
  printParams: (p) => `axis=${p.axis} mode=set`
}
