/**
 * What a primitive is: its kernel impl, shape rule, JVP, transpose and batching rule side by
 * side. The registry in `primitives/index.ts` is typed so that a primitive missing a rule does
 * not compile.
 */
import type { ShapedArray } from "./aval.js"
import type { ConcreteTensor, Tensor } from "./Tensor.js"

/** A tangent or cotangent; `null` is a symbolic zero (no kernel runs for it). */
export type Tangent = Tensor | null

/** The batch dimension of a value under `vmap`; `null` = not mapped. */
export type BatchDim = number | null
export const NotMapped = null

/** A linear input of a jaxpr being transposed: only its aval is known. */
export class UndefPrimal {
  constructor(readonly aval: ShapedArray) {}
}

export type TransposeRule<P> = (cts: ReadonlyArray<Tangent>, args: ReadonlyArray<Tensor | UndefPrimal>, params: P) => Tangent[]

export interface PrimitiveDef<P = any> {
  /** lax's name, so a jaxpr dump reads like JAX's (`reduce_sum`, `dot_general`). */
  readonly name: string
  /** Run the kernel(s). */
  impl(args: ReadonlyArray<ConcreteTensor>, params: P): ConcreteTensor[]
  /** Shape and dtype rule; throws a ShapeError/DTypeError for bad input. */
  abstractEval(avals: ReadonlyArray<ShapedArray>, params: P): ShapedArray[]
  /** Forward-mode rule. */
  jvp(primals: ReadonlyArray<Tensor>, tangents: ReadonlyArray<Tangent>, params: P): [Tensor[], Tangent[]]
  /** Transpose of a linear primitive, or "nonlinear" if the primitive is never linear in an input. */
  transpose: TransposeRule<P> | "nonlinear"
  /** Batching rule for `vmap`. */
  batch(valsIn: ReadonlyArray<Tensor>, dimsIn: ReadonlyArray<BatchDim>, params: P, axisSize: number): [Tensor[], BatchDim[]]
  /** Params as printed in a jaxpr (`[axes=(0,)]`); default prints every field. */
  printParams?(params: P): string
  /** Sub-jaxprs held by a control-flow primitive, for printing and typechecking. */
  subJaxprs?(params: P): ReadonlyArray<{ readonly name: string; readonly jaxpr: unknown }>
}

export type Primitive = PrimitiveDef<any>
