import type { DType } from "../../kernels/dtype.js"
import { shortName, sizeOf } from "../../kernels/dtype.js"

/**
 * The abstract value of an array: its shape and dtype, nothing else. What `evalShape` returns
 * and what every tracer carries. Prints like JAX: `f32[3,4]`.
 *
 * JAX: `jax.core.ShapedArray`.
 */
export class ShapedArray {
  constructor(readonly shape: ReadonlyArray<number>, readonly dtype: DType) {}
  get ndim(): number {
    return this.shape.length
  }
  get size(): number {
    return sizeOf(this.shape)
  }
  equals(other: ShapedArray): boolean {
    return this.dtype === other.dtype && sameShape(this.shape, other.shape)
  }
  toString(): string {
    return `${shortName(this.dtype)}[${this.shape.join(",")}]`
  }
}

export const sameShape = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i])

/** `f32[3,4]` for a shape and dtype. */
export const showAval = (shape: ReadonlyArray<number>, dtype: DType): string => new ShapedArray(shape, dtype).toString()

/**
 * The result type of `jax.evalShape`: a shape and a dtype.
 *
 * JAX: `jax.ShapeDtypeStruct`.
 */
export interface ShapeDtypeStruct {
  readonly shape: ReadonlyArray<number>
  readonly dtype: DType
}
