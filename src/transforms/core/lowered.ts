/**
 * lax operations with no primitive of their own: each is lowered to existing primitives
 * (gather, scatter_add, select_n, slice, pad, ...), so every transform already knows how to
 * handle it. JAX has primitives for some of these (`rev`, `dynamic_slice`,
 * `dynamic_update_slice`); the lowering computes the same values.
 */
import type { DType } from "../../kernels/dtype.js"
import { dtypeError, shapeError } from "./errors.js"
import * as lax from "./lax.js"
import { isTensor, type Tensor } from "./Tensor.js"

type T = Tensor

const i32 = (v: number): T => lax.scalar(v, "int32")

/** `x` restricted to `[start, limit)` with `stride` along one axis. JAX: `lax.slice_in_dim`. */
export const sliceInDim = (x: T, start: number, limit: number, stride: number, axis: number): T => {
  const s = x.shape.map((_, d) => (d === axis ? start : 0))
  const l = x.shape.map((n, d) => (d === axis ? limit : n))
  return lax.slice(x, s, l, stride === 1 ? undefined : x.shape.map((_, d) => (d === axis ? stride : 1)))
}

/** Reverses `x` along `axes` (a gather with descending indices). JAX: `lax.rev`. */
export const rev = (x: T, axes: ReadonlyArray<number>): T =>
  axes.reduce((acc, a) => {
    const n = acc.shape[a]!
    if (n <= 1) return acc
    return lax.gather(acc, lax.sub(i32(n - 1), lax.iota("int32", [n], 0)), a)
  }, x)

/**
 * `out[..., q, ...] = x[..., indices[..., q, ...], ...]` along `axis`, where `indices` (int32, in
 * `[-n, n)`) match `x` on every other axis: one gather on the flattened operand.
 */
export const takeAlongAxis = (x: T, indices: T, axis: number): T => {
  const n = x.shape[axis]!
  const strides = x.shape.map((_, d) => x.shape.slice(d + 1).reduce((a, b) => a * b, 1))
  const wrapped = lax.selectN(lax.lt(indices, i32(0)), indices, lax.add(indices, i32(n)))
  let flat = strides[axis] === 1 ? wrapped : lax.mul(wrapped, i32(strides[axis]!))
  for (let d = 0; d < x.ndim; d++) {
    if (d === axis || indices.shape[d] === 1) continue
    flat = lax.add(flat, lax.mul(lax.iota("int32", indices.shape, d), i32(strides[d]!)))
  }
  return lax.gather(lax.reshape(x, [x.size]), flat, 0)
}

/** A start index as JAX's dynamic slices read it: negative counts from the end, then clamped so the window fits. */
const clampStart = (op: string, start: number | T, n: number, size: number): number | T => {
  if (!isTensor(start)) {
    if (!Number.isInteger(start)) throw shapeError(op, `start index ${start} is not an integer.`)
    const s = start < 0 ? start + n : start
    return Math.min(Math.max(s, 0), n - size)
  }
  if (start.ndim !== 0) throw shapeError(op, `start indices must be scalars, got ${start.aval}; pass one scalar per axis.`)
  if (start.dtype !== "int32" && start.dtype !== "uint32") throw dtypeError(op, `start indices must be integers, got ${start.aval}; cast with astype("int32").`)
  const s = lax.convertElementType(start, "int32")
  const wrapped = lax.selectN(lax.lt(s, i32(0)), s, lax.add(s, i32(n)))
  return lax.min(lax.max(wrapped, i32(0)), i32(n - size))
}

const checkWindow = (op: string, x: T, starts: ReadonlyArray<unknown>, sizes: ReadonlyArray<number>): void => {
  if (starts.length !== x.ndim) throw shapeError(op, `needs one start index per axis of ${x.aval}, got ${starts.length}.`)
  if (sizes.length !== x.ndim) throw shapeError(op, `needs one slice size per axis of ${x.aval}, got [${sizes.join(",")}].`)
  sizes.forEach((s, d) => {
    if (!Number.isInteger(s) || s < 0 || s > x.shape[d]!) {
      throw shapeError(op, `slice size ${s} on axis ${d} must be a static integer in [0, ${x.shape[d]}] for ${x.aval}; sizes cannot depend on traced values (use a fixed size and mask).`)
    }
  })
}

/**
 * The window of `sizes` at `starts` (numbers or traced int scalars; clamped so the window fits,
 * negative starts count from the end). JAX: `lax.dynamic_slice`.
 */
export const dynamicSlice = (x: T, starts: ReadonlyArray<number | T>, sizes: ReadonlyArray<number>): T => {
  checkWindow("dynamic_slice", x, starts, sizes)
  const s = starts.map((st, d) => clampStart("dynamic_slice", st, x.shape[d]!, sizes[d]!))
  const stat = s.map((v) => (isTensor(v) ? 0 : v))
  const limit = x.shape.map((n, d) => (isTensor(s[d]) ? n : stat[d]! + sizes[d]!))
  let out = stat.every((v, d) => v === 0 && limit[d] === x.shape[d]) ? x : lax.slice(x, stat, limit)
  s.forEach((v, d) => {
    if (isTensor(v)) out = lax.gather(out, lax.add(lax.iota("int32", [sizes[d]!], 0), v), d)
  })
  return out
}

/**
 * `x` with `update` written at `starts` (clamped like `dynamicSlice`). Exact: positions outside
 * the window keep `x`'s bits, positions inside take `update`'s. JAX: `lax.dynamic_update_slice`.
 */
export const dynamicUpdateSlice = (x: T, update: T, starts: ReadonlyArray<number | T>): T => {
  if (update.ndim !== x.ndim) throw shapeError("dynamic_update_slice", `update ${update.aval} must have the rank of the operand ${x.aval}.`)
  if (update.dtype !== x.dtype) throw dtypeError("dynamic_update_slice", `update ${update.aval} must have the dtype of the operand ${x.aval}; cast it with astype.`)
  checkWindow("dynamic_update_slice", x, starts, update.shape)
  const s = starts.map((st, d) => clampStart("dynamic_update_slice", st, x.shape[d]!, update.shape[d]!))
  const work: DType = x.dtype === "bool" ? "int32" : x.dtype
  let placed = lax.convertElementType(update, work)
  let mask: T | null = null
  for (let d = x.ndim - 1; d >= 0; d--) {
    const n = x.shape[d]!
    const size = update.shape[d]!
    if (size === n) continue
    const sd = s[d]!
    if (isTensor(sd)) {
      const shape = placed.shape.map((m, e) => (e === d ? n : m))
      placed = lax.scatterAdd(lax.zerosLike({ shape, dtype: work }), lax.add(lax.iota("int32", [size], 0), sd), placed, d)
    } else {
      placed = lax.pad(placed, lax.scalar(0, work), placed.shape.map((_, e) => (e === d ? [sd, n - sd - size, 0] : [0, 0, 0]) as [number, number, number]))
    }
    const pos = lax.iota("int32", x.shape, d)
    const lo = isTensor(sd) ? sd : i32(sd)
    const inside = lax.and(lax.ge(pos, lo), lax.lt(pos, lax.add(lo, i32(size))))
    mask = mask === null ? inside : lax.and(mask, inside)
  }
  if (mask === null) return update
  return lax.selectN(mask, x, lax.convertElementType(placed, x.dtype))
}

/**
 * Inclusive prefix scan of an associative `combine` along `axis` by recursive pair reduction
 * (Blelloch): combine neighbours, scan the half-size result, then fill in the even positions.
 * Built from slices, pads and `combine`, so it is differentiable wherever `combine` is.
 * JAX: `lax.associative_scan`.
 */
export const associativeScan = (combine: (a: T[], b: T[]) => T[], elems: ReadonlyArray<T>, axis: number, reverse = false): T[] => {
  const scan = (xs: T[]): T[] => {
    const n = xs[0]!.shape[axis]!
    if (n < 2) return xs
    const reduced = combine(
      xs.map((e) => sliceInDim(e, 0, n - 1, 2, axis)),
      xs.map((e) => sliceInDim(e, 1, n, 2, axis))
    )
    const odd = scan(reduced)
    const m = odd[0]!.shape[axis]!
    const evenTail = combine(
      n % 2 === 0 ? odd.map((e) => sliceInDim(e, 0, m - 1, 1, axis)) : odd,
      xs.map((e) => sliceInDim(e, 2, n, 2, axis))
    )
    const even = xs.map((e, i) => lax.concatenate([sliceInDim(e, 0, 1, 1, axis), evenTail[i]!], axis))
    return even.map((a, i) => interleave(a, odd[i]!, axis))
  }
  const flipped = reverse ? elems.map((e) => rev(e, [axis])) : [...elems]
  const out = scan(flipped)
  return reverse ? out.map((e) => rev(e, [axis])) : out
}

/** a[0], b[0], a[1], b[1], ... along `axis` (a has as many or one more element than b). */
const interleave = (a: T, b: T, axis: number): T => {
  const same = a.shape[axis] === b.shape[axis]
  const cfg = (lo: number, hi: number) => a.shape.map((_, d) => (d === axis ? [lo, hi, 1] : [0, 0, 0]) as [number, number, number])
  const pa = lax.pad(a, lax.scalar(0, a.dtype), cfg(0, same ? 1 : 0))
  const pb = lax.pad(b, lax.scalar(0, b.dtype), cfg(1, same ? 0 : 1))
  return a.dtype === "bool" ? lax.or(pa, pb) : lax.add(pa, pb)
}

