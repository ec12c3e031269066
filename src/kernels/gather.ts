/**
 * Indexed movement: `gather` (jnp.take along one axis) and its transpose `scatterAdd`.
 * Indices are checked on the host before launch; int data moves as exact 16-bit planes.
 */
import { launch, launchDevice } from "./backend.js"
import { gpujsFull } from "./creation.js"
import { kernelSource, unravel } from "./codegen.js"
import { allocStorage, sizeOf, typeString } from "./dtype.js"
import { EXACT_INT_LIMIT, IndexOutOfRangeError, integerRangeError, shapeError } from "./errors.js"
import { type HostArray, describe, result } from "./HostArray.js"
import { checkArray, checkAxis, checkDtype, checkShape, checkSizes, types } from "./shape.js"
import { checkIntInputs, joinPlanes, kernelInput, maxAbs, planes, resultOf, toStorage, values } from "./transfer.js"

/** Throws IndexOutOfRangeError for the first index outside [-size, size). */
const checkIndices = (op: string, operands: string, indices: HostArray, axis: number, size: number): void => {
  const data = indices.data
  for (let k = 0; k < data.length; k++) {
    const v = data[k]!
    if (v < -size || v >= size) {
      throw new IndexOutOfRangeError({
        op,
        index: v,
        position: k,
        axis,
        size,
        message:
          `${op}(${operands}, axis=${axis}): index ${v} at position ${k} is out of range for axis ${axis} of size ${size}. ` +
          `Indices must lie in [${-size}, ${size}) (negative indices wrap once); reading past the end would return ` +
          `an unrelated element. Fix: clip or wrap the indices before the call (jnp.take mode="clip"/"wrap"), or check where they come from.`
      })
    }
  }
}

/** Output shape of gather: x.shape[:axis] + indices.shape + x.shape[axis+1:]. */
const gatherShape = (xShape: ReadonlyArray<number>, idxShape: ReadonlyArray<number>, axis: number): number[] => [
  ...xShape.slice(0, axis),
  ...idxShape,
  ...xShape.slice(axis + 1)
]

/** Validates a gather call (including every index) and returns the output shape. */
export const validateGather = (x: HostArray, indices: HostArray, axis: number): number[] => {
  checkArray("gather", x)
  checkArray("gather", indices, "indices")
  checkDtype("gather", indices, ["int32"], [x, indices], 'pass int32 indices (convert(indices, "int32"))')
  checkAxis("gather", axis, x.shape.length, [x, indices])
  const out = gatherShape(x.shape, indices.shape, axis)
  checkSizes("gather", x, indices, { dtype: x.dtype, shape: out })
  checkIndices("gather", `${describe(x)}, ${describe(indices)}`, indices, axis, x.shape[axis]!)
  return out
}

/** gpu.js implementation of `gather` (inputs validated). */
export const gpujsGather = (x: HostArray, indices: HostArray, axis: number): HostArray => {
  const outShape = gatherShape(x.shape, indices.shape, axis)
  const n = sizeOf(outShape)
  if (n === 0) return result(x.dtype, outShape, allocStorage(x.dtype, 0))
  const outer = sizeOf(x.shape.slice(0, axis))
  const d = x.shape[axis]!
  const inner = sizeOf(x.shape.slice(axis + 1))
  const k = sizeOf(indices.shape)
  const source = (): string => {
    const un = unravel([outer, k, inner], "i", "c")
    const [o, kk, m] = un.coords as [string, string, string]
    return kernelSource(2, 0, [
      ...un.lines,
      `const j0 = a1[${kk}];`,
      `const j = j0 < 0.0 ? j0 + ${d} : j0;`,
      `return a0[${o} * ${d * inner} + j * ${inner} + ${m}];`
    ])
  }
  const spec = { key: `gather|${outer},${d},${inner},${k}`, size: n, arrays: 2, source }
  const idx = values(indices)
  if (x.dtype === "int32" || x.dtype === "uint32") {
    const [hi, lo] = planes(x.data)
    return result(x.dtype, outShape, joinPlanes(x.dtype, launch(spec, [hi, idx]), launch(spec, [lo, idx])))
  }
  return resultOf("gather", x.dtype, outShape, launchDevice(spec, [kernelInput(x), idx]))
}

/** Validates a scatterAdd call (including every index). */
export const validateScatterAdd = (operandShape: ReadonlyArray<number>, indices: HostArray, updates: HostArray, axis: number): void => {
  checkArray("scatterAdd", indices, "indices")
  checkArray("scatterAdd", updates, "updates")
  checkShape("scatterAdd", operandShape, [indices, updates], "operandShape")
  const all = [indices, updates]
  checkDtype("scatterAdd", indices, ["int32"], all, 'pass int32 indices (convert(indices, "int32"))')
  checkDtype("scatterAdd", updates, ["float32", "int32", "uint32"], all, 'convert bool updates to int32 first')
  checkAxis("scatterAdd", axis, operandShape.length, all)
  const want = gatherShape(operandShape, indices.shape, axis)
  if (want.length !== updates.shape.length || want.some((v, d) => v !== updates.shape[d])) {
    throw shapeError("scatterAdd", [...types(...all), `operand [${operandShape.join(",")}]`], `updates must have shape [${want.join(",")}] (operandShape[:axis] + indices.shape + operandShape[axis+1:])`, "pass updates shaped like gather(operand, indices, axis)")
  }
  checkSizes("scatterAdd", indices, updates, { dtype: updates.dtype, shape: operandShape })
  checkIndices("scatterAdd", `${typeString(updates.dtype, operandShape)}, ${describe(indices)}, ${describe(updates)}`, indices, axis, operandShape[axis]!)
}

/**
 * gpu.js implementation of `scatterAdd` (inputs validated): zeros(operandShape) with each
 * update added at its index; duplicates accumulate in index order. The host sorts the indices
 * into per-target lists (counting sort) so each output thread loops over only its own updates.
 */
export const gpujsScatterAdd = (operandShape: ReadonlyArray<number>, indices: HostArray, updates: HostArray, axis: number): HostArray => {
  const dtype = updates.dtype
  const n = sizeOf(operandShape)
  const k = sizeOf(indices.shape)
  if (n === 0 || k === 0) return gpujsFull(dtype, operandShape, 0)
  const outer = sizeOf(operandShape.slice(0, axis))
  const d = operandShape[axis]!
  const inner = sizeOf(operandShape.slice(axis + 1))
  const counts = new Float32Array(d + 1)
  const norm = new Int32Array(k)
  for (let t = 0; t < k; t++) {
    const v = indices.data[t]!
    norm[t] = v < 0 ? v + d : v
    counts[norm[t]! + 1]!++
  }
  let maxCount = 0
  for (let j = 0; j < d; j++) {
    maxCount = Math.max(maxCount, counts[j + 1]!)
    counts[j + 1]! += counts[j]!
  }
  const offsets = counts
  const fillAt = Float32Array.from(offsets.subarray(0, d))
  const order = new Float32Array(k)
  for (let t = 0; t < k; t++) order[fillAt[norm[t]!]!++] = t
  const trips = 2 ** Math.ceil(Math.log2(Math.max(1, maxCount)))
  const run = (bound: boolean): Float32Array => {
    const source = (): string => {
      const un = unravel([outer, d, inner], "i", "c")
      const [o, j, m] = un.coords as [string, string, string]
      const term = `a0[${o} * ${k * inner} + kk * ${inner} + ${m}]`
      return kernelSource(3, 0, [
        ...un.lines,
        `const st = a1[${j}];`,
        `const cnt = a1[${j} + 1] - st;`,
        `let acc = 0.0;`,
        `let neg = 0.0;`,
        `for (let t = 0; t < ${trips}; t++) {`,
        `  if (t >= cnt) { break; }`,
        `  const kk = a2[st + t];`,
        `  const u = ${term};`,
        bound ? `  if (u > 0.0) { acc = acc + u; } else { neg = neg - u; }` : `  acc = acc + u;`,
        `}`,
        bound ? `return Math.max(acc, neg);` : `return acc;`
      ])
    }
    return launch({ key: `scatter:${bound}|${outer},${d},${inner},${k},${trips}`, size: n, arrays: 3, source }, [values(updates), offsets, order])
  }
  if (dtype === "int32" || dtype === "uint32") {
    checkIntInputs("scatterAdd", updates)
    if (maxAbs(updates.data) * maxCount >= EXACT_INT_LIMIT) {
      for (const v of run(true)) if (!(v < EXACT_INT_LIMIT)) throw integerRangeError("scatterAdd", dtype, v, "the bound on partial sums (Σ of same-signed updates)")
    }
  }
  return result(dtype, operandShape, toStorage("scatterAdd", dtype, run(false)))
}
