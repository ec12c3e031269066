/**
 * `scatter` with a combiner other than add: `"set"` (each target takes the last update aimed at
 * it, in index order, as XLA's CPU scatter does) and `"mul"` (each target is multiplied by its
 * updates in index order). Like `scatterAdd`, the host sorts the indices into per-target lists
 * so each output thread visits only its own updates.
 */
import { launch } from "./backend.js"
import { kernelSource, unravel } from "./codegen.js"
import { allocStorage, sizeOf, typeString } from "./dtype.js"
import { IndexOutOfRangeError, shapeError } from "./errors.js"
import { type HostArray, describe, result } from "./HostArray.js"
import { checkArray, checkAxis, checkDtype, checkSizes, types } from "./shape.js"
import { checkIntInputs, joinPlanes, planes, toStorage, values } from "./transfer.js"

/** How updates combine with the operand. */
export type ScatterMode = "set" | "mul"

/** Validates a scatter call (including every index). */
export const validateScatter = (mode: ScatterMode, operand: HostArray, indices: HostArray, updates: HostArray, axis: number): void => {
  const op = `scatter_${mode}`
  checkArray(op, operand)
  checkArray(op, indices, "indices")
  checkArray(op, updates, "updates")
  const all = [operand, indices, updates]
  if (mode !== "set" && mode !== "mul") throw shapeError("scatter", types(...all), `unknown mode ${JSON.stringify(mode)}`, 'use "set" or "mul"')
  checkDtype(op, indices, ["int32"], all, 'pass int32 indices (convert(indices, "int32"))')
  if (mode === "mul") checkDtype(op, operand, ["float32", "int32", "uint32"], all, "convert bool operands to int32 first")
  if (operand.dtype !== updates.dtype) throw shapeError(op, types(...all), `operand and updates dtypes differ (${operand.dtype} vs ${updates.dtype})`, "convert the updates to the operand's dtype")
  checkAxis(op, axis, operand.shape.length, all)
  const want = [...operand.shape.slice(0, axis), ...indices.shape, ...operand.shape.slice(axis + 1)]
  if (want.length !== updates.shape.length || want.some((v, d) => v !== updates.shape[d])) {
    throw shapeError(op, types(...all), `updates must have shape [${want.join(",")}] (operand.shape[:axis] + indices.shape + operand.shape[axis+1:])`, "pass updates shaped like gather(operand, indices, axis)")
  }
  checkSizes(op, ...all)
  const size = operand.shape[axis]!
  for (let k = 0; k < indices.data.length; k++) {
    const v = indices.data[k]!
    if (v < -size || v >= size) {
      throw new IndexOutOfRangeError({
        op,
        index: v,
        position: k,
        axis,
        size,
        message:
          `${op}(${typeString(operand.dtype, operand.shape)}, ${describe(indices)}, ${describe(updates)}, axis=${axis}): index ${v} at position ${k} is out of range for an axis of size ${size}. ` +
          `Fix: indices must lie in [${-size}, ${size}); jnp.at(...) drops out-of-range updates as JAX does, use it or mask the indices first.`
      })
    }
  }
}

/** gpu.js implementation of `scatter` (inputs validated). */
export const gpujsScatter = (mode: ScatterMode, operand: HostArray, indices: HostArray, updates: HostArray, axis: number): HostArray => {
  const dtype = operand.dtype
  const n = sizeOf(operand.shape)
  const k = sizeOf(indices.shape)
  if (n === 0) return result(dtype, operand.shape, allocStorage(dtype, 0))
  if (k === 0) return result(dtype, operand.shape, operand.data)
  const outer = sizeOf(operand.shape.slice(0, axis))
  const d = operand.shape[axis]!
  const inner = sizeOf(operand.shape.slice(axis + 1))
  // counting sort of the update positions by target index (stable: index order kept)
  const offsets = new Float32Array(d + 1)
  const norm = new Int32Array(k)
  for (let t = 0; t < k; t++) {
    const v = indices.data[t]!
    norm[t] = v < 0 ? v + d : v
    offsets[norm[t]! + 1]!++
  }
  let maxCount = 0
  for (let j = 0; j < d; j++) {
    maxCount = Math.max(maxCount, offsets[j + 1]!)
    offsets[j + 1]! += offsets[j]!
  }
  const fill = Float32Array.from(offsets.subarray(0, d))
  const order = new Float32Array(k)
  for (let t = 0; t < k; t++) order[fill[norm[t]!]!++] = t
  const trips = 2 ** Math.ceil(Math.log2(Math.max(1, maxCount)))
  const source = (): string => {
    const un = unravel([outer, d, inner], "i", "c")
    const [o, j, m] = un.coords as [string, string, string]
    return kernelSource(4, 0, [
      ...un.lines,
      `const st = a2[${j}];`,
      `const cnt = a2[${j} + 1] - st;`,
      `let acc = a0[i];`,
      `for (let t = 0; t < ${trips}; t++) {`,
      `  if (t >= cnt) { break; }`,
      `  const kk = a3[st + t];`,
      `  const u = a1[${o} * ${k * inner} + kk * ${inner} + ${m}];`,
      mode === "set" ? `  acc = u;` : `  acc = acc * u;`,
      `}`,
      `return acc;`
    ])
  }
  const spec = { key: `scatter-${mode}|${outer},${d},${inner},${k},${trips}`, size: n, arrays: 4, source }
  if (mode === "set" && (dtype === "int32" || dtype === "uint32")) {
    // data movement only: exact on 16-bit planes over the full range
    const [oh, ol] = planes(operand.data)
    const [uh, ul] = planes(updates.data)
    return result(dtype, operand.shape, joinPlanes(dtype, launch(spec, [oh, uh, offsets, order]), launch(spec, [ol, ul, offsets, order])))
  }
  if (dtype !== "float32") checkIntInputs(`scatter_${mode}`, operand, updates)
  const out = launch(spec, [values(operand), values(updates), offsets, order])
  return result(dtype, operand.shape, toStorage(`scatter_${mode}`, dtype, out))
}
