/**
 * dtype promotion for jnp (JAX's lattice restricted to our dtypes). JS numbers are weakly typed
 * like Python scalars: they take the tensor's dtype unless a float is needed.
 *
 * | a \ b    | bool    | int32   | uint32  | float32 |
 * |----------|---------|---------|---------|---------|
 * | bool     | bool    | int32   | uint32  | float32 |
 * | int32    | int32   | int32   | error   | float32 |
 * | uint32   | uint32  | error   | uint32  | float32 |
 * | float32  | float32 | float32 | float32 | float32 |
 *
 * int32 with uint32 promotes to int64 in JAX, which tanka does not have: cast one explicitly.
 */
import type { DType } from "../../kernels/dtype.js"
import { Tensor } from "../core/Tensor.js"
import * as lax from "../core/lax.js"
import { dtypeError, ArrayDataError } from "../core/errors.js"

export type ArrayLike = Tensor | number | boolean

/**
 * The dtype two operands of a binary op are computed in: equal dtypes stay, `bool` gives way to the
 * other, `float32` wins over integers; `int32` with `uint32` has no rule (JAX widens to int64,
 * which tanka lacks) and is a `DTypeError` naming `op`.
 *
 * JAX: `jnp.promote_types` (restricted to tanka's dtypes).
 *
 * @example
 * jnp.promoteTypes("add", "int32", "float32") // "float32"
 */
export const promoteTypes = (op: string, a: DType, b: DType): DType => {
  if (a === b) return a
  if (a === "bool") return b
  if (b === "bool") return a
  if (a === "float32" || b === "float32") return "float32"
  throw dtypeError(op, `no promotion rule for ${a} with ${b} (JAX would widen to int64, which tanka does not have); cast one operand with astype.`)
}

const weakDtype = (x: number | boolean, other: DType | null): DType => {
  if (typeof x === "boolean") return other ?? "bool"
  if (other === null) return Number.isInteger(x) ? "int32" : "float32"
  if (other === "float32") return "float32"
  if (!Number.isInteger(x)) return "float32"
  return other === "bool" ? "int32" : other
}

const checkNumber = (op: string, x: unknown): void => {
  if (typeof x !== "number" && typeof x !== "boolean" && !(x instanceof Tensor)) {
    throw new ArrayDataError({ message: `${op}: expected a Tensor or a number, got ${x === null ? "null" : typeof x}. Wrap data with jnp.array(...).` })
  }
}

/** Bring operands to one dtype, turning JS numbers into scalars of it. */
export const promoteArgs = (op: string, ...xs: ArrayLike[]): Tensor[] => {
  xs.forEach((x) => checkNumber(op, x))
  const strong = xs.filter((x): x is Tensor => x instanceof Tensor)
  let dtype: DType | null = strong.length ? strong.map((t) => t.dtype).reduce((a, b) => promoteTypes(op, a, b)) : null
  for (const x of xs) if (!(x instanceof Tensor)) dtype = weakDtype(x, dtype)
  const target = dtype ?? "float32"
  return xs.map((x) => (x instanceof Tensor ? lax.convertElementType(x, target) : lax.scalar(typeof x === "boolean" ? (x ? 1 : 0) : x, target)))
}

/** Promote to at least float32 (for ops like exp, mean). */
export const toFloat = (op: string, x: ArrayLike): Tensor => {
  const [t] = promoteArgs(op, x)
  return t!.dtype === "float32" ? t! : lax.convertElementType(t!, "float32")
}
