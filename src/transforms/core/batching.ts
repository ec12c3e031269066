/** Vectorisation (Autodidax: BatchTrace): each tracer carries a batch dim or `null`. */
import { ShapedArray } from "./aval.js"
import type { BatchDim, Primitive } from "./primitive.js"
import { Tensor } from "./Tensor.js"
import { Trace, Tracer, newMain } from "./trace.js"
import * as lax from "./lax.js"
import { TransformArgumentError } from "./errors.js"

export class BatchTracer extends Tracer {
  constructor(trace: Trace, readonly val: Tensor, readonly batchDim: BatchDim) {
    super(trace)
  }
  get aval(): ShapedArray {
    if (this.batchDim === null) return this.val.aval
    const shape = this.val.shape.filter((_, i) => i !== this.batchDim)
    return new ShapedArray(shape, this.val.dtype)
  }
  override fullLower(): Tensor {
    return this.batchDim === null ? this.val : this
  }
}

export class BatchTrace extends Trace {
  get axisSize(): number {
    return this.main.globalData as number
  }
  pure(val: Tensor): Tracer {
    return new BatchTracer(this, val, null)
  }
  processPrimitive(prim: Primitive, tracers: Tensor[], params: any): Tensor[] {
    const ts = tracers as BatchTracer[]
    const valsIn = ts.map((t) => t.val)
    const dimsIn = ts.map((t) => t.batchDim)
    if (dimsIn.every((d) => d === null)) {
      // nothing mapped reaches this primitive: apply it once, unbatched
      return prim.batch === undefined ? [] : bindUnbatched(prim, valsIn, params).map((v) => new BatchTracer(this, v, null))
    }
    const [valsOut, dimsOut] = prim.batch(valsIn, dimsIn, params, this.axisSize)
    return valsOut.map((v, i) => new BatchTracer(this, v, dimsOut[i] ?? null))
  }
}

import { bind } from "./trace.js"
const bindUnbatched = (prim: Primitive, vals: Tensor[], params: any): Tensor[] => bind(prim, vals, params)

/** Map `f` over `axisSize` slices of the flat inputs; outputs are moved to `outDims`. */
export const vmapFlat = (
  f: (...xs: Tensor[]) => Tensor[],
  axisSize: number,
  inDims: ReadonlyArray<BatchDim>,
  outDims: (nOut: number) => ReadonlyArray<BatchDim>,
  args: ReadonlyArray<Tensor>
): Tensor[] =>
  newMain(BatchTrace, "jax.vmap", axisSize, (main) => {
    const trace = new BatchTrace(main)
    const tracersIn = args.map((x, i) => (inDims[i] === null ? x : new BatchTracer(trace, x, inDims[i]!)))
    const outs = f(...tracersIn)
    const od = outDims(outs.length)
    return outs.map((o, i) => {
      const t = trace.fullRaise(o) as BatchTracer
      const want = od[i] === undefined ? 0 : od[i]!
      if (want === null) {
        if (t.batchDim !== null) {
          throw new TransformArgumentError({ transform: "jax.vmap", message: `jax.vmap: output ${i} was given outAxes null but it varies over the mapped axis (${t.val.aval}); give it an axis (e.g. 0), or return a value that does not depend on the mapped inputs.` })
        }
        return t.val
      }
      const moved = t.batchDim === null ? lax.broadcastInDim(t.val, [axisSize, ...t.val.shape], t.val.shape.map((_, k) => k + 1)) : lax.moveAxis(t.val, t.batchDim, 0)
      return lax.moveAxis(moved, 0, want < 0 ? want + moved.ndim : want)
    })
  })
