/** `pad`: low/high/interior padding (negative crops); linear. JAX: `lax.pad_p`. */
import { ShapedArray } from "../aval.js"
import { shapeError, dtypeError } from "../errors.js"
import type { PrimitiveDef } from "../primitive.js"
import type { Tensor } from "../Tensor.js"
import { bind1 } from "../trace.js"
import * as lax from "../lax.js"
import * as K from "../../../kernels/index.js"
import { range } from "../shape.js"
import { isUndef, wrap } from "./families.js"
type PadParams = { config: Array<[number, number, number]> }

export const pad: PrimitiveDef<PadParams> = {
  name: "pad",
  impl: ([x, v], { config }) => [wrap(K.pad(x!.host, Number(v!.host.data[0]), config))],
  abstractEval: ([x, v], { config }) => {
    if (v!.ndim !== 0) throw shapeError("pad", `the padding value must be a scalar, got ${v!.toString()}.`)
    if (v!.dtype !== x!.dtype) throw dtypeError("pad", `padding value ${v!.toString()} must have the dtype of ${x!.toString()}.`)
    if (config.length !== x!.ndim) throw shapeError("pad", `needs one (lo, hi, interior) triple per axis of ${x!.toString()}, got ${config.length}.`)
    const shape = x!.shape.map((d, i) => {
      const [lo, hi, interior] = config[i]!
      if (interior < 0) throw shapeError("pad", `interior padding must be >= 0, got ${interior}.`)
      const out = lo + hi + d + Math.max(0, d - 1) * interior
      if (out < 0) throw shapeError("pad", `padding ${JSON.stringify(config[i])} makes axis ${i} of ${x!.toString()} negative.`)
      return out
    })
    return [new ShapedArray(shape, x!.dtype)]
  },
  jvp: ([x, v], [tx, tv], params) => {
    const o = bind1(pad, [x!, v!], params)
    if (!tx && !tv) return [[o], [null]]
    return [[o], [bind1(pad, [tx ?? lax.zerosLike(x!), tv ?? lax.zerosLike(v!)], params)]]
  },
  transpose: (cts, [x, v], { config }) => {
    const t = cts[0]
    if (!t) return [null, null]
    const zero = lax.scalar(0, t.dtype)
    const unpadded = lax.pad(t, zero, config.map(([lo, hi]) => [-lo, -hi, 0] as const))
    const tOperand = lax.slice(unpadded, unpadded.shape.map(() => 0), unpadded.shape, config.map(([, , i]) => i + 1))
    const all = (y: Tensor) => lax.reduceSum(y, range(y.ndim))
    return [isUndef(x) ? tOperand : null, isUndef(v) ? lax.sub(all(t), all(tOperand)) : null]
  },
  batch: ([x, v], [dx, dv], { config }) => {
    if (dv !== null) throw shapeError("pad", "vmap over the padding value is not supported; pass an unbatched scalar padding value.")
    const xm = lax.moveAxis(x!, dx!, 0)
    return [[bind1(pad, [xm, v!], { config: [[0, 0, 0], ...config] })], [0]]
  },
  printParams: (p) => `padding_config=(${p.config.map((c) => `(${c.join(", ")})`).join(", ")})`
}
