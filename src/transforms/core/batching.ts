/** Vectorisation (Autodidax: BatchTrace): each tracer carries a batch dim or `null`. */
import { ShapedArray } from "./aval.js"
import type { BatchDim, Primitive } from "./primitive.js"
import { Tensor } from "./Tensor.js"
import { Trace, Tracer, bind, newMain } from "./trace.js"
import { ClosedJaxpr, evalClosed, traceToJaxpr } from "./jaxpr.js"
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
      return bind(prim, valsIn, params).map((v) => new BatchTracer(this, v, null))
    }
    const [valsOut, dimsOut] = prim.batch(valsIn, dimsIn, params, this.axisSize)
    return valsOut.map((v, i) => new BatchTracer(this, v, dimsOut[i] ?? null))
  }
}


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

/**
 * Map `f` with outputs left where the trace puts them: each output is returned batched at 0,
 * or unbatched when it does not depend on a mapped input (and `force[i]` is false).
 */
export const vmapFlatNatural = (
  f: (...xs: Tensor[]) => Tensor[],
  axisSize: number,
  inDims: ReadonlyArray<BatchDim>,
  force: ReadonlyArray<boolean>,
  args: ReadonlyArray<Tensor>
): [Tensor[], boolean[]] =>
  newMain(BatchTrace, "jax.vmap", axisSize, (main) => {
    const trace = new BatchTrace(main)
    const tracersIn = args.map((x, i) => (inDims[i] === null ? x : new BatchTracer(trace, x, inDims[i]!)))
    const outs = f(...tracersIn).map((o) => trace.fullRaise(o) as BatchTracer)
    const batched = outs.map((t, i) => t.batchDim !== null || (force[i] ?? false))
    const vals = outs.map((t, i) => {
      if (!batched[i]) return t.val
      return t.batchDim === null ? lax.broadcastInDim(t.val, [axisSize, ...t.val.shape], t.val.shape.map((_, k) => k + 1)) : lax.moveAxis(t.val, t.batchDim, 0)
    })
    return [vals, batched]
  })


/**
 * The batched version of a closed jaxpr: inputs mapped at 0 where `inDims` says so; outputs
 * batched at 0 where they depend on a mapped input or `force` asks, else unbatched.
 */
export const batchJaxpr = (
  closed: ClosedJaxpr,
  axisSize: number,
  inDims: ReadonlyArray<BatchDim>,
  force: ReadonlyArray<boolean>,
  name: string
): { jaxpr: ClosedJaxpr; outBatched: boolean[] } => {
  let outBatched: boolean[] = []
  const { closed: jaxpr } = traceToJaxpr(
    (...a: Tensor[]) => {
      const [vals, b] = vmapFlatNatural((...xs) => evalClosed(closed, xs), axisSize, inDims, force, a)
      outBatched = b
      return vals
    },
    closed.inAvals.map((a, i) => (inDims[i] === null ? a : new ShapedArray([axisSize, ...a.shape], a.dtype))),
    name
  )
  return { jaxpr, outBatched }
}
