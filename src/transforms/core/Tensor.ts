import type { HostArray } from "../../kernels/index.js"
import type { DType, Storage } from "../../kernels/dtype.js"
import { ShapedArray } from "./aval.js"
import { ConcretizationError, ShapeError } from "./errors.js"

/** Row `i` of a tensor along its first axis; set by `lax.ts` (which builds on this module). */
let rowAccess: ((t: Tensor, i: number) => Tensor) | null = null

/** Installs the row accessor the iterator uses (called once by `lax.ts`). */
export const setRowAccess = (f: (t: Tensor, i: number) => Tensor): void => {
  rowAccess = f
}

/** Nested JS arrays of numbers (or booleans for `bool`), as `toArray()` returns them. */
export type NestedArray = number | boolean | ReadonlyArray<NestedArray>

/**
 * An immutable n-dimensional array. Outside transforms it holds data (`ConcreteTensor`);
 * inside `jax.grad`, `jax.vmap`, `jax.jit`, … the same type is a tracer standing for a value.
 *
 * JAX: `jax.Array`.
 *
 * @example
 * const x = jnp.array([[1, 2], [3, 4]])
 * x.shape    // [2, 2]
 * x.toArray() // [[1, 2], [3, 4]]
 */
export abstract class Tensor {
  /** The shape and dtype this value stands for. */
  abstract get aval(): ShapedArray
  /** The size of each axis (`[]` for a scalar). */
  get shape(): ReadonlyArray<number> {
    return this.aval.shape
  }
  /** The element type: `"float32"`, `"int32"`, `"uint32"` or `"bool"`. */
  get dtype(): DType {
    return this.aval.dtype
  }
  /** The number of elements (the product of the shape). */
  get size(): number {
    return this.aval.size
  }
  /** The number of axes. */
  get ndim(): number {
    return this.aval.ndim
  }
  /** Nested JS arrays (a 0-d tensor gives a number; `bool` gives booleans). Fails on a tracer. */
  toArray(): NestedArray {
    return this.concrete("toArray").toArray()
  }
  /** A fresh flat copy of the data. Fails on a tracer. */
  toTypedArray(): Storage {
    return this.concrete("toTypedArray").toTypedArray()
  }
  /** The single value of a size-1 tensor. */
  item(): number {
    return this.concrete("item").item()
  }
  /**
   * The rows along the first axis, one by one, as JAX arrays iterate: `const [k1, k2] =
   * jax.random.split(key)` destructures. Works on traced values too (the shape is static); a 0-d
   * tensor has no rows (`ShapeError`).
   *
   * @example
   * const [a, b] = jnp.array([[1, 2], [3, 4]]) // a: f32[2] [1, 2], b: f32[2] [3, 4]
   */
  *[Symbol.iterator](): Iterator<this> {
    if (this.ndim === 0) {
      throw new ShapeError({ op: "iterate", message: `iterate: a 0-d tensor ${this.aval.toString()} has no rows to iterate over (as in JAX, "iteration over a 0-d array"); use item() for its value, or reshape it to [1].` })
    }
    const n = this.shape[0]!
    for (let i = 0; i < n; i++) yield rowAccess!(this, i) as this
  }
  /** Overridden by concrete tensors; tracers refuse, naming the aval. */
  protected concrete(what: string): ConcreteTensor {
    throw new ConcretizationError({
      aval: this.aval.toString(),
      message:
        `${what}() was called on a traced value ${this.aval.toString()} inside a transform: its data does not exist yet. ` +
        `Return the value from the transformed function and read it outside, or use jnp/jax.lax operations ` +
        `(jax.lax.cond instead of a JS if) on it.`
    })
  }
  /** A tracer prints as `Traced<f32[3]>` (concrete tensors print their values). */
  toString(): string {
    return `Traced<${this.aval.toString()}>`
  }
}

/** A tensor holding data in host storage; every operation on it runs gpu.js kernels. */
export class ConcreteTensor extends Tensor {
  readonly #aval: ShapedArray
  constructor(readonly host: HostArray) {
    super()
    this.#aval = new ShapedArray(host.shape, host.dtype)
  }
  get aval(): ShapedArray {
    return this.#aval
  }
  protected override concrete(): ConcreteTensor {
    return this
  }
  override toTypedArray(): Storage {
    return this.host.data.slice()
  }
  override item(): number {
    if (this.size !== 1) {
      throw new ConcretizationError({
        aval: this.aval.toString(),
        message: `item() needs a tensor with exactly one element, got ${this.aval.toString()}; index or reduce it first.`
      })
    }
    return Number(this.host.data[0])
  }
  override toArray(): NestedArray {
    const { data, shape, dtype } = this.host
    const read = dtype === "bool" ? (i: number) => data[i] !== 0 : (i: number) => data[i]!
    if (shape.length === 0) return read(0)
    // innermost rows first, then each level groups the one below: no recursion, so a tensor of
    // thousands of (unit) dimensions nests as deep as it needs
    let level: NestedArray[] = Array.from({ length: data.length }, (_, i) => read(i))
    for (let d = shape.length - 1; d >= 0; d--) {
      const n = shape[d]!
      let rows = 1
      for (let k = 0; k < d; k++) rows *= shape[k]!
      const next: NestedArray[] = new Array(rows)
      for (let r = 0; r < rows; r++) next[r] = level.slice(r * n, r * n + n)
      level = next
    }
    return level[0]!
  }
  override toString(): string {
    const { data, shape, dtype } = this.host
    const item = dtype === "bool" ? (i: number) => String(data[i] !== 0) : (i: number) => (Object.is(data[i], -0) ? "-0" : String(data[i]!))
    return `Tensor(${nestedText(shape, data.length, item)}, ${this.aval.toString()})`
  }
}

/**
 * JSON text of a row-major array of `shape` (`[[1,2],[3,4]]`), written in one pass without
 * recursion: before element `i`, one `[` per trailing dimension that starts there; after it, one
 * `]` per dimension that ends there. An empty array prints its nesting down to the empty dim.
 */
const nestedText = (shape: ReadonlyArray<number>, size: number, item: (i: number) => string): string => {
  if (shape.length === 0) return item(0)
  if (size === 0) {
    const zero = shape.indexOf(0)
    let text = "[]"
    for (let d = zero - 1; d >= 0; d--) text = `[${new Array(shape[d]!).fill(text).join(",")}]`
    return text
  }
  const parts: string[] = []
  const rank = shape.length
  for (let i = 0; i < size; i++) {
    // how many trailing dims start (open) at i: count dims whose index is 0
    let opens = 0
    let stride = 1
    for (let d = rank - 1; d >= 0; d--) {
      if (i % (stride * shape[d]!) !== 0) break
      opens++
      stride *= shape[d]!
    }
    let closes = 0
    stride = 1
    for (let d = rank - 1; d >= 0; d--) {
      if ((i + 1) % (stride * shape[d]!) !== 0) break
      closes++
      stride *= shape[d]!
    }
    parts.push(`${i > 0 ? "," : ""}${"[".repeat(opens)}${item(i)}${"]".repeat(closes)}`)
  }
  return parts.join("")
}

export const isTensor = (x: unknown): x is Tensor => x instanceof Tensor
