/**
 * Fused elementwise expressions and the compiled programs `jax.jit` hands the kernel layer.
 * Backend-agnostic: the WebAssembly SIMD executor (`wasm/program.ts`) and the gpu.js executor
 * (`program.ts`) both run the same program, each generating its own kernels for a fused step.
 */
import type { DType } from "./dtype.js"
import type { DotDims } from "./dotGeneral.js"
import type { HostArray } from "./HostArray.js"

/** Unary ops a fused expression can hold (lax names, as the kernel layer's `UnaryOp`). */
export type ExprUnary =
  | "neg" | "exp" | "log" | "log1p" | "expm1" | "tanh" | "logistic" | "sqrt" | "rsqrt" | "abs" | "sign"
  | "sin" | "cos" | "floor" | "ceil" | "round" | "erf" | "erf_inv" | "not"
/** Binary ops a fused expression can hold (lax names). */
export type ExprBinary =
  | "add" | "sub" | "mul" | "div" | "rem" | "pow" | "max" | "min" | "atan2"
  | "and" | "or" | "xor" | "eq" | "ne" | "lt" | "le" | "gt" | "ge"

/** A node of a fused expression; `dtype` is the node's result dtype. */
export type Expr =
  | { readonly kind: "leaf"; readonly index: number; readonly dtype: DType }
  | { readonly kind: "const"; readonly value: number; readonly dtype: DType }
  | { readonly kind: "unary"; readonly op: ExprUnary; readonly x: Expr; readonly dtype: DType }
  | { readonly kind: "binary"; readonly op: ExprBinary; readonly a: Expr; readonly b: Expr; readonly dtype: DType }
  | { readonly kind: "select"; readonly pred: Expr; readonly t: Expr; readonly f: Expr; readonly dtype: DType }
  | { readonly kind: "convert"; readonly x: Expr; readonly dtype: DType }

/** An input of a loop: its dtype and element strides over the iteration shape (0 = broadcast). */
export interface LoopLeaf {
  readonly dtype: DType
  readonly strides: ReadonlyArray<number>
}

/** A fused loop: iteration shape, input views, and one contiguous output per expression. */
export interface LoopSpec {
  readonly shape: ReadonlyArray<number>
  readonly leaves: ReadonlyArray<LoopLeaf>
  readonly outs: ReadonlyArray<Expr>
}

/** A fused reduction: `op` over `axes` of an expression evaluated on the iteration shape. */
export interface ReduceSpec {
  readonly op: "sum" | "max" | "min"
  readonly shape: ReadonlyArray<number>
  readonly axes: ReadonlyArray<number>
  readonly leaves: ReadonlyArray<LoopLeaf>
  readonly expr: Expr
}

export const COMPARE: ReadonlySet<string> = new Set(["eq", "ne", "lt", "le", "gt", "ge"])
const FLOAT_UNARY: ReadonlySet<string> = new Set(["neg", "exp", "log", "log1p", "expm1", "tanh", "logistic", "sqrt", "rsqrt", "abs", "sign", "sin", "cos", "floor", "ceil", "round", "erf", "erf_inv"])
const FLOAT_BINARY: ReadonlySet<string> = new Set(["add", "sub", "mul", "div", "rem", "pow", "max", "min", "atan2"])

/**
 * True when fused loops compute `op` on an operand of `dtype` with the kernel layer's semantics.
 * Integer arithmetic is not fused (the gpu.js kernels check it against 2^24 and raise
 * IntegerRangeError); integer comparisons, logic, max/min, select and conversions are exact.
 */
export const fusibleUnary = (op: string, dtype: DType): op is ExprUnary => (dtype === "float32" ? FLOAT_UNARY.has(op) : op === "not")

export const fusibleBinary = (op: string, dtype: DType): op is ExprBinary => {
  if (COMPARE.has(op)) return true
  if (dtype === "float32") return FLOAT_BINARY.has(op)
  return op === "and" || op === "or" || op === "xor" || op === "max" || op === "min"
}

/** Ops whose recomputation costs more than a memory pass (a value used twice is materialised). */
export const EXPENSIVE: ReadonlySet<string> = new Set(["exp", "log", "log1p", "expm1", "tanh", "logistic", "sin", "cos", "erf", "erf_inv", "pow", "atan2", "rem", "div", "sqrt", "rsqrt"])

/** A stable text form of an expression (part of a fused kernel's cache key). */
export const showExpr = (e: Expr): string => {
  switch (e.kind) {
    case "leaf":
      return `$${e.index}`
    case "const":
      return `${e.dtype}:${Object.is(e.value, -0) ? "-0" : String(e.value)}`
    case "unary":
      return `${e.op}(${showExpr(e.x)})`
    case "binary":
      return `${e.op}(${showExpr(e.a)},${showExpr(e.b)})`
    case "select":
      return `sel(${showExpr(e.pred)},${showExpr(e.t)},${showExpr(e.f)})`
    case "convert":
      return `cvt:${e.dtype}(${showExpr(e.x)})`
  }
}

// ---------------------------------------------------------------- programs

/** A buffer of a program: one contiguous row-major array. */
export interface BufferInfo {
  readonly dtype: DType
  readonly shape: ReadonlyArray<number>
}

/** A strided read of a buffer: element `offset` plus strides over the reading step's index space. */
export interface View {
  readonly buffer: number
  readonly strides: ReadonlyArray<number>
  readonly offset: number
}

/**
 * What a dot applies to each result before writing it: `(d · scale + bias) ` then `max(·, 0)`,
 * each part optional, in that order (the order the fused loop it replaces computed them in).
 * `bias` is a contiguous vector over the dot's trailing (rhs free) dims.
 */
export interface DotEpilogue {
  readonly scale?: number
  readonly bias?: { readonly buffer: number; readonly offset: number }
  readonly relu: boolean
}

/** One step of a program. */
export type Step =
  /** A fused elementwise loop: each output buffer gets its expression over the leaf views. */
  | { readonly kind: "loop"; readonly shape: ReadonlyArray<number>; readonly leaves: ReadonlyArray<View>; readonly outs: ReadonlyArray<{ readonly buffer: number; readonly expr: Expr }> }
  /** A fused reduction of an expression over the leaf views into `out` (the kept dims). */
  | { readonly kind: "reduce"; readonly op: "sum" | "max" | "min"; readonly shape: ReadonlyArray<number>; readonly axes: ReadonlyArray<number>; readonly leaves: ReadonlyArray<View>; readonly expr: Expr; readonly out: number }
  /** A float32 dot_general of two strided operand views (shapes as the dims see them), with an optional epilogue. */
  | { readonly kind: "dot"; readonly a: View; readonly aShape: ReadonlyArray<number>; readonly b: View; readonly bShape: ReadonlyArray<number>; readonly dims: DotDims; readonly out: number; readonly epilogue?: DotEpilogue }
  /** Anything else: a host function from whole input buffers to output buffers (gpu.js kernels, control flow). */
  | { readonly kind: "host"; readonly name: string; readonly inputs: ReadonlyArray<number>; readonly outputs: ReadonlyArray<number>; readonly run: (xs: ReadonlyArray<HostArray>) => ReadonlyArray<HostArray> }

/**
 * A compiled program: buffers, the steps that fill them in order, which buffers are the inputs
 * (filled by the caller, in order) and which are returned. `constants` are bound once.
 */
export interface Program {
  readonly buffers: ReadonlyArray<BufferInfo>
  readonly inputs: ReadonlyArray<number>
  readonly constants: ReadonlyArray<{ readonly buffer: number; readonly value: HostArray }>
  readonly steps: ReadonlyArray<Step>
  readonly outputs: ReadonlyArray<number>
  /** The shape each output is returned with (a buffer may be returned under another shape). */
  readonly outputShapes: ReadonlyArray<ReadonlyArray<number>>
}

/** The buffers a step reads. */
export const stepReads = (s: Step): number[] => {
  switch (s.kind) {
    case "loop":
    case "reduce":
      return s.leaves.map((l) => l.buffer)
    case "dot":
      return s.epilogue?.bias ? [s.a.buffer, s.b.buffer, s.epilogue.bias.buffer] : [s.a.buffer, s.b.buffer]
    case "host":
      return [...s.inputs]
  }
}

/** The buffers a step writes. */
export const stepWrites = (s: Step): number[] => {
  switch (s.kind) {
    case "loop":
      return s.outs.map((o) => o.buffer)
    case "reduce":
    case "dot":
      return [s.out]
    case "host":
      return [...s.outputs]
  }
}
