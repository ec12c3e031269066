import type { DType } from "../../kernels/dtype.js"
import { shortName, sizeOf } from "../../kernels/dtype.js"

/**
 * The abstract value of an array: its shape and dtype, nothing else. What `evalShape` returns
 * and what every tracer carries. Prints like JAX: `f32[3,4]`.
 *
 * JAX: `jax.core.ShapedArray`.
 */
export class ShapedArray {
  /** The abstract value of arrays of `shape` and `dtype`. */
  constructor(readonly shape: ReadonlyArray<number>, readonly dtype: DType) {}
  /** The number of axes. */
  get ndim(): number {
    return this.shape.length
  }
  /** The number of elements (the product of the shape). */
  get size(): number {
    return sizeOf(this.shape)
  }
  /** Whether `other` has the same shape and dtype. */
  equals(other: ShapedArray): boolean {
    return this.dtype === other.dtype && sameShape(this.shape, other.shape)
  }
  /** JAX's short form: `f32[3,4]`. */
  toString(): string {
    return `${shortName(this.dtype)}[${this.shape.join(",")}]`
  }
}

export const sameShape = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i])

/** `f32[3,4]` for a shape and dtype. */
export const showAval = (shape: ReadonlyArray<number>, dtype: DType): string => new ShapedArray(shape, dtype).toString()

/**
 * The result type of `jax.evalShape`: a shape and a dtype. Any object with these two fields is
 * one (`jax.jit` and `jax.evalShape` take them as abstract arguments); the ones tanka returns
 * print as JAX prints them, `ShapeDtypeStruct(shape=[2, 3], dtype=float32)`.
 *
 * JAX: `jax.ShapeDtypeStruct`.
 */
export interface ShapeDtypeStruct {
  readonly shape: ReadonlyArray<number>
  readonly dtype: DType
}

const INSPECT = Symbol.for("nodejs.util.inspect.custom")

/** A `ShapeDtypeStruct` that prints readably (and is a pytree leaf, as in JAX). */
class ShapeDtypeStructValue implements ShapeDtypeStruct {
  constructor(
    readonly shape: ReadonlyArray<number>,
    readonly dtype: DType
  ) {}
  toString(): string {
    return `ShapeDtypeStruct(shape=[${this.shape.join(", ")}], dtype=${this.dtype})`
  }
  [INSPECT](): string {
    return this.toString()
  }
}

/**
 * A `ShapeDtypeStruct` for `shape` and `dtype`.
 *
 * JAX: `jax.ShapeDtypeStruct(shape, dtype)`.
 *
 * @example
 * String(jax.shapeDtypeStruct([2, 3], "float32")) // "ShapeDtypeStruct(shape=[2, 3], dtype=float32)"
 */
export const shapeDtypeStruct = (shape: ReadonlyArray<number>, dtype: DType): ShapeDtypeStruct => new ShapeDtypeStructValue(Object.freeze([...shape]), dtype)
