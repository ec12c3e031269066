/**
 * The cumulative family (`cumsum`, `cumprod`, `cummax`, `cummin`): one thread per output
 * element walks its prefix along the axis in order (a literal-bound loop that stops at its own
 * position), so each output is the sequential fold of the elements before it.
 */
import { launch } from "./backend.js"
import { isNaNExpr, kernelSource, notNaN, unravel } from "./codegen.js"
import { allocStorage, sizeOf } from "./dtype.js"
import { shapeError } from "./errors.js"
import { type HostArray, result } from "./HostArray.js"
import { checkArray, checkAxis, checkDtype, checkSizes, types } from "./shape.js"
import { checkIntInputs, toStorage, values } from "./transfer.js"

/** Cumulative reductions along one axis. */
export type CumulativeOp = "sum" | "prod" | "max" | "min"

const CUMULATIVE_OPS: ReadonlyArray<CumulativeOp> = ["sum", "prod", "max", "min"]

/** Validates a cumulative call. */
export const validateCumulative = (op: CumulativeOp, x: HostArray, axis: number, reverse: boolean): void => {
  checkArray(`cum${op}`, x)
  if (!CUMULATIVE_OPS.includes(op)) throw shapeError("cumulative", types(x), `unknown cumulative op ${JSON.stringify(op)}`, `use one of ${CUMULATIVE_OPS.join(", ")}`)
  checkAxis(`cum${op}`, axis, x.shape.length, [x])
  if (typeof reverse !== "boolean") throw shapeError(`cum${op}`, types(x), `reverse must be a boolean, got ${String(reverse)}`, "pass true or false")
  checkDtype(`cum${op}`, x, ["float32", "int32", "uint32"], [x], `convert bool to int32 before cum${op}`)
  checkSizes(`cum${op}`, x)
}

const step = (op: CumulativeOp): string[] => {
  switch (op) {
    case "sum":
      return [`acc = acc + v;`]
    case "prod":
      return [`acc = acc * v;`]
    // NaN wins and stays, as in the max/min reductions (JAX)
    case "max":
      return [`if (${notNaN("acc")} && (v > acc || ${isNaNExpr("v")})) { acc = v; }`]
    case "min":
      return [`if (${notNaN("acc")} && (v < acc || ${isNaNExpr("v")})) { acc = v; }`]
  }
}

const cumulativeSource = (op: CumulativeOp, outer: number, n: number, inner: number, reverse: boolean): string => {
  const un = unravel([outer, n, inner], "i", "c")
  const [o, k, m] = un.coords as [string, string, string]
  const init = op === "sum" ? "0.0" : op === "prod" ? "1.0" : `a0[${o} * ${n * inner} + ${reverse ? n - 1 : 0} * ${inner} + ${m}]`
  // position along the axis visited at step t: forward 0, 1, ..., k; reverse n-1, ..., k
  const pos = reverse ? `${n - 1} - t` : "t"
  const stop = reverse ? `${n - 1} - t < ${k}` : `t > ${k}`
  return kernelSource(1, 0, [
    ...un.lines,
    `let acc = ${init};`,
    `for (let t = 0; t < ${n}; t++) {`,
    `  if (${stop}) { break; }`,
    `  const v = a0[${o} * ${n * inner} + (${pos}) * ${inner} + ${m}];`,
    ...step(op).map((l) => `  ${l}`),
    `}`,
    `return acc;`
  ])
}

/**
 * gpu.js implementation of `cumulative` (inputs validated). Integers compute in float32: every
 * partial result of the sequential fold is itself an output, so checking the outputs against
 * ±2^24 (in `toStorage`) proves the whole computation exact.
 */
export const gpujsCumulative = (op: CumulativeOp, x: HostArray, axis: number, reverse: boolean): HostArray => {
  const size = sizeOf(x.shape)
  if (size === 0) return result(x.dtype, x.shape, allocStorage(x.dtype, 0))
  const outer = sizeOf(x.shape.slice(0, axis))
  const n = x.shape[axis]!
  const inner = sizeOf(x.shape.slice(axis + 1))
  if (x.dtype !== "float32") checkIntInputs(`cum${op}`, x)
  const out = launch(
    { key: `cum:${op}:${reverse}|${outer},${n},${inner}`, size, arrays: 1, source: () => cumulativeSource(op, outer, n, inner, reverse) },
    [values(x)]
  )
  return result(x.dtype, x.shape, toStorage(`cum${op}`, x.dtype, out))
}
