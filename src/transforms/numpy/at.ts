/**
 * `jnp.at(x, ...index)`: JAX's functional updates `x.at[index].set(v)`, `.add(v)`, `.mul(v)` and
 * `.get()`. Static parts of the index (numbers, `[start, stop, step]`, `null`) become slices and
 * pads; int32 index tensors become one gather or scatter along their (merged) axes. As in JAX,
 * negative indices count from the end, out-of-range updates are dropped, and out-of-range reads
 * are clamped to the nearest element (what `x[i]` and `x.at[i].get()` do in JAX).
 */
import { Tensor } from "../core/Tensor.js"
import * as lax from "../core/lax.js"
import { dtypeError, shapeError } from "../core/errors.js"
import { broadcastShapes, range } from "../core/shape.js"
import { promoteArgs, type ArrayLike } from "./promote.js"

/** One entry per axis: an index, `[start, stop, step]`, `null` for the whole axis, or an int32 tensor of indices. */
export type IndexSpec = number | readonly [number?, number?, number?] | null | Tensor

const i32 = (v: number): Tensor => lax.scalar(v, "int32")

interface Plan {
  /** static window per axis */
  readonly start: number[]
  readonly limit: number[]
  readonly stride: number[]
  /** axes indexed by a static number (dropped from the view) when there is no tensor index */
  readonly dropped: number[]
  /** the run of axes indexed by tensors (and numbers inside that run), merged into one */
  readonly group: { readonly first: number; readonly count: number; readonly indices: Tensor[] } | null
}

const plan = (x: Tensor, specs: ReadonlyArray<IndexSpec>): Plan => {
  if (specs.length > x.ndim) throw shapeError("at", `${specs.length} indices for ${x.aval}, which has ${x.ndim} axes.`)
  // a static number outside the axis is handled like an index tensor, so it is dropped or filled as in JAX
  const full = [...specs, ...new Array<IndexSpec>(x.ndim - specs.length).fill(null)].map((s, d) =>
    typeof s === "number" && Number.isInteger(s) && (s < -x.shape[d]! || s >= x.shape[d]!) ? i32(s) : s
  )
  const isAdvanced = (s: IndexSpec) => s instanceof Tensor
  const tensorAxes = full.flatMap((s, d) => (isAdvanced(s) ? [d] : []))
  const start: number[] = []
  const limit: number[] = []
  const stride: number[] = []
  const dropped: number[] = []
  let group: Plan["group"] = null
  let runFirst = -1
  let runLast = -1
  if (tensorAxes.length > 0) {
    // numbers next to the tensor indices join them (numpy broadcasts them together)
    runFirst = tensorAxes[0]!
    runLast = tensorAxes[tensorAxes.length - 1]!
    while (runFirst > 0 && typeof full[runFirst - 1] === "number") runFirst--
    while (runLast < x.ndim - 1 && typeof full[runLast + 1] === "number") runLast++
    for (let d = runFirst; d <= runLast; d++) {
      if (!(isAdvanced(full[d]!) || typeof full[d] === "number")) {
        throw shapeError("at", `index tensors separated by a slice (axes ${tensorAxes.join(", ")}) are not supported: numpy would move their axes to the front. Put the index tensors on adjacent axes, or index in two steps.`)
      }
    }
    if (full.some((s, d) => typeof s === "number" && (d < runFirst || d > runLast))) {
      throw shapeError("at", "a static integer index separated from the index tensors by a slice is not supported (numpy would move the advanced axes to the front); pass it as a slice [i, i + 1] and squeeze, or index in two steps.")
    }
    const indices = range(runLast - runFirst + 1).map((k) => {
      const s = full[runFirst + k]!
      if (typeof s === "number") {
        if (!Number.isInteger(s)) throw shapeError("at", `index ${s} on axis ${runFirst + k} is not an integer.`)
        return i32(s)
      }
      const t = s as Tensor
      if (t.dtype !== "int32") throw dtypeError("at", `index tensors must be int32, got ${t.aval} on axis ${runFirst + k}; cast with astype("int32").`)
      return t
    })
    group = { first: runFirst, count: runLast - runFirst + 1, indices }
  }
  x.shape.forEach((n, d) => {
    if (group && d >= runFirst && d <= runLast) {
      start.push(0), limit.push(n), stride.push(1)
      return
    }
    const s = full[d]
    if (s === null || s === undefined) {
      start.push(0), limit.push(n), stride.push(1)
    } else if (typeof s === "number") {
      const j = s < 0 ? s + n : s
      if (!Number.isInteger(s)) throw shapeError("at", `index ${s} on axis ${d} is not an integer.`)
      start.push(j), limit.push(j + 1), stride.push(1), dropped.push(d)
    } else if (Array.isArray(s)) {
      const step = s[2] ?? 1
      if (!Number.isInteger(step) || step < 1) throw shapeError("at", `step ${step} on axis ${d} must be a positive integer.`)
      const norm = (v: number | undefined, dflt: number) => (v === undefined ? dflt : Math.min(n, Math.max(0, v < 0 ? v + n : v)))
      const a = norm(s[0], 0)
      start.push(a), limit.push(Math.max(a, norm(s[1], n))), stride.push(step)
    } else throw shapeError("at", `index entry ${d} must be a number, [start, stop, step], null or an int32 tensor.`)
  })
  return { start, limit, stride, dropped, group }
}

/** The static window of `x` (slices applied, int axes kept as size 1). */
const window = (x: Tensor, p: Plan): Tensor =>
  p.start.every((s, d) => s === 0 && p.limit[d] === x.shape[d] && p.stride[d] === 1)
    ? x
    : lax.slice(x, p.start, p.limit, p.stride.every((s) => s === 1) ? undefined : p.stride)

/** Writes a window back into `x` (positions outside the window keep `x`'s bits). */
const unwindow = (x: Tensor, p: Plan, w: Tensor): Tensor => {
  if (w.shape.every((n, d) => n === x.shape[d])) return w
  const cfg = x.shape.map((n, d) => {
    const len = w.shape[d]!
    const last = len === 0 ? p.start[d]! : p.start[d]! + (len - 1) * p.stride[d]! + 1
    return [p.start[d]!, n - last, len === 0 ? 0 : p.stride[d]! - 1] as [number, number, number]
  })
  if (w.size === 0) return x
  const placed = lax.pad(lax.convertElementType(w, x.dtype), lax.scalar(0, x.dtype), cfg)
  const mask = lax.pad(lax.full(w.shape, 1, "bool"), lax.scalar(0, "bool"), cfg)
  return lax.selectN(mask, x, placed)
}

/** Merges the group's axes of a window and computes the flat index, its validity and the view shape. */
const gathered = (w: Tensor, p: Plan) => {
  const g = p.group!
  const sizes = w.shape.slice(g.first, g.first + g.count)
  const b = broadcastShapes("at", g.indices.map((t) => t.shape))
  let flat: Tensor | null = null
  let clamped: Tensor | null = null
  let valid: Tensor | null = null
  const add = (acc: Tensor | null, t: Tensor) => (acc === null ? t : lax.add(acc, t))
  g.indices.forEach((idx0, k) => {
    const n = sizes[k]!
    const idx = lax.broadcastTo(idx0, b)
    const ok = lax.and(lax.ge(idx, i32(-n)), lax.lt(idx, i32(n)))
    const wrapped = lax.selectN(lax.lt(idx, i32(0)), idx, lax.add(idx, i32(n)))
    const stride = sizes.slice(k + 1).reduce((a, c) => a * c, 1)
    const scale = (t: Tensor) => (stride === 1 ? t : lax.mul(t, i32(stride)))
    flat = add(flat, scale(wrapped))
    clamped = add(clamped, scale(lax.min(lax.max(wrapped, i32(0)), i32(Math.max(0, n - 1)))))
    valid = valid === null ? ok : lax.and(valid, ok)
  })
  const total = sizes.reduce((a, c) => a * c, 1)
  const merged = lax.reshape(w, [...w.shape.slice(0, g.first), total, ...w.shape.slice(g.first + g.count)])
  return { merged, flat: flat!, clamped: clamped!, valid: valid!, total, batch: b }
}

/** The result of `jnp.at(x, ...index)`: read or functionally update the indexed elements. */
export interface AtIndex {
  /** The indexed elements (`x[index]`); out-of-range indices are clamped to the nearest element, as in JAX. */
  get(): Tensor
  /** A copy of `x` with the indexed elements replaced by `values` (broadcast); with repeated indices the last update wins. */
  set(values: ArrayLike): Tensor
  /** A copy of `x` with `values` added at the indexed elements (repeated indices accumulate). */
  add(values: ArrayLike): Tensor
  /**
   * A copy of `x` with the indexed elements multiplied by `values` (repeated indices multiply in
   * turn). Its gradient with respect to `values` needs `uniqueIndices: true`, as in JAX.
   */
  mul(values: ArrayLike, options?: { uniqueIndices?: boolean }): Tensor
}

/**
 * Functional indexed updates, JAX's `x.at[index]`: `jnp.at(x, 1, [0, 2]).set(0)` is
 * `x.at[1, 0:2].set(0)`; `jnp.at(x, ids).add(rows)` is `x.at[ids].add(rows)`.
 *
 * JAX: `jax.Array.at` (`jnp.ndarray.at`).
 *
 * @example
 * declare const counts: Tensor, labels: Tensor
 * jnp.at(counts, labels).add(1)
 */
export const at = (x: ArrayLike, ...index: IndexSpec[]): AtIndex => {
  const t = promoteArgs("at", x)[0]!
  const p = plan(t, index)
  const w = window(t, p)
  const viewShape = (): number[] => {
    if (!p.group) return w.shape.filter((_, d) => !p.dropped.includes(d))
    const b = broadcastShapes("at", p.group.indices.map((i) => i.shape))
    return [...w.shape.slice(0, p.group.first), ...b, ...w.shape.slice(p.group.first + p.group.count)]
  }
  const values = (v: ArrayLike, op: string): Tensor => {
    const u = lax.convertElementType(promoteArgs(op, v)[0]!, t.dtype)
    const shape = viewShape()
    const lead = shape.length - u.ndim
    if (lead < 0 || u.shape.some((d, i) => d !== 1 && d !== shape[lead + i])) {
      throw shapeError(`at(...).${op}`, `values ${u.aval} cannot be broadcast to the indexed shape [${shape.join(",")}].`)
    }
    return lax.broadcastTo(u, shape)
  }
  const update = (op: "set" | "add" | "mul", v: ArrayLike, unique: boolean): Tensor => {
    if (t.dtype === "bool" && op !== "set") throw dtypeError(`at(...).${op}`, `does not apply to ${t.aval}; cast to int32 first.`)
    const u = values(v, op)
    if (!p.group) {
      const uw = lax.reshape(u, w.shape)
      const next = op === "set" ? uw : op === "add" ? lax.add(w, uw) : lax.mul(w, uw)
      return unwindow(t, p, next)
    }
    const g = gathered(w, p)
    const axis = p.group.first
    // out-of-range updates go to an extra slot past the end, which is cut off again (JAX drops them)
    const padded = lax.pad(g.merged, lax.scalar(0, t.dtype), g.merged.shape.map((_, d) => (d === axis ? [0, 1, 0] : [0, 0, 0]) as [number, number, number]))
    const idx = lax.selectN(g.valid, i32(g.total), g.flat)
    const scattered =
      op === "set" ? lax.scatter(padded, idx, u, axis) : op === "add" ? lax.scatterAdd(padded, idx, u, axis) : lax.scatterMul(padded, idx, u, axis, unique)
    const cut = lax.slice(scattered, scattered.shape.map(() => 0), scattered.shape.map((n, d) => (d === axis ? n - 1 : n)))
    return unwindow(t, p, lax.reshape(cut, w.shape))
  }
  return {
    get: () => {
      if (!p.group) return lax.reshape(w, viewShape())
      const g = gathered(w, p)
      if (g.total === 0) throw shapeError("at(...).get", `cannot index an empty axis of ${t.aval}.`)
      return lax.gather(g.merged, g.clamped, p.group.first)
    },
    set: (v) => update("set", v, false),
    add: (v) => update("add", v, false),
    mul: (v, options = {}) => update("mul", v, options.uniqueIndices ?? false)
  }
}
