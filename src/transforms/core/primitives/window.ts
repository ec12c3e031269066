/** The pooling-window rule family: window shapes, batching and parameter printing shared by the window primitives. */
import { ShapedArray } from "../aval.js"
import { shapeError } from "../errors.js"
import type { PrimitiveDef } from "../primitive.js"
import type { Tensor } from "../Tensor.js"
import { bind1 } from "../trace.js"
import * as lax from "../lax.js"

/** A pooling window: its size, step and padding on every axis of the operand (batch and feature axes included). JAX: the arguments of `lax.reduce_window`. */
export interface WindowParams {
  /** The window's extent along each axis. */
  readonly windowDimensions: ReadonlyArray<number>
  /** The step between windows along each axis. */
  readonly windowStrides: ReadonlyArray<number>
  /** `[low, high]` padding of each axis (with the reduction's identity). */
  readonly padding: ReadonlyArray<readonly [number, number]>
}

export const kparams = (p: WindowParams) => ({
  windowDimensions: [...p.windowDimensions],
  windowStrides: [...p.windowStrides],
  padding: p.padding.map((q) => [q[0], q[1]] as [number, number])
})

export const windowOutShape = (op: string, x: ShapedArray, p: WindowParams): number[] => {
  if (p.windowDimensions.length !== x.ndim || p.windowStrides.length !== x.ndim || p.padding.length !== x.ndim) {
    throw shapeError(op, `window dimensions, strides and padding need one entry per axis of ${x.toString()}.`)
  }
  return x.shape.map((d, i) => {
    const padded = d + p.padding[i]![0] + p.padding[i]![1]
    const w = p.windowDimensions[i]!
    if (w < 1 || p.windowStrides[i]! < 1) throw shapeError(op, "window sizes and strides must be >= 1.")
    return padded < w ? 0 : Math.floor((padded - w) / p.windowStrides[i]!) + 1
  })
}

export const batchWindow =
  <P extends WindowParams>(self: () => PrimitiveDef<P>, nArgs: number) =>
  (vals: ReadonlyArray<Tensor>, dims: ReadonlyArray<number | null>, p: P, axisSize: number): [Tensor[], (number | null)[]] => {
    const front = vals.slice(0, nArgs).map((v, i) =>
      dims[i] === null ? lax.broadcastInDim(v, [axisSize, ...v.shape], v.shape.map((_, k) => k + 1)) : lax.moveAxis(v, dims[i]!, 0)
    )
    const np = { ...p, windowDimensions: [1, ...p.windowDimensions], windowStrides: [1, ...p.windowStrides], padding: [[0, 0] as const, ...p.padding] }
    return [[bind1(self(), front, np)], [0]]
  }

export const printWin = (p: WindowParams) => `padding=(${p.padding.map((q) => `(${q[0]}, ${q[1]})`).join(", ")}) window_dimensions=(${p.windowDimensions.join(", ")}) window_strides=(${p.windowStrides.join(", ")})`

export const dilate = (s: number, d: number) => (s === 0 ? 0 : 1 + d * (s - 1))
