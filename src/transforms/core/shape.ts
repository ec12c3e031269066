/** Shape arithmetic shared by primitives: broadcasting, axes, permutations. */
import { shapeError } from "./errors.js"
import { showAval } from "./aval.js"
import type { DType } from "../../kernels/dtype.js"

/** numpy broadcasting of two or more shapes; throws a ShapeError naming the op and shapes. */
export const broadcastShapes = (op: string, shapes: ReadonlyArray<ReadonlyArray<number>>, dtypes?: ReadonlyArray<DType>): number[] => {
  const rank = Math.max(0, ...shapes.map((s) => s.length))
  const out = new Array<number>(rank).fill(1)
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i
      const d = s[i]!
      if (out[o] === 1) out[o] = d
      else if (d !== 1 && d !== out[o]) {
        const shown = shapes.map((sh, k) => showAval(sh, dtypes?.[k] ?? "float32")).join(" and ")
        throw shapeError(op, `shapes ${shown} cannot be broadcast together (dimension ${o}: ${out[o]} vs ${d}). Reshape or expand one operand so each dimension matches or is 1.`)
      }
    }
  }
  return out
}

/** Normalise an axis (negative counts from the end); throws a ShapeError when out of range. */
export const normalizeAxis = (op: string, axis: number, ndim: number): number => {
  if (!Number.isInteger(axis) || axis < -ndim || axis >= ndim) {
    throw shapeError(op, `axis ${axis} is out of bounds for an array of rank ${ndim}; use an axis in [${-ndim}, ${ndim - 1}].`)
  }
  return axis < 0 ? axis + ndim : axis
}

export const normalizeAxes = (op: string, axes: ReadonlyArray<number>, ndim: number): number[] => {
  const out = axes.map((a) => normalizeAxis(op, a, ndim))
  if (new Set(out).size !== out.length) throw shapeError(op, `repeated axis in ${JSON.stringify(axes)}; list each axis once.`)
  return out
}

export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i)

export const invertPerm = (perm: ReadonlyArray<number>): number[] => {
  const inv = new Array<number>(perm.length)
  perm.forEach((p, i) => (inv[p] = i))
  return inv
}

/** Move axis `src` to position `dst` as a permutation. */
export const moveAxisPerm = (ndim: number, src: number, dst: number): number[] => {
  const perm = range(ndim).filter((i) => i !== src)
  perm.splice(dst, 0, src)
  return perm
}
