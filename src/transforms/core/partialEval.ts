/**
 * Partial evaluation of a jaxpr by dataflow (JAX: `pe.partial_eval_jaxpr_nounits`): split it
 * into a known part and an unknown part that receives the known values it needs (residuals).
 */
import { Jaxpr, Lit, Var, ClosedJaxpr, type Atom, type JaxprEqn, typecheckJaxpr } from "./jaxpr.js"

export interface PartialEvalResult {
  /** known invars -> [known outs (those not forced unknown), residuals] */
  readonly known: ClosedJaxpr
  /** [residuals, unknown invars] -> unknown outs */
  readonly unknown: Jaxpr
  readonly numResiduals: number
}

/** Move a closed jaxpr's constants to leading inputs (closure conversion). */
export const closureConvert = (cj: ClosedJaxpr): Jaxpr => new Jaxpr([], [...cj.jaxpr.constvars, ...cj.jaxpr.invars], cj.jaxpr.eqns, cj.jaxpr.outs)

/**
 * `unknownIns[i]` marks invar i as unknown; `outUnknown[j]` says output j must be produced by
 * the unknown part (a known value there is forwarded as a residual).
 */
export const partialEvalJaxpr = (cj: ClosedJaxpr, unknownIns: ReadonlyArray<boolean>, outUnknown: ReadonlyArray<boolean>): PartialEvalResult => {
  const jaxpr = cj.jaxpr
  const unknown = new Set<Var>()
  jaxpr.invars.forEach((v, i) => unknownIns[i] && unknown.add(v))
  const knownEqns: JaxprEqn[] = []
  const unknownEqns: JaxprEqn[] = []
  for (const eqn of jaxpr.eqns) {
    if (eqn.inputs.some((a) => a instanceof Var && unknown.has(a))) {
      unknownEqns.push(eqn)
      eqn.outBinders.forEach((v) => unknown.add(v))
    } else knownEqns.push(eqn)
  }
  const residuals: Var[] = []
  const addRes = (a: Atom) => {
    if (a instanceof Var && !unknown.has(a) && !residuals.includes(a)) residuals.push(a)
  }
  unknownEqns.forEach((e) => e.inputs.forEach(addRes))
  jaxpr.outs.forEach((o, j) => {
    if (outUnknown[j]) addRes(o)
    else if (o instanceof Var && unknown.has(o)) throw new Error("partial eval: an output required known depends on unknown inputs")
  })
  // residuals that are literals stay literals; constvars remain consts of the known side
  const knownOuts = jaxpr.outs.filter((_, j) => !outUnknown[j])
  const known = new Jaxpr(jaxpr.constvars, jaxpr.invars.filter((_, i) => !unknownIns[i]), knownEqns, [...knownOuts, ...residuals])
  typecheckJaxpr(known)
  // the unknown side binds fresh copies of the residual vars
  const fresh = new Map<Var, Var>(residuals.map((r) => [r, new Var(r.aval)]))
  const rename = (a: Atom): Atom => (a instanceof Lit ? a : fresh.get(a) ?? a)
  const unknownJaxpr = new Jaxpr(
    [],
    [...residuals.map((r) => fresh.get(r)!), ...jaxpr.invars.filter((_, i) => unknownIns[i])],
    unknownEqns.map((e) => ({ ...e, inputs: e.inputs.map(rename) })),
    jaxpr.outs.filter((_, j) => outUnknown[j]).map(rename)
  )
  typecheckJaxpr(unknownJaxpr)
  return { known: new ClosedJaxpr(known, cj.consts), unknown: unknownJaxpr, numResiduals: residuals.length }
}
