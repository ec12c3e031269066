/** jax.numpy array manipulation: flip, roll, tile, repeat, pad, split, tril/triu, outer, linspace, takeAlongAxis. */
import type { DType } from "../../kernels/dtype.js"
import { ConcreteTensor, Tensor } from "../core/Tensor.js"
import * as lax from "../core/lax.js"
import { rev, takeAlongAxis as takeAlong } from "../core/lowered.js"
import { ArrayDataError, ConcretizationError, dtypeError, shapeError } from "../core/errors.js"
import { broadcastShapes, normalizeAxes, normalizeAxis, range } from "../core/shape.js"
import { promoteArgs, toFloat, type ArrayLike } from "./promote.js"
import { array } from "./creation.js"
import { cumsum, searchsorted } from "./sorting.js"

type A = ArrayLike
const i32 = (v: number): Tensor => lax.scalar(v, "int32")
const axesOf = (op: string, t: Tensor, axis: number | ReadonlyArray<number> | null | undefined): number[] =>
  axis === undefined || axis === null ? range(t.ndim) : normalizeAxes(op, typeof axis === "number" ? [axis] : axis, t.ndim)
const staticIndices = (values: ReadonlyArray<number>): Tensor => array(Int32Array.from(values), { shape: [values.length] })

/** Reverses the order of elements along `axis` (all axes by default). JAX: `jnp.flip`. */
export const flip = (x: A, axis?: number | ReadonlyArray<number> | null): Tensor => {
  const t = promoteArgs("flip", x)[0]!
  return rev(t, axesOf("flip", t, axis))
}

/**
 * Rolls elements along `axis` by `shift` (elements leaving one end come back at the other);
 * without an axis the flattened array is rolled. `shift` may be a traced int scalar for one axis.
 *
 * JAX: `jnp.roll`.
 */
export const roll = (x: A, shift: number | ReadonlyArray<number> | Tensor, axis?: number | ReadonlyArray<number> | null): Tensor => {
  const t = promoteArgs("roll", x)[0]!
  if (axis === undefined || axis === null) return lax.reshape(roll(lax.reshape(t, [t.size]), shift, 0), t.shape)
  const axes = typeof axis === "number" ? [axis] : [...axis]
  if (shift instanceof Tensor) {
    if (axes.length !== 1 || shift.ndim !== 0) throw shapeError("roll", `a traced shift must be one int scalar for one axis, got ${shift.aval} for axes ${JSON.stringify(axes)}.`)
    if (shift.dtype !== "int32") throw dtypeError("roll", `shift must be int32, got ${shift.aval}; cast with astype("int32").`)
    const a = normalizeAxis("roll", axes[0]!, t.ndim)
    const n = t.shape[a]!
    if (n === 0) return t
    const r = lax.rem(lax.sub(lax.iota("int32", [n], 0), lax.rem(shift, i32(n))), i32(n))
    return lax.gather(t, lax.selectN(lax.lt(r, i32(0)), r, lax.add(r, i32(n))), a)
  }
  const shifts = typeof shift === "number" ? axes.map(() => shift) : [...shift]
  if (shifts.length !== axes.length) throw shapeError("roll", `got ${shifts.length} shifts for ${axes.length} axes; give one shift per axis (or one for all).`)
  return axes.reduce((acc, ax, k) => {
    const a = normalizeAxis("roll", ax, acc.ndim)
    const n = acc.shape[a]!
    const s = n === 0 ? 0 : ((shifts[k]! % n) + n) % n
    if (s === 0) return acc
    const part = (lo: number, hi: number) => lax.slice(acc, acc.shape.map((_, d) => (d === a ? lo : 0)), acc.shape.map((m, d) => (d === a ? hi : m)))
    return lax.concatenate([part(n - s, n), part(0, n - s)], a)
  }, t)
}

/**
 * The array repeated `reps` times along each axis (numpy's rules for unequal lengths: the shorter
 * of `reps` and the shape is padded with leading 1s).
 *
 * JAX: `jnp.tile`.
 */
export const tile = (x: A, reps: number | ReadonlyArray<number>): Tensor => {
  const t0 = promoteArgs("tile", x)[0]!
  const r0 = typeof reps === "number" ? [reps] : [...reps]
  if (r0.some((r) => !Number.isInteger(r) || r < 0)) throw shapeError("tile", `reps ${JSON.stringify(reps)} must be non-negative integers.`)
  const rank = Math.max(r0.length, t0.ndim)
  const r = [...new Array<number>(rank - r0.length).fill(1), ...r0]
  const shape = [...new Array<number>(rank - t0.ndim).fill(1), ...t0.shape]
  const t = lax.reshape(t0, shape)
  const big = shape.flatMap((d, i) => [r[i]!, d])
  const b = lax.broadcastInDim(lax.reshape(t, shape.flatMap((d) => [1, d])), big, range(2 * rank))
  return lax.reshape(b, shape.map((d, i) => d * r[i]!))
}

/**
 * Each element repeated `repeats` times along `axis` (the flattened array when omitted).
 * `repeats` is a number or one count per element; counts given as a traced tensor need a static
 * `totalRepeatLength` (the output size), as under `jax.jit` in JAX.
 *
 * JAX: `jnp.repeat`.
 */
export const repeat = (x: A, repeats: number | ReadonlyArray<number> | Tensor, options: { axis?: number | null; totalRepeatLength?: number } = {}): Tensor => {
  let t = promoteArgs("repeat", x)[0]!
  if (options.axis === undefined || options.axis === null) t = lax.reshape(t, [t.size])
  const axis = normalizeAxis("repeat", options.axis ?? 0, t.ndim)
  const n = t.shape[axis]!
  if (typeof repeats === "number") {
    if (!Number.isInteger(repeats) || repeats < 0) throw shapeError("repeat", `repeats must be a non-negative integer, got ${repeats}.`)
    const expanded = lax.expandDims(t, axis + 1)
    const shape = expanded.shape.map((d, i) => (i === axis + 1 ? repeats : d))
    const b = lax.broadcastInDim(expanded, shape, range(shape.length))
    return lax.reshape(b, t.shape.map((d, i) => (i === axis ? d * repeats : d)))
  }
  let counts: number[] | null = null
  if (!(repeats instanceof Tensor)) counts = [...repeats]
  else if (repeats instanceof ConcreteTensor && options.totalRepeatLength === undefined) counts = Array.from(repeats.toTypedArray(), Number)
  if (counts !== null) {
    if (counts.length !== n) throw shapeError("repeat", `${counts.length} repeat counts for an axis of size ${n}; give one per element (or one number).`)
    if (counts.some((c) => !Number.isInteger(c) || c < 0)) throw shapeError("repeat", `repeat counts must be non-negative integers, got ${JSON.stringify(counts)}.`)
    return lax.gather(t, staticIndices(counts.flatMap((c, i) => new Array<number>(c).fill(i))), axis)
  }
  const total = options.totalRepeatLength
  if (total === undefined) {
    throw new ConcretizationError({
      aval: (repeats as Tensor).aval.toString(),
      message:
        `repeat: the repeat counts ${(repeats as Tensor).aval} are traced, so the output size is unknown while tracing. ` +
        `Fix: pass { totalRepeatLength: N } (the static output size along the axis), as jnp.repeat requires under jax.jit.`
    })
  }
  const reps = lax.convertElementType(repeats as Tensor, "int32")
  if (reps.ndim !== 1 || reps.shape[0] !== n) throw shapeError("repeat", `repeat counts ${reps.aval} must be 1-D with one count per element (${n}).`)
  // output position p takes the element whose cumulative count first exceeds p; past the total, the last element
  const idx = lax.min(searchsorted(cumsum(reps), lax.iota("int32", [total], 0), { side: "right" }), i32(n - 1))
  return lax.gather(t, idx, axis)
}

/** Padding widths: one number for every side, `[before, after]` for every axis, or one pair per axis. */
export type PadWidth = number | readonly [number, number] | ReadonlyArray<readonly [number, number]>

/** Options of `pad`. */
export interface PadOptions {
  /** `"constant"` (default), `"edge"`, `"reflect"` (mirror without the edge), `"symmetric"` (mirror with it), `"wrap"`. */
  readonly mode?: "constant" | "edge" | "reflect" | "symmetric" | "wrap"
  /** For `"constant"`: one value, `[before, after]`, or one pair per axis. Default 0. */
  readonly constantValues?: number | readonly [number, number] | ReadonlyArray<readonly [number, number]>
}

const pairs = <V>(op: string, spec: V | readonly [V, V] | ReadonlyArray<readonly [V, V]>, ndim: number, what: string): Array<[V, V]> => {
  if (!Array.isArray(spec)) return range(ndim).map(() => [spec as V, spec as V])
  if (spec.length === 2 && !Array.isArray(spec[0])) return range(ndim).map(() => [spec[0] as V, spec[1] as V])
  if (spec.length !== ndim || spec.some((p) => !Array.isArray(p) || p.length !== 2)) {
    throw shapeError(op, `${what} ${JSON.stringify(spec)} must be one value, a [before, after] pair, or one pair per axis (${ndim}).`)
  }
  return (spec as ReadonlyArray<readonly [V, V]>).map((p) => [p[0], p[1]])
}

/** The source index of padded position i along an axis of size n, for the mirroring modes. */
const sourceIndex = (mode: "edge" | "reflect" | "symmetric" | "wrap", i: number, n: number): number => {
  const mod = (a: number, m: number) => ((a % m) + m) % m
  switch (mode) {
    case "edge":
      return Math.min(Math.max(i, 0), n - 1)
    case "wrap":
      return mod(i, n)
    case "reflect": {
      if (n === 1) return 0
      const j = mod(i, 2 * (n - 1))
      return j >= n ? 2 * (n - 1) - j : j
    }
    case "symmetric": {
      const j = mod(i, 2 * n)
      return j >= n ? 2 * n - 1 - j : j
    }
  }
}

/**
 * Pads an array. Constant padding is `lax.pad`; the other modes gather from static index maps.
 *
 * JAX: `jnp.pad`.
 *
 * @example
 * jnp.pad(x, [[1, 1], [0, 2]], { mode: "reflect" })
 */
export const pad = (x: A, padWidth: PadWidth, options: PadOptions = {}): Tensor => {
  const t = promoteArgs("pad", x)[0]!
  const widths = pairs("pad", padWidth as number | readonly [number, number], t.ndim, "padWidth")
  if (widths.some(([b, a]) => !Number.isInteger(b) || !Number.isInteger(a) || b < 0 || a < 0)) {
    throw shapeError("pad", `padWidth ${JSON.stringify(padWidth)} must hold non-negative integers.`)
  }
  const mode = options.mode ?? "constant"
  if (mode === "constant") {
    const values = pairs("pad", (options.constantValues ?? 0) as number | readonly [number, number], t.ndim, "constantValues")
    let out = t
    widths.forEach(([b, a], d) => {
      if (b === 0 && a === 0) return
      const cfg = (lo: number, hi: number) => out.shape.map((_, e) => (e === d ? [lo, hi, 0] : [0, 0, 0]) as [number, number, number])
      const [vb, va] = values[d]!
      if (vb === va) out = lax.pad(out, lax.scalar(vb, t.dtype), cfg(b, a))
      else out = lax.pad(lax.pad(out, lax.scalar(vb, t.dtype), cfg(b, 0)), lax.scalar(va, t.dtype), cfg(0, a))
    })
    return out
  }
  if (!["edge", "reflect", "symmetric", "wrap"].includes(mode)) throw shapeError("pad", `unknown mode ${JSON.stringify(mode)}; use constant, edge, reflect, symmetric or wrap.`)
  return widths.reduce((acc, [b, a], d) => {
    if (b === 0 && a === 0) return acc
    const n = acc.shape[d]!
    if (n === 0) throw shapeError("pad", `cannot extend the empty axis ${d} of ${t.aval} with mode "${mode}"; only "constant" pads an empty axis.`)
    return lax.gather(acc, staticIndices(range(b + n + a).map((i) => sourceIndex(mode, i - b, n))), d)
  }, t)
}

/** Splits at increasing indices in [0, n] (as JAX: no wrapping or clamping, so every piece has a size >= 0). */
const splitAt = (op: string, t: Tensor, cuts: ReadonlyArray<number>, axis: number): Tensor[] => {
  const n = t.shape[axis]!
  const bounds = [0, ...cuts, n]
  const sizes = bounds.slice(1).map((b, k) => b - bounds[k]!)
  if (cuts.some((c) => !Number.isInteger(c)) || sizes.some((z) => z < 0)) {
    throw shapeError(op, `split indices ${JSON.stringify(cuts)} give pieces of sizes ${JSON.stringify(sizes)} along axis ${axis} of ${t.aval}; sizes passed to split must be nonnegative. Give increasing indices between 0 and ${n} (negative indices are not counted from the end).`)
  }
  return sizes.map((_, k) => lax.slice(t, t.shape.map((_, d) => (d === axis ? bounds[k]! : 0)), t.shape.map((m, d) => (d === axis ? bounds[k + 1]! : m))))
}

/**
 * Splits into `sections` equal parts, or at the given indices, along `axis`.
 *
 * JAX: `jnp.split` (unequal sections are an error; see `arraySplit`).
 */
export const split = (x: A, sections: number | ReadonlyArray<number>, axis = 0): Tensor[] => {
  const t = promoteArgs("split", x)[0]!
  const a = normalizeAxis("split", axis, t.ndim)
  if (typeof sections !== "number") return splitAt("split", t, sections, a)
  const n = t.shape[a]!
  if (!Number.isInteger(sections) || sections < 1) throw shapeError("split", `sections must be a positive integer, got ${sections}.`)
  if (n % sections !== 0) {
    throw shapeError("split", `array split does not result in an equal division: axis ${a} of ${t.aval} has ${n} elements, not a multiple of ${sections}. Use jnp.arraySplit for unequal parts, or split at explicit indices.`)
  }
  return splitAt("split", t, range(sections - 1).map((k) => ((k + 1) * n) / sections), a)
}

/** Splits into `sections` parts whose sizes differ by at most one (the first ones larger). JAX: `jnp.array_split`. */
export const arraySplit = (x: A, sections: number | ReadonlyArray<number>, axis = 0): Tensor[] => {
  const t = promoteArgs("array_split", x)[0]!
  const a = normalizeAxis("array_split", axis, t.ndim)
  if (typeof sections !== "number") return splitAt("array_split", t, sections, a)
  if (!Number.isInteger(sections) || sections < 1) throw shapeError("array_split", `sections must be a positive integer, got ${sections}.`)
  const n = t.shape[a]!
  const size = Math.floor(n / sections)
  const extra = n % sections
  const cuts: number[] = []
  let at = 0
  for (let k = 0; k < sections - 1; k++) cuts.push((at += size + (k < extra ? 1 : 0)))
  return splitAt("array_split", t, cuts, a)
}

const triangle = (op: "tril" | "triu", x: A, k: number): Tensor => {
  const t = promoteArgs(op, x)[0]!
  if (t.ndim < 2) throw shapeError(op, `needs an array of rank >= 2 (it masks the last two axes), got ${t.aval}.`)
  if (!Number.isInteger(k)) throw shapeError(op, `the diagonal offset k must be an integer, got ${k}.`)
  const rows = lax.iota("int32", t.shape, t.ndim - 2)
  const cols = lax.iota("int32", t.shape, t.ndim - 1)
  const shifted = lax.add(rows, i32(k))
  const keep = op === "tril" ? lax.ge(shifted, cols) : lax.le(shifted, cols)
  return lax.selectN(keep, lax.zerosLike(t), t)
}

/** Zeroes the elements above the k-th diagonal of the last two axes. JAX: `jnp.tril`. */
export const tril = (x: A, k = 0): Tensor => triangle("tril", x, k)
/** Zeroes the elements below the k-th diagonal of the last two axes. JAX: `jnp.triu`. */
export const triu = (x: A, k = 0): Tensor => triangle("triu", x, k)

/** `out[i, j] = a.flat[i] · b.flat[j]`. JAX: `jnp.outer`. */
export const outer = (a: A, b: A): Tensor => {
  const [x, y] = promoteArgs("outer", a, b)
  return lax.mul(lax.reshape(x!, [x!.size, 1]), lax.reshape(y!, [1, y!.size]))
}

/**
 * `num` evenly spaced values from `start` to `stop` (inclusive unless `endpoint: false`),
 * computed as JAX does: `start·(1 - s) + stop·s` for `s = i / div`, so both ends are exact.
 * `start`/`stop` may be arrays: the new axis goes at `axis`.
 *
 * JAX: `jnp.linspace`.
 */
export const linspace = (start: A, stop: A, num = 50, options: { endpoint?: boolean; axis?: number; dtype?: DType } = {}): Tensor => {
  if (!Number.isInteger(num) || num < 0) throw new ArrayDataError({ message: `jnp.linspace: num must be a non-negative integer, got ${num}.` })
  const [s0, e0] = promoteArgs("linspace", start, stop).map((t) => toFloat("linspace", t))
  const boundsShape = broadcastShapes("linspace", [s0!.shape, e0!.shape])
  const s = lax.broadcastTo(s0!, boundsShape)
  const e = lax.broadcastTo(e0!, boundsShape)
  const axis = normalizeAxis("linspace", options.axis ?? 0, boundsShape.length + 1)
  const withAxis = (n: number) => {
    const shape = [...boundsShape]
    shape.splice(axis, 0, n)
    return shape
  }
  const endpoint = options.endpoint ?? true
  const div = endpoint ? num - 1 : num
  let out: Tensor
  if (num > 1) {
    const one = withAxis(1)
    const ones = withAxis(1).map(() => 1)
    ones[axis] = div
    const step = lax.div(lax.reshape(lax.iota("float32", [div], 0), ones), lax.scalar(div, "float32"))
    out = lax.add(lax.mul(lax.reshape(s, one), lax.sub(lax.scalar(1, "float32"), step)), lax.mul(lax.reshape(e, one), step))
    if (endpoint) out = lax.concatenate([out, lax.reshape(e, one)], axis)
  } else if (num === 1) out = lax.reshape(s, withAxis(1))
  else out = lax.full(withAxis(0), 0, "float32")
  const dtype = options.dtype ?? "float32"
  return dtype === "float32" ? out : lax.convertElementType(lax.floor(out), dtype)
}

const FILL: Record<DType, number> = { float32: NaN, int32: -2147483648, uint32: 4294967295, bool: 1 }

/**
 * `out[..., q, ...] = arr[..., indices[..., q, ...], ...]` along `axis`, broadcasting the other
 * axes. Negative indices count from the end; other out-of-range indices give the fill value
 * (NaN, the int minimum, or true) by default, as JAX's `mode="fill"`, or the nearest element
 * with `mode: "clip"`. `axis: null` works on the flattened array.
 *
 * JAX: `jnp.take_along_axis`.
 */
export const takeAlongAxis = (arr: A, indices: A, axis: number | null, options: { mode?: "fill" | "clip" } = {}): Tensor => {
  let t = promoteArgs("take_along_axis", arr)[0]!
  let idx = promoteArgs("take_along_axis", indices)[0]!
  if (idx.dtype !== "int32") throw dtypeError("take_along_axis", `indices must be int32, got ${idx.aval}; cast with astype("int32").`)
  if (axis === null) {
    t = lax.reshape(t, [t.size])
    if (idx.ndim !== 1) throw shapeError("take_along_axis", `with axis null the indices must be 1-D, got ${idx.aval}.`)
  }
  if (idx.ndim !== t.ndim) throw shapeError("take_along_axis", `indices ${idx.aval} and array ${t.aval} must have the same rank.`)
  const a = normalizeAxis("take_along_axis", axis ?? 0, t.ndim)
  const n = t.shape[a]!
  const drop = (s: ReadonlyArray<number>) => s.filter((_, d) => d !== a)
  const batch = broadcastShapes("take_along_axis", [drop(t.shape), drop(idx.shape)])
  const full = (m: number) => [...batch.slice(0, a), m, ...batch.slice(a)]
  t = lax.broadcastTo(t, full(n))
  idx = lax.broadcastTo(idx, full(idx.shape[a]!))
  const mode = options.mode ?? "fill"
  if (n === 0) return lax.full(idx.shape, mode === "fill" ? FILL[t.dtype] : 0, t.dtype)
  const wrapped = lax.selectN(lax.lt(idx, i32(0)), idx, lax.add(idx, i32(n)))
  const clamped = lax.min(lax.max(wrapped, i32(0)), i32(n - 1))
  const got = takeAlong(t, clamped, a)
  if (mode === "clip") return got
  const valid = lax.and(lax.ge(idx, i32(-n)), lax.lt(idx, i32(n)))
  return lax.selectN(valid, lax.full(idx.shape, FILL[t.dtype], t.dtype), got)
}
