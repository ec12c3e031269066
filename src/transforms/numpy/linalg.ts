/**
 * `jnp.linalg`: norms (vector and matrix norms that need no decomposition).
 *
 * @module
 */
import { Tensor } from "../core/Tensor.js"
import * as lax from "../core/lax.js"
import { shapeError } from "../core/errors.js"
import { normalizeAxes, range } from "../core/shape.js"
import { toFloat, type ArrayLike } from "./promote.js"

/** Options of `norm`. */
export interface NormOptions {
  /**
   * Vector norms: `2` (default), `1`, `Infinity`, `-Infinity`, `0` (count of nonzeros) or any
   * other number p (`sum(|x|^p)^(1/p)`). Matrix norms (two axes): `"fro"` (default), `1`, `-1`,
   * `Infinity`, `-Infinity`.
   */
  readonly ord?: number | "fro" | "nuc" | null
  /** One axis (vector norm) or two (matrix norm). Default: the whole array as a vector when `ord` is not given. */
  readonly axis?: number | readonly [number, number] | null
  readonly keepdims?: boolean
}

const keep = (y: Tensor, x: Tensor, axes: number[], keepdims?: boolean): Tensor =>
  keepdims ? lax.reshape(y, x.shape.map((d, i) => (axes.includes(i) ? 1 : d))) : y

/**
 * Vector or matrix norm.
 *
 * JAX: `jnp.linalg.norm`. The spectral and nuclear norms (`ord` 2, -2 on matrices, `"nuc"`) need
 * a singular value decomposition, which tanka does not have: they are an error.
 *
 * @example
 * jnp.linalg.norm(x)                           // 2-norm of the flattened array
 * @example
 * declare const m: Tensor
 * jnp.linalg.norm(m, { ord: 1, axis: [0, 1] }) // max column sum
 */
export const norm = (x: ArrayLike, options: NormOptions = {}): Tensor => {
  const t = toFloat("norm", x)
  const ord = options.ord ?? null
  let axes: number[]
  if (options.axis === undefined || options.axis === null) {
    if (ord === null) {
      const all = range(t.ndim)
      return keep(lax.sqrt(lax.reduceSum(lax.mul(t, t), all)), t, all, options.keepdims)
    }
    if (t.ndim !== 1 && t.ndim !== 2) throw shapeError("norm", `improper number of axes for norm: ${t.aval} with ord ${String(ord)}; pass axis (one axis for a vector norm, two for a matrix norm).`)
    axes = range(t.ndim)
  } else axes = normalizeAxes("norm", typeof options.axis === "number" ? [options.axis] : options.axis, t.ndim)
  const abs = lax.abs(t)
  if (axes.length === 1) {
    if (typeof ord === "string") throw shapeError("norm", `ord "${ord}" is a matrix norm; give two axes, or a numeric ord for a vector norm.`)
    const sum = (y: Tensor) => lax.reduceSum(y, axes)
    let out: Tensor
    if (ord === null || ord === 2) out = lax.sqrt(sum(lax.mul(t, t)))
    else if (ord === Infinity) out = lax.reduceMax(abs, axes)
    else if (ord === -Infinity) out = lax.reduceMin(abs, axes)
    else if (ord === 0) out = sum(lax.convertElementType(lax.ne(t, lax.scalar(0, "float32")), "float32"))
    else if (ord === 1) out = sum(abs)
    else out = lax.pow(sum(lax.pow(abs, lax.scalar(ord, "float32"))), lax.scalar(1 / ord, "float32"))
    return keep(out, t, axes, options.keepdims)
  }
  if (axes.length !== 2) throw shapeError("norm", `improper number of axes for norm: ${axes.length}; give one axis (vector norm) or two (matrix norm).`)
  const [row, col] = axes as [number, number]
  let out: Tensor
  const reduceOther = (sumAxis: number, extremeAxis: number, max: boolean): Tensor => {
    const s = lax.reduceSum(abs, [sumAxis])
    const e = extremeAxis > sumAxis ? extremeAxis - 1 : extremeAxis
    return max ? lax.reduceMax(s, [e]) : lax.reduceMin(s, [e])
  }
  if (ord === null || ord === "fro") out = lax.sqrt(lax.reduceSum(lax.mul(t, t), axes))
  else if (ord === 1 || ord === -1) out = reduceOther(row, col, ord === 1)
  else if (ord === Infinity || ord === -Infinity) out = reduceOther(col, row, ord === Infinity)
  else if (ord === 2 || ord === -2 || ord === "nuc") {
    throw shapeError("norm", `the matrix norm ord=${JSON.stringify(ord)} needs a singular value decomposition, which tanka does not provide; use "fro", 1, -1, Infinity or -Infinity.`)
  } else throw shapeError("norm", `invalid norm order ${JSON.stringify(ord)} for matrices; use "fro", 1, -1, Infinity or -Infinity.`)
  return keep(out, t, axes, options.keepdims)
}
