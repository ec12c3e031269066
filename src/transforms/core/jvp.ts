/** Forward mode (Autodidax: JVPTrace). Tangents may be symbolic zeros (`null`). */
import type { ShapedArray } from "./aval.js"
import type { Primitive, Tangent } from "./primitive.js"
import { Tensor } from "./Tensor.js"
import { Trace, Tracer, newMain } from "./trace.js"
import * as lax from "./lax.js"

export class JVPTracer extends Tracer {
  constructor(trace: Trace, readonly primal: Tensor, readonly tangent: Tangent) {
    super(trace)
  }
  get aval(): ShapedArray {
    return this.primal.aval
  }
}

export class JVPTrace extends Trace {
  pure(val: Tensor): Tracer {
    return new JVPTracer(this, val, null)
  }
  processPrimitive(prim: Primitive, tracers: Tensor[], params: any): Tensor[] {
    const ts = tracers as JVPTracer[]
    const [primalsOut, tangentsOut] = prim.jvp(
      ts.map((t) => t.primal),
      ts.map((t) => t.tangent),
      params
    )
    return primalsOut.map((p, i) => new JVPTracer(this, p, tangentsOut[i] ?? null))
  }
}

/**
 * Forward-mode evaluation on flat lists: returns primal outputs and tangent outputs (tangents
 * instantiated to zeros where they are symbolic).
 */
export const jvpFlat = (
  f: (...xs: Tensor[]) => Tensor[],
  primals: ReadonlyArray<Tensor>,
  tangents: ReadonlyArray<Tangent>,
  transform = "jax.jvp"
): [Tensor[], Tensor[]] =>
  newMain(JVPTrace, transform, null, (main) => {
    const trace = new JVPTrace(main)
    const tracersIn = primals.map((p, i) => new JVPTracer(trace, p, tangents[i] ?? null))
    const outs = f(...tracersIn)
    const primalsOut: Tensor[] = []
    const tangentsOut: Tensor[] = []
    for (const o of outs) {
      const t = trace.fullRaise(o) as JVPTracer
      primalsOut.push(t.primal)
      tangentsOut.push(t.tangent ?? lax.zerosLike(t.primal.aval))
    }
    return [primalsOut, tangentsOut]
  })
