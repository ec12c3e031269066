/** Reverse mode: transpose a linear jaxpr (Autodidax: backward_pass). */
import type { Jaxpr, Atom } from "./jaxpr.js"
import { Lit, Var } from "./jaxpr.js"
import type { Tangent } from "./primitive.js"
import { UndefPrimal } from "./primitive.js"
import type { Tensor } from "./Tensor.js"
import { bind } from "./trace.js"
import { addTangents } from "./primitives/families.js"
import { checking, withModulePath } from "./debugNans.js"

/**
 * Given a jaxpr linear in the inputs marked `UndefPrimal`, and cotangents for its outputs,
 * return the cotangents of those inputs (`null` = zero).
 */
export const backwardPass = (
  jaxpr: Jaxpr,
  consts: ReadonlyArray<Tensor>,
  args: ReadonlyArray<Tensor | UndefPrimal>,
  cotangents: ReadonlyArray<Tangent>
): Tangent[] => {
  const primalEnv = new Map<Var, Tensor>()
  const ctEnv = new Map<Var, Tangent>()
  const readPrimal = (a: Atom): Tensor | UndefPrimal => (a instanceof Lit ? a.val : primalEnv.get(a) ?? new UndefPrimal(a.aval))
  const writeCt = (a: Atom, ct: Tangent) => {
    if (a instanceof Lit || ct === null) return
    ctEnv.set(a, addTangents(ctEnv.get(a) ?? null, ct))
  }
  jaxpr.constvars.forEach((v, i) => primalEnv.set(v, consts[i]!))
  jaxpr.invars.forEach((v, i) => {
    const x = args[i]!
    if (!(x instanceof UndefPrimal)) primalEnv.set(v, x)
  })
  jaxpr.outs.forEach((o, i) => writeCt(o, cotangents[i] ?? null))
  // forward-evaluate equations that depend only on known values (non-linear residual work)
  const linear = new Set<Var>()
  jaxpr.invars.forEach((v, i) => {
    if (args[i] instanceof UndefPrimal) linear.add(v)
  })
  const linearEqns = []
  for (const eqn of jaxpr.eqns) {
    if (eqn.inputs.some((a) => a instanceof Var && linear.has(a))) {
      eqn.outBinders.forEach((v) => linear.add(v))
      linearEqns.push(eqn)
    } else {
      const run = () => bind(eqn.primitive, eqn.inputs.map((a) => readPrimal(a) as Tensor), eqn.params)
      const outs = checking ? withModulePath(eqn.modulePath, run) : run()
      eqn.outBinders.forEach((v, i) => primalEnv.set(v, outs[i]!))
    }
  }
  for (let k = linearEqns.length - 1; k >= 0; k--) {
    const eqn = linearEqns[k]!
    const cts = eqn.outBinders.map((v) => ctEnv.get(v) ?? null)
    eqn.outBinders.forEach((v) => ctEnv.delete(v))
    if (cts.every((c) => c === null)) continue
    const rule = eqn.primitive.transpose
    if (rule === "nonlinear") {
      throw new Error(`Transpose rule for '${eqn.primitive.name}' not implemented: it is not linear in its traced input (internal error in linearize)`)
    }
    const ctsIn = checking ? withModulePath(eqn.modulePath, () => rule(cts, eqn.inputs.map(readPrimal), eqn.params)) : rule(cts, eqn.inputs.map(readPrimal), eqn.params)
    eqn.inputs.forEach((a, i) => {
      if (a instanceof Var && linear.has(a)) writeCt(a, ctsIn[i] ?? null)
    })
  }
  return jaxpr.invars.map((v, i) => (args[i] instanceof UndefPrimal ? ctEnv.get(v) ?? null : null))
}
