/**
 * The jaxpr IR (Autodidax part 2): a typed, first-order program a compiler can walk. Built by
 * tracing with `JaxprTrace`, typechecked, evaluated, printed like JAX's.
 */
import { ShapedArray } from "./aval.js"
import type { Primitive } from "./primitive.js"
import { ConcreteTensor, Tensor } from "./Tensor.js"
import { MainTrace, Trace, Tracer, bind, newMain, withDynamic } from "./trace.js"
import { checking, currentModulePath, withModulePath } from "./debugNans.js"
import { shortName } from "../../kernels/dtype.js"

export class Var {
  constructor(readonly aval: ShapedArray) {}
}
/** A literal scalar constant inlined into an equation. */
export class Lit {
  constructor(readonly val: ConcreteTensor) {}
  get aval(): ShapedArray {
    return this.val.aval
  }
}
export type Atom = Var | Lit

export interface JaxprEqn {
  readonly primitive: Primitive
  readonly inputs: ReadonlyArray<Atom>
  readonly params: any
  readonly outBinders: ReadonlyArray<Var>
  /**
   * The Haiku module path the equation was traced in, recorded only while `jax.config`'s
   * debugNans/debugInfs is on (JAX keeps a name stack per equation), so a NaN found when the
   * jaxpr is re-run names the module.
   */
  readonly modulePath?: string | null
}

/** `{ lambda consts ; invars. let eqns in outs }` */
export class Jaxpr {
  /** A jaxpr from its constant and input variables, equations and outputs (built by tracing, not by hand). */
  constructor(
    readonly constvars: ReadonlyArray<Var>,
    readonly invars: ReadonlyArray<Var>,
    readonly eqns: ReadonlyArray<JaxprEqn>,
    readonly outs: ReadonlyArray<Atom>
  ) {}
  /** The abstract values (shape and dtype) of the inputs. */
  get inAvals(): ShapedArray[] {
    return this.invars.map((v) => v.aval)
  }
  /** The abstract values of the outputs. */
  get outAvals(): ShapedArray[] {
    return this.outs.map((v) => v.aval)
  }
  /** The jaxpr printed as JAX prints one: `{ lambda ; a:f32[3]. let b:f32[3] = sin a in (b) }`. */
  toString(): string {
    return printJaxpr(this, [])
  }
}

/** A jaxpr together with the values of its constants. JAX: `ClosedJaxpr`. */
export class ClosedJaxpr {
  /** `jaxpr` with `consts`, the values of its constant variables. */
  constructor(readonly jaxpr: Jaxpr, readonly consts: ReadonlyArray<Tensor>) {}
  /** The abstract values (shape and dtype) of the inputs. */
  get inAvals(): ShapedArray[] {
    return this.jaxpr.inAvals
  }
  /** The abstract values of the outputs. */
  get outAvals(): ShapedArray[] {
    return this.jaxpr.outAvals
  }
  /** The jaxpr printed as JAX prints one, constants included. */
  toString(): string {
    return printJaxpr(this.jaxpr, this.consts)
  }
}

// ---------------------------------------------------------------- evaluation

/** Evaluate a jaxpr by binding each equation: under a transform this is how jaxprs get transformed. */
export const evalJaxpr = (jaxpr: Jaxpr, consts: ReadonlyArray<Tensor>, args: ReadonlyArray<Tensor>): Tensor[] => {
  const env = new Map<Var, Tensor>()
  const read = (a: Atom): Tensor => (a instanceof Lit ? a.val : env.get(a)!)
  jaxpr.constvars.forEach((v, i) => env.set(v, consts[i]!))
  jaxpr.invars.forEach((v, i) => env.set(v, args[i]!))
  for (const eqn of jaxpr.eqns) {
    const outs = checking
      ? withModulePath(eqn.modulePath, () => bind(eqn.primitive, eqn.inputs.map(read), eqn.params))
      : bind(eqn.primitive, eqn.inputs.map(read), eqn.params)
    eqn.outBinders.forEach((v, i) => env.set(v, outs[i]!))
  }
  return jaxpr.outs.map(read)
}

export const evalClosed = (cj: ClosedJaxpr, args: ReadonlyArray<Tensor>): Tensor[] => evalJaxpr(cj.jaxpr, cj.consts, args)

// ---------------------------------------------------------------- typecheck

export class JaxprTypeError extends Error {
  override readonly name = "JaxprTypeError"
}

/** Check every equation's output avals against its shape rule and that vars are bound once. */
export const typecheckJaxpr = (jaxpr: Jaxpr): void => {
  const env = new Set<Var>()
  const bindVar = (v: Var) => {
    if (env.has(v)) throw new JaxprTypeError("jaxpr binds a variable twice")
    env.add(v)
  }
  jaxpr.constvars.forEach(bindVar)
  jaxpr.invars.forEach(bindVar)
  for (const eqn of jaxpr.eqns) {
    for (const a of eqn.inputs) if (a instanceof Var && !env.has(a)) throw new JaxprTypeError(`${eqn.primitive.name} reads an unbound variable`)
    const expected = eqn.primitive.abstractEval(eqn.inputs.map((a) => a.aval), eqn.params)
    if (expected.length !== eqn.outBinders.length || expected.some((e, i) => !e.equals(eqn.outBinders[i]!.aval))) {
      throw new JaxprTypeError(`${eqn.primitive.name}: binders ${eqn.outBinders.map((b) => b.aval).join(", ")} do not match its shape rule ${expected.join(", ")}`)
    }
    eqn.outBinders.forEach(bindVar)
  }
  for (const o of jaxpr.outs) if (o instanceof Var && !env.has(o)) throw new JaxprTypeError("jaxpr returns an unbound variable")
}

// ---------------------------------------------------------------- tracing to a jaxpr

export class JaxprTracer extends Tracer {
  constructor(trace: Trace, readonly aval: ShapedArray) {
    super(trace)
  }
}

/** Collects equations while tracing. */
export class JaxprBuilder {
  readonly eqns: JaxprEqn[] = []
  readonly tracerToVar = new Map<JaxprTracer, Var>()
  readonly constTracers = new Map<Tensor, JaxprTracer>()
  readonly constVals = new Map<Var, Tensor>()
  readonly tracers: JaxprTracer[] = []

  newTracer(trace: Trace, aval: ShapedArray): JaxprTracer {
    const t = new JaxprTracer(trace, aval)
    this.tracers.push(t)
    return t
  }
  getVar(t: JaxprTracer): Var {
    let v = this.tracerToVar.get(t)
    if (!v) throw new Error("jaxpr builder: tracer from another trace")
    return v
  }
  addVar(t: JaxprTracer): Var {
    const v = new Var(t.aval)
    this.tracerToVar.set(t, v)
    return v
  }
  addConst(trace: Trace, val: Tensor): JaxprTracer {
    const existing = this.constTracers.get(val)
    if (existing) return existing
    const t = this.newTracer(trace, val.aval)
    this.constTracers.set(val, t)
    this.constVals.set(this.addVar(t), val)
    return t
  }

  build(inTracers: ReadonlyArray<JaxprTracer>, outTracers: ReadonlyArray<JaxprTracer>): ClosedJaxpr {
    const invars = inTracers.map((t) => this.getVar(t))
    const constEntries = [...this.constVals.entries()]
    // inline scalar constants as literals, as JAX does
    const literal = new Map<Var, Lit>()
    const constvars: Var[] = []
    const consts: Tensor[] = []
    for (const [v, val] of constEntries) {
      if (val instanceof ConcreteTensor && val.ndim === 0) literal.set(v, new Lit(val))
      else {
        constvars.push(v)
        consts.push(val)
      }
    }
    const atom = (v: Var): Atom => literal.get(v) ?? v
    const eqns = this.eqns.map((e) => ({ ...e, inputs: e.inputs.map((a) => (a instanceof Var ? atom(a) : a)) }))
    const jaxpr = new Jaxpr(constvars, invars, eqns, outTracers.map((t) => atom(this.getVar(t))))
    typecheckJaxpr(jaxpr)
    return new ClosedJaxpr(jaxpr, consts)
  }
}

export class JaxprTrace extends Trace {
  get builder(): JaxprBuilder {
    return this.main.globalData as JaxprBuilder
  }
  pure(val: Tensor): Tracer {
    return this.builder.addConst(this, val)
  }
  processPrimitive(prim: Primitive, tracers: Tensor[], params: any): Tensor[] {
    const ts = tracers as JaxprTracer[]
    const avalsOut = prim.abstractEval(ts.map((t) => t.aval), params)
    const inputs = ts.map((t) => this.builder.getVar(t))
    const outs = avalsOut.map((a) => this.builder.newTracer(this, a))
    const outBinders = outs.map((o) => this.builder.addVar(o))
    this.builder.eqns.push(checking ? { primitive: prim, inputs, params, outBinders, modulePath: currentModulePath() } : { primitive: prim, inputs, params, outBinders })
    return outs
  }
}

/**
 * Trace `f` on abstract inputs into a closed jaxpr. With `dynamic` (the default), every
 * primitive is staged, including those on constants: no kernel runs.
 */
export const traceToJaxpr = (
  f: (...xs: Tensor[]) => Tensor[],
  inAvals: ReadonlyArray<ShapedArray>,
  transform: string,
  dynamic = true
): { closed: ClosedJaxpr; main: MainTrace } => {
  const builder = new JaxprBuilder()
  return newMain(JaxprTrace, transform, builder, (main) => {
    const trace = new JaxprTrace(main)
    const inTracers = inAvals.map((a) => {
      const t = builder.newTracer(trace, a)
      builder.addVar(t)
      return t
    })
    const run = () => f(...inTracers).map((o) => trace.fullRaise(o) as JaxprTracer)
    const outs = dynamic ? withDynamic(main, run) : run()
    return { closed: builder.build(inTracers, outs), main }
  })
}

// ---------------------------------------------------------------- printing

const names = (): ((v: Var) => string) => {
  const map = new Map<Var, string>()
  return (v) => {
    let n = map.get(v)
    if (n === undefined) {
      let i = map.size
      n = ""
      do {
        n = String.fromCharCode(97 + (i % 26)) + n
        i = Math.floor(i / 26) - 1
      } while (i >= 0)
      map.set(v, n)
    }
    return n
  }
}

const showLit = (l: Lit): string => {
  const v = Number(l.val.host.data[0])
  const s = l.val.dtype === "float32" ? (Number.isInteger(v) ? `${v}.0` : String(v)) : l.val.dtype === "bool" ? (v ? "True" : "False") : String(v)
  return `${s}:${shortName(l.val.dtype)}[]`
}

const printParams = (eqn: JaxprEqn): string => {
  const p = eqn.primitive.printParams
  if (p) return p(eqn.params)
  const keys = Object.keys(eqn.params ?? {})
  return keys.map((k) => `${k}=${JSON.stringify(eqn.params[k])}`).join(" ")
}

export const printJaxpr = (jaxpr: Jaxpr, _consts: ReadonlyArray<Tensor>, indent = ""): string => {
  const name = names()
  const binder = (v: Var) => `${name(v)}:${v.aval.toString()}`
  const atom = (a: Atom) => (a instanceof Lit ? showLit(a) : name(a))
  const lines: string[] = []
  const head = `{ lambda ${jaxpr.constvars.map(binder).join(" ")}; ${jaxpr.invars.map(binder).join(" ")}. let`
  lines.push(indent + head)
  for (const eqn of jaxpr.eqns) {
    const lhs = eqn.outBinders.map(binder).join(" ")
    const params = printParams(eqn)
    const subs = eqn.primitive.subJaxprs?.(eqn.params) ?? []
    let paramsStr = params ? `[${params}]` : ""
    if (subs.length > 0) {
      const inner = subs.map((s) => `${s.name}=${printJaxpr((s.jaxpr as ClosedJaxpr).jaxpr ?? (s.jaxpr as Jaxpr), [], indent + "      ").trimStart()}`).join("\n" + indent + "      ")
      paramsStr = `[\n${indent}      ${inner}${params ? `\n${indent}      ${params}` : ""}\n${indent}    ]`
    }
    lines.push(`${indent}    ${lhs} = ${eqn.primitive.name}${paramsStr} ${eqn.inputs.map(atom).join(" ")}`)
  }
  const outs = jaxpr.outs.map(atom)
  lines.push(`${indent}  in (${outs.join(", ")}${outs.length === 1 ? "," : ""}) }`)
  return lines.join("\n")
}
