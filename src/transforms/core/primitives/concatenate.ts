/** `concatenate`: join along one axis; linear, transposes to slices. JAX: `lax.concatenate_p`. */
import { ShapedArray } from "../aval.js"
import { shapeError, dtypeError } from "../errors.js"
import type { PrimitiveDef, BatchDim } from "../primitive.js"
import { bind1 } from "../trace.js"
import * as lax from "../lax.js"
import * as K from "../../../kernels/index.js"
import { range } from "../shape.js"
import { isUndef, moveBatchToFront, wrap } from "./families.js"
import { avalOf } from "./families.js"

export const concatenate: PrimitiveDef<{ dimension: number }> = {
  name: "concatenate",
  impl: (xs, { dimension }) => [wrap(K.concatenate(xs.map((x) => x.host), dimension))],
  abstractEval: (xs, { dimension }) => {
    const first = xs[0]!
    if (dimension < 0 || dimension >= first.ndim) throw shapeError("concatenate", `axis ${dimension} is out of range for ${first.toString()}.`)
    for (const x of xs) {
      if (x.dtype !== first.dtype) throw dtypeError("concatenate", `operands ${xs.map(String).join(", ")} must share a dtype.`)
      if (x.ndim !== first.ndim || x.shape.some((d, i) => i !== dimension && d !== first.shape[i])) {
        throw shapeError("concatenate", `operands ${xs.map(String).join(", ")} must match on every axis except ${dimension}.`)
      }
    }
    const shape = [...first.shape]
    shape[dimension] = xs.reduce((s, x) => s + x.shape[dimension]!, 0)
    return [new ShapedArray(shape, first.dtype)]
  },
  jvp: (xs, ts, params) => {
    const o = bind1(concatenate, xs, params)
    if (ts.every((t) => !t)) return [[o], [null]]
    return [[o], [bind1(concatenate, ts.map((t, i) => t ?? lax.zerosLike(xs[i]!)), params)]]
  },
  transpose: (cts, args, { dimension }) => {
    const ct = cts[0]
    let offset = 0
    return args.map((a) => {
      const shape = avalOf(a).shape
      const start = shape.map((_, i) => (i === dimension ? offset : 0))
      const limit = shape.map((d, i) => (i === dimension ? offset + d : ct ? ct.shape[i]! : d))
      offset += shape[dimension]!
      return ct && isUndef(a) ? lax.slice(ct, start, limit) : null
    })
  },
  batch: (xs, ds, { dimension }, axisSize) => [[bind1(concatenate, xs.map((x, i) => moveBatchToFront(x, ds[i]!, axisSize)), { dimension: dimension + 1 })], [0] as BatchDim[]],
  printParams: (p) => `dimension=${p.dimension}`
}
