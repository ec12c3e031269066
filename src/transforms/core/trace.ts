/**
 * The interpreter stack (Autodidax part 1): every transform pushes a `MainTrace` at a new
 * level; `bind` hands a primitive to the trace of its highest-level argument. Synchronous and
 * Effect-free: this is the hot path.
 */
import { ShapedArray } from "./aval.js"
import { ConcreteTensor, Tensor } from "./Tensor.js"
import { UnexpectedTracerError } from "./errors.js"
import type { Primitive } from "./primitive.js"
import { checkOutputs, checking } from "./debugNans.js"

export type TraceCtor = new (main: MainTrace) => Trace

/** One active transform: its level in the stack, its trace class and any data it shares. */
export class MainTrace {
  alive = true
  constructor(
    readonly level: number,
    readonly traceType: TraceCtor,
    readonly transform: string,
    readonly globalData: unknown
  ) {}
}

export abstract class Trace {
  constructor(readonly main: MainTrace) {}
  /** Box a value from below this trace (concrete, or a lower-level tracer). */
  abstract pure(val: Tensor): Tracer
  lift(val: Tensor): Tracer {
    return this.pure(val)
  }
  abstract processPrimitive(prim: Primitive, tracers: Tensor[], params: any): Tensor[]

  fullRaise(val: Tensor): Tensor {
    if (!(val instanceof Tracer)) return this.pure(val)
    const level = this.main.level
    if (val.trace.main === this.main) return val
    if (val.trace.main.level < level) return this.lift(val)
    throw leaked(val.trace.main, `a value from ${val.trace.main.transform} reached ${this.main.transform} at a lower level`)
  }
}

/** A tensor that stands for a value while a transform runs. */
export abstract class Tracer extends Tensor {
  constructor(readonly trace: Trace) {
    super()
  }
  /** The value seen by the trace one level down. */
  fullLower(): Tensor {
    return this
  }
  /** A live tracer has no data yet (ConcretizationError); a dead one leaked out of its transform. */
  protected override concrete(what: string): ConcreteTensor {
    if (!this.trace.main.alive) throw leaked(this.trace.main, `${what}() was called on it`)
    return super.concrete(what)
  }
}

/** Level 0: primitives run their kernels. */
export class EvalTrace extends Trace {
  pure(val: Tensor): Tracer {
    return val as unknown as Tracer
  }
  override fullRaise(val: Tensor): Tensor {
    if (val instanceof Tracer) throw leaked(val.trace.main, "it reached eager evaluation")
    return val
  }
  processPrimitive(prim: Primitive, tracers: Tensor[], params: any): Tensor[] {
    // the shape rule validates eagerly too, so eager and traced code fail with the same error
    prim.abstractEval(tracers.map((t) => t.aval), params)
    const outs = prim.impl(tracers as ConcreteTensor[], params)
    // jax.config debugNans/debugInfs: the one test paid when they are off
    if (checking) checkOutputs(prim, tracers, outs)
    return outs
  }
}

const traceStack: MainTrace[] = [new MainTrace(0, EvalTrace, "eager evaluation", null)]
let dynamicTrace: MainTrace | null = null

const leaked = (main: MainTrace, how: string): UnexpectedTracerError =>
  new UnexpectedTracerError({
    transform: main.transform,
    message:
      `Encountered an unexpected tracer: a value traced by ${main.transform} was used after ${main.transform} ` +
      `returned (${how}). It leaked, e.g. by being stored in an outer variable or in Haiku state. ` +
      `Return it from the transformed function instead; inside hk.transform use the hk.* transform ` +
      `(hk.vmap, hk.grad, hk.evalShape, …) or hk.lift.`
  })

/** Run `fn` with a new transform level pushed on the stack. */
export const newMain = <A>(traceType: TraceCtor, transform: string, globalData: unknown, fn: (main: MainTrace) => A): A => {
  const main = new MainTrace(traceStack.length, traceType, transform, globalData)
  traceStack.push(main)
  try {
    return fn(main)
  } finally {
    traceStack.pop()
    main.alive = false
  }
}

/** Run `fn` with `main` as the dynamic trace: every primitive is staged into it (omnistaging). */
export const withDynamic = <A>(main: MainTrace, fn: () => A): A => {
  const prev = dynamicTrace
  dynamicTrace = main
  try {
    return fn()
  } finally {
    dynamicTrace = prev
  }
}

/** True when no transform is staging primitives (eager evaluation of concrete values). */
export const stagingActive = (): boolean => dynamicTrace !== null

/** The current depth of the stack (0 = eager). */
export const currentLevel = (): number => traceStack.length - 1

/** The transform running at the current level (`"eager evaluation"` at level 0). */
export const currentTransform = (): string => traceStack[traceStack.length - 1]!.transform

const findTopTrace = (args: ReadonlyArray<Tensor>): Trace => {
  let top = traceStack[0]!
  for (const x of args) {
    if (x instanceof Tracer) {
      const main = x.trace.main
      if (!main.alive) throw leaked(main, "it was used later")
      if (main.level > top.level) top = main
    }
  }
  if (dynamicTrace !== null && dynamicTrace.level > top.level) top = dynamicTrace
  return new top.traceType(top)
}

const fullLower = (x: Tensor): Tensor => (x instanceof Tracer ? x.fullLower() : x)

/** Apply a primitive to arguments: the heart of every transform. */
export const bind = (prim: Primitive, args: ReadonlyArray<Tensor>, params: any = {}): Tensor[] => {
  const trace = findTopTrace(args)
  const tracers = args.map((a) => trace.fullRaise(a))
  const outs = trace.processPrimitive(prim, tracers, params)
  return outs.map(fullLower)
}

export const bind1 = (prim: Primitive, args: ReadonlyArray<Tensor>, params: any = {}): Tensor => bind(prim, args, params)[0]!

export const getAval = (x: Tensor): ShapedArray => x.aval
