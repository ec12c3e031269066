/**
 * Sorting as kernels: `sortPermutation` computes the stable sorting permutation of one or more
 * key arrays along an axis (lexicographic over the keys), and `takeAlongAxis` applies a
 * permutation (or any index array) along an axis. The permutation is found in two launches:
 * each element counts the elements that sort before it (its rank: O(n) per thread, fully
 * parallel), then each output position finds the element of that rank.
 *
 * Orders: `"ascending"` is lax.sort's (-0 equals 0, NaN after +inf, NaNs equal);
 * `"descending"` is lax.top_k's (NaN first, then +inf ... +0, -0 ... -inf). Ties keep index order.
 * Integer keys are compared exactly on 16-bit planes, over the full int32/uint32 range.
 */
import { launch } from "./backend.js"
import { isNaNExpr, kernelSource, notNaN, unravel } from "./codegen.js"
import { allocStorage, sizeOf } from "./dtype.js"
import { IndexOutOfRangeError, shapeError } from "./errors.js"
import { type HostArray, describe, result } from "./HostArray.js"
import { checkArray, checkAxis, checkDtype, checkSizes, types } from "./shape.js"
import { joinPlanes, planes, toStorage, values } from "./transfer.js"

/** The order of a sort. */
export type SortOrder = "ascending" | "descending"

/** A key as the kernel compares it: one float plane, or the (hi, lo) planes of an integer. */
interface KeyPlanes {
  readonly float: boolean
  readonly planes: Float32Array[]
}

const keyPlanes = (x: HostArray): KeyPlanes => {
  if (x.dtype === "float32") return { float: true, planes: [x.data as Float32Array] }
  if (x.dtype === "bool") return { float: false, planes: [values(x)] }
  const [hi, lo] = planes(x.data)
  // int32: the high plane carries the sign (two's complement), so compare it signed
  if (x.dtype === "int32") for (let k = 0; k < hi.length; k++) if (hi[k]! >= 32768) hi[k] = hi[k]! - 65536
  return { float: false, planes: [hi, lo] }
}

/** Validates a sortPermutation call. */
export const validateSortPermutation = (keys: ReadonlyArray<HostArray>, axis: number, order: SortOrder): void => {
  if (!Array.isArray(keys) || keys.length === 0) throw shapeError("sort", [], "no keys", "pass at least one key array")
  keys.forEach((k, j) => checkArray("sort", k, `key ${j}`))
  const first = keys[0]!
  for (const k of keys) {
    if (k.shape.length !== first.shape.length || k.shape.some((n: number, d: number) => n !== first.shape[d])) {
      throw shapeError("sort", types(...keys), "keys have different shapes", "pass keys of one shape")
    }
  }
  checkAxis("sort", axis, first.shape.length, keys)
  if (order !== "ascending" && order !== "descending") throw shapeError("sort", types(...keys), `unknown order ${JSON.stringify(order)}`, 'use "ascending" or "descending"')
  checkSizes("sort", ...keys)
}

/** Comparison expressions for one plane: `before(y, x)` says y sorts strictly before x. */
const before = (float: boolean, order: SortOrder, y: string, x: string, zy: string, zx: string): string => {
  if (!float) return order === "ascending" ? `${y} < ${x}` : `${y} > ${x}`
  if (order === "ascending") return `(${notNaN(y)} && (${isNaNExpr(x)} || ${y} < ${x}))`
  // top_k's total order: NaN first, and +0 before -0 (zy/zx are 1/y, 1/x: ±Infinity at zeros)
  return `((${isNaNExpr(y)} && ${notNaN(x)}) || (${notNaN(x)} && ${notNaN(y)} && (${y} > ${x} || (${y} == 0.0 && ${x} == 0.0 && ${zy} > 0.0 && ${zx} < 0.0))))`
}

const ranksSource = (keys: ReadonlyArray<KeyPlanes>, order: SortOrder, outer: number, n: number, inner: number): string => {
  const un = unravel([outer, n, inner], "i", "c")
  const [o, j, m] = un.coords as [string, string, string]
  const lines = [...un.lines, `const base = ${o} * ${n * inner} + ${m};`]
  const loop: string[] = [`let dec = 0.0;`]
  let p = 0
  for (const key of keys) {
    for (let q = 0; q < key.planes.length; q++, p++) {
      lines.push(`const x${p} = a${p}[base + ${j} * ${inner}];`)
      const desc = key.float && order === "descending"
      if (desc) lines.push(`const zx${p} = 1.0 / x${p};`)
      loop.push(`const y${p} = a${p}[base + t * ${inner}];`)
      if (desc) loop.push(`const zy${p} = 1.0 / y${p};`)
      const b = before(key.float, order, `y${p}`, `x${p}`, `zy${p}`, `zx${p}`)
      const a = before(key.float, order, `x${p}`, `y${p}`, `zx${p}`, `zy${p}`)
      loop.push(`if (dec == 0.0) { if (${b}) { dec = 1.0; } else { if (${a}) { dec = 2.0; } } }`)
    }
  }
  loop.push(`if (dec == 0.0 && t < ${j}) { dec = 1.0; }`, `if (dec == 1.0) { rank = rank + 1.0; }`)
  lines.push(`let rank = 0.0;`, `for (let t = 0; t < ${n}; t++) {`, ...loop.map((l) => `  ${l}`), `}`, `return rank;`)
  return kernelSource(p, 0, lines)
}

const invertSource = (outer: number, n: number, inner: number): string => {
  const un = unravel([outer, n, inner], "i", "c")
  const [o, q, m] = un.coords as [string, string, string]
  return kernelSource(1, 0, [
    ...un.lines,
    `const base = ${o} * ${n * inner} + ${m};`,
    `let idx = 0.0;`,
    `for (let t = 0; t < ${n}; t++) {`,
    `  if (a0[base + t * ${inner}] == ${q}) { idx = t; }`,
    `}`,
    `return idx;`
  ])
}

/**
 * gpu.js implementation of `sortPermutation` (inputs validated): int32 indices of the keys'
 * shape; along `axis`, position p holds the index of the element that sorts p-th (stable).
 */
export const gpujsSortPermutation = (keys: ReadonlyArray<HostArray>, axis: number, order: SortOrder): HostArray => {
  const shape = keys[0]!.shape
  const size = sizeOf(shape)
  if (size === 0) return result("int32", shape, allocStorage("int32", 0))
  const outer = sizeOf(shape.slice(0, axis))
  const n = shape[axis]!
  const inner = sizeOf(shape.slice(axis + 1))
  const kp = keys.map(keyPlanes)
  const arrays = kp.flatMap((k) => k.planes)
  const sig = kp.map((k) => `${k.float ? "f" : "i"}${k.planes.length}`).join(",")
  const ranks = launch(
    { key: `sort-rank:${order}:${sig}|${outer},${n},${inner}`, size, arrays: arrays.length, source: () => ranksSource(kp, order, outer, n, inner) },
    arrays
  )
  const perm = launch({ key: `sort-invert|${outer},${n},${inner}`, size, arrays: 1, source: () => invertSource(outer, n, inner) }, [ranks])
  return result("int32", shape, toStorage("sort", "int32", perm))
}

/** Validates a takeAlongAxis call (including every index) and returns the output shape. */
export const validateTakeAlongAxis = (x: HostArray, indices: HostArray, axis: number): number[] => {
  checkArray("takeAlongAxis", x)
  checkArray("takeAlongAxis", indices, "indices")
  checkDtype("takeAlongAxis", indices, ["int32"], [x, indices], 'pass int32 indices (convert(indices, "int32"))')
  checkAxis("takeAlongAxis", axis, x.shape.length, [x, indices])
  if (indices.shape.length !== x.shape.length || indices.shape.some((k, d) => d !== axis && k !== x.shape[d])) {
    throw shapeError("takeAlongAxis", types(x, indices), `indices must match the operand on every axis but ${axis}`, "broadcast the indices to the operand's shape outside the axis")
  }
  checkSizes("takeAlongAxis", x, indices)
  const n = x.shape[axis]!
  const data = indices.data
  for (let k = 0; k < data.length; k++) {
    const v = data[k]!
    if (v < -n || v >= n) {
      throw new IndexOutOfRangeError({
        op: "takeAlongAxis",
        index: v,
        position: k,
        axis,
        size: n,
        message:
          `takeAlongAxis(${describe(x)}, ${describe(indices)}, axis=${axis}): index ${v} at position ${k} is out of range for an axis of size ${n}. ` +
          `Fix: indices must lie in [${-n}, ${n}); clip or wrap them first.`
      })
    }
  }
  return [...indices.shape]
}

/** gpu.js implementation of `takeAlongAxis`: `out[..., q, ...] = x[..., indices[..., q, ...], ...]`. */
export const gpujsTakeAlongAxis = (x: HostArray, indices: HostArray, axis: number): HostArray => {
  const outShape = indices.shape
  const size = sizeOf(outShape)
  if (size === 0) return result(x.dtype, outShape, allocStorage(x.dtype, 0))
  const outer = sizeOf(x.shape.slice(0, axis))
  const n = x.shape[axis]!
  const inner = sizeOf(x.shape.slice(axis + 1))
  const k = outShape[axis]!
  const source = (): string => {
    const un = unravel([outer, k, inner], "i", "c")
    const [o, , m] = un.coords as [string, string, string]
    return kernelSource(2, 0, [...un.lines, `const j0 = a1[i];`, `const j = j0 < 0.0 ? j0 + ${n} : j0;`, `return a0[${o} * ${n * inner} + j * ${inner} + ${m}];`])
  }
  const spec = { key: `take-along|${outer},${n},${inner},${k}`, size, arrays: 2, source }
  const idx = values(indices)
  if (x.dtype === "int32" || x.dtype === "uint32") {
    const [hi, lo] = planes(x.data)
    return result(x.dtype, outShape, joinPlanes(x.dtype, launch(spec, [hi, idx]), launch(spec, [lo, idx])))
  }
  const out = launch(spec, [values(x), idx])
  return result(x.dtype, outShape, x.dtype === "float32" ? out : toStorage("takeAlongAxis", x.dtype, out))
}
