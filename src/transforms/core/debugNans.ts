/**
 * NaN and Inf hunting (JAX: `jax_debug_nans`, `jax_debug_infs`). With a flag on, every primitive
 * evaluated on concrete values has its float outputs scanned, and the first one holding a NaN
 * (or ±Inf) raises a `FloatingPointError` naming the primitive, its input and output avals and,
 * under Haiku, the module path it ran in. Off (the default) the interpreter pays one boolean test
 * per primitive (`checking`, read by `EvalTrace`) and nothing else.
 *
 * The module path is Haiku's business: the effects layer installs a reader
 * (`setModulePathReader`), so this layer never imports upward. Equations staged into a jaxpr
 * while a flag is on record the path they were traced in (`JaxprEqn.modulePath`); re-running a
 * jaxpr (jit's de-optimized re-run, a backward pass, a scan body) makes each equation's recorded
 * path current while it binds (`withModulePath`).
 */
import type { ShapedArray } from "./aval.js"
import { FloatingPointError } from "./errors.js"
import type { Primitive } from "./primitive.js"
import type { ConcreteTensor, Tensor } from "./Tensor.js"

/** `jax_debug_nans`: raise on the first primitive result that holds a NaN. */
let nans = false
/** `jax_debug_infs`: raise on the first primitive result that holds +Inf or -Inf. */
let infs = false
/** `nans || infs`: the one test the hot path makes. */
export let checking = false

/** Sets `debugNans`. */
export const setNans = (on: boolean): void => {
  nans = on
  checking = nans || infs
}
/** Sets `debugInfs`. */
export const setInfs = (on: boolean): void => {
  infs = on
  checking = nans || infs
}
/** Whether `debugNans` is on. */
export const readNans = (): boolean => nans
/** Whether `debugInfs` is on. */
export const readInfs = (): boolean => infs

// ---------------------------------------------------------------- module paths

let modulePathReader: (() => string | null) | null = null
/** The path of the equation being re-run, while one is (see `withModulePath`). */
let replayPath: string | null = null

/** Installed by the Haiku layer: the module path of the running Haiku method, or null outside one. */
export const setModulePathReader = (read: () => string | null): void => {
  modulePathReader = read
}

/** The Haiku module path current at this point: a re-run equation's recorded one, else the running module's. */
export const currentModulePath = (): string | null => replayPath ?? modulePathReader?.() ?? null

/**
 * Run `fn` with `path` as the current module path (when it is a string): used while re-running an
 * equation recorded in a jaxpr, whose module scope is long gone. Only called while `checking`.
 */
export const withModulePath = <A>(path: string | null | undefined, fn: () => A): A => {
  if (typeof path !== "string") return fn()
  const prev = replayPath
  replayPath = path
  try {
    return fn()
  } finally {
    replayPath = prev
  }
}

/** True while jit re-runs a jaxpr op by op after its compiled output held a NaN/Inf. */
let deoptimized = false

/** Run `fn` (jit's op-by-op re-run) so that the errors it raises say they were found that way. */
export const deoptimize = <A>(fn: () => A): A => {
  const prev = deoptimized
  deoptimized = true
  try {
    return fn()
  } finally {
    deoptimized = prev
  }
}

// ---------------------------------------------------------------- the check

/** How many NaN and ±Inf values a tensor holds. */
export interface Counts {
  readonly nan: number
  readonly inf: number
}

const NONE: Counts = { nan: 0, inf: 0 }

/**
 * True when some value is NaN or ±Inf: `v · 0` is 0 for finite `v` and NaN otherwise, so the sum
 * is NaN exactly then. One branch-free pass (about twice as fast as testing each value).
 */
const anyNonFinite = (data: Float32Array): boolean => {
  let acc = 0
  for (let i = 0; i < data.length; i++) acc += data[i]! * 0
  return acc !== 0
}

/** How many NaN and ±Inf a concrete tensor holds (integers and bools hold none). */
export const countsOf = (t: Tensor): Counts => {
  if (t.dtype !== "float32") return NONE
  const data = (t as ConcreteTensor).host.data as Float32Array
  if (!anyNonFinite(data)) return NONE
  let nan = 0
  let inf = 0
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!
    if (v !== v) nan++
    else if (v === Infinity || v === -Infinity) inf++
  }
  return { nan, inf }
}

/** What a primitive typically does to produce each kind, for the message. */
const CAUSES: Readonly<Record<string, string>> = {
  log: "log of a negative number is NaN, log(0) is -Inf",
  log1p: "log1p of a number below -1 is NaN, log1p(-1) is -Inf",
  sqrt: "sqrt of a negative number is NaN",
  rsqrt: "rsqrt of a negative number is NaN, rsqrt(0) is Inf",
  div: "0/0 and Inf/Inf are NaN, x/0 is ±Inf",
  rem: "rem(x, 0) is NaN",
  pow: "a negative base to a fractional power is NaN, 0 to a negative power is Inf",
  exp: "exp overflows float32 to Inf above about 88.7",
  expm1: "expm1 overflows float32 to Inf above about 88.7",
  mul: "0·Inf is NaN, and a product beyond 3.4e38 overflows to Inf",
  sub: "Inf - Inf is NaN",
  add: "Inf + (-Inf) is NaN",
  asin: "asin outside [-1, 1] is NaN",
  acos: "acos outside [-1, 1] is NaN",
  erf_inv: "erf_inv outside [-1, 1] is NaN, erf_inv(±1) is ±Inf",
  tan: "tan near an odd multiple of π/2 overflows",
  sinh: "sinh overflows float32 to Inf above about 89.4",
  cosh: "cosh overflows float32 to Inf above about 89.4",
  reduce_sum: "a sum of large values overflows to Inf, or holds both Inf and -Inf",
  dot_general: "a sum of large products overflows to Inf, or 0·Inf appears in it"
}

const describeInputs = (inputs: ReadonlyArray<ShapedArray>, counts: ReadonlyArray<Counts>): string =>
  inputs
    .map((a, i) => {
      const c = counts[i]!
      const bad = [c.nan > 0 ? `${c.nan} NaN` : "", c.inf > 0 ? `${c.inf} Inf` : ""].filter(Boolean).join(", ")
      return bad ? `${a} (holds ${bad})` : String(a)
    })
    .join(", ")

/** The message of a FloatingPointError, JAX's first line followed by what to do. */
export const floatingPointMessage = (e: {
  readonly primitive: string
  readonly kind: "nan" | "inf"
  readonly inputs: ReadonlyArray<ShapedArray>
  readonly inputCounts: ReadonlyArray<Counts>
  readonly output: ShapedArray
  readonly count: number
  readonly modulePath: string | null
  readonly deoptimized: boolean
}): string => {
  const what = e.kind === "nan" ? "NaN" : "Inf"
  const flag = e.kind === "nan" ? "debugNans" : "debugInfs"
  const where = e.modulePath !== null ? ` in module '${e.modulePath}'` : ""
  const fromInputs = e.inputCounts.some((c) => (e.kind === "nan" ? c.nan > 0 : c.inf > 0))
  const cause = CAUSES[e.primitive]
  const origin = fromInputs
    ? `an input already held ${what}, so it came from outside this primitive (an argument, data, or a constant made without a primitive): check the values passed in`
    : `its inputs held no ${what}, so ${e.primitive} produced it${cause ? ` (${cause})` : ""}: fix the inputs that reach it (clip, mask, or add an epsilon), or rewrite that step`
  const viaJit = e.deoptimized ? ` A jax.jit function's compiled output held ${what}, and re-running it op by op found this primitive.` : ""
  return (
    `invalid value (${e.kind}) encountered in ${e.primitive}${where}: ${e.primitive}(${describeInputs(e.inputs, e.inputCounts)}) -> ${e.output} holds ${e.count} ${what} of ${e.output.size} elements; ` +
    `${origin}.${viaJit} jax.config ${flag} is on, so the first primitive whose result holds ${what} raises; turn it off with ` +
    `jax.config.update("${flag}", false) to continue with ${what} values.`
  )
}

/** The invalid kind a result's counts show under the current flags, or null. */
const kindOf = (c: Counts): "nan" | "inf" | null => (nans && c.nan > 0 ? "nan" : infs && c.inf > 0 ? "inf" : null)

/**
 * Check a primitive's concrete outputs (only called while `checking`): throws the
 * FloatingPointError for the first output holding a NaN/Inf the flags look for.
 */
export const checkOutputs = (prim: Primitive, ins: ReadonlyArray<Tensor>, outs: ReadonlyArray<Tensor>): void => {
  for (let i = 0; i < outs.length; i++) {
    const out = outs[i]!
    const c = countsOf(out)
    const kind = kindOf(c)
    if (kind === null) continue
    throw floatingPointError(prim.name, ins.map((x) => x.aval), ins.map(countsOf), out.aval, i, kind, kind === "nan" ? c.nan : c.inf, currentModulePath(), deoptimized)
  }
}

/** A FloatingPointError with its message built from its fields. */
export const floatingPointError = (
  primitive: string,
  inputs: ReadonlyArray<ShapedArray>,
  inputCounts: ReadonlyArray<Counts>,
  output: ShapedArray,
  outputIndex: number,
  kind: "nan" | "inf",
  count: number,
  modulePath: string | null,
  deoptimized: boolean
): FloatingPointError => {
  const fields = { primitive, kind, inputs, inputCounts, output, outputIndex, count, modulePath, deoptimized }
  return new FloatingPointError({ ...fields, message: floatingPointMessage(fields) })
}

/**
 * The error for a jit call whose compiled output held a NaN/Inf that the op-by-op re-run did not
 * reproduce (JAX: "the de-optimized function did not produce invalid values during its execution").
 */
export const unlocatedInJit = (args: ReadonlyArray<Tensor>, out: ShapedArray, outputIndex: number, kind: "nan" | "inf", count: number): FloatingPointError => {
  const what = kind === "nan" ? "NaN" : "Inf"
  const flag = kind === "nan" ? "debugNans" : "debugInfs"
  const inputCounts = args.map(countsOf)
  const fromArgs = inputCounts.flatMap((c, i) => ((kind === "nan" ? c.nan : c.inf) > 0 ? [i] : []))
  const why =
    fromArgs.length > 0
      ? `argument${fromArgs.length > 1 ? "s" : ""} ${fromArgs.join(", ")} already held ${what} and reached the output without a primitive producing it anew (e.g. returned unchanged); check the values passed in`
      : `the compiled program's fused arithmetic produced a value the op-by-op evaluation does not (a rounding difference at the edge of float32's range); the de-optimized function (the function as if jax.jit were removed) may be used to continue`
  const path = currentModulePath()
  return new FloatingPointError({
    primitive: "jit",
    kind,
    inputs: args.map((a) => a.aval),
    inputCounts,
    output: out,
    outputIndex,
    count,
    modulePath: path,
    deoptimized: true,
    message:
      `invalid value (${kind}) encountered in jit${path !== null ? ` in module '${path}'` : ""}: output ${outputIndex} (${out}) of a jax.jit function holds ${count} ${what}, ` +
      `but re-running the function op by op produced none: ${why}. jax.config ${flag} is on; turn it off with jax.config.update("${flag}", false) to continue with ${what} values.`
  })
}

/**
 * The first output (index and kind) of a compiled jit call that holds what the flags look for, or
 * null: jit checks its outputs only, then re-runs op by op to find the primitive.
 */
export const firstInvalid = (outs: ReadonlyArray<Tensor>): { readonly index: number; readonly kind: "nan" | "inf"; readonly count: number } | null => {
  for (let i = 0; i < outs.length; i++) {
    const c = countsOf(outs[i]!)
    const kind = kindOf(c)
    if (kind !== null) return { index: i, kind, count: kind === "nan" ? c.nan : c.inf }
  }
  return null
}
