/** Pooling windows: reduce_window_{max,sum} and the max-pool helpers select_and_{scatter,gather}_add. */
import { ShapedArray } from "../aval.js"
import { shapeError } from "../errors.js"
import type { PrimitiveDef } from "../primitive.js"
import type { Tensor } from "../Tensor.js"
import { bind1 } from "../trace.js"
import * as lax from "../lax.js"
import * as K from "../../../kernels/index.js"
import { isUndef, linearJvp, nonlinear, wrap } from "./families.js"

export interface WindowParams {
  readonly windowDimensions: ReadonlyArray<number>
  readonly windowStrides: ReadonlyArray<number>
  readonly padding: ReadonlyArray<readonly [number, number]>
}

const kparams = (p: WindowParams) => ({
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

const batchWindow =
  <P extends WindowParams>(self: () => PrimitiveDef<P>, nArgs: number) =>
  (vals: ReadonlyArray<Tensor>, dims: ReadonlyArray<number | null>, p: P, axisSize: number): [Tensor[], (number | null)[]] => {
    const front = vals.slice(0, nArgs).map((v, i) =>
      dims[i] === null ? lax.broadcastInDim(v, [axisSize, ...v.shape], v.shape.map((_, k) => k + 1)) : lax.moveAxis(v, dims[i]!, 0)
    )
    const np = { ...p, windowDimensions: [1, ...p.windowDimensions], windowStrides: [1, ...p.windowStrides], padding: [[0, 0] as const, ...p.padding] }
    return [[bind1(self(), front, np)], [0]]
  }

const printWin = (p: WindowParams) => `padding=(${p.padding.map((q) => `(${q[0]}, ${q[1]})`).join(", ")}) window_dimensions=(${p.windowDimensions.join(", ")}) window_strides=(${p.windowStrides.join(", ")})`

const dilate = (s: number, d: number) => (s === 0 ? 0 : 1 + d * (s - 1))

export const reduce_window_sum: PrimitiveDef<WindowParams> = {
  name: "reduce_window_sum",
  impl: ([x], p) => [wrap(K.reduceWindow("sum", x!.host, kparams(p)))],
  abstractEval: ([x], p) => [new ShapedArray(windowOutShape("reduce_window_sum", x!, p), x!.dtype)],
  jvp: linearJvp(() => reduce_window_sum),
  transpose: (cts, [x], p) => {
    const ct = cts[0]
    if (!ct || !isUndef(x)) return [null]
    const inShape = x.aval.shape
    // JAX: pad the cotangent (interior = stride - 1) and sum windows with stride 1
    const pads = inShape.map((n, i) => {
      const w = p.windowDimensions[i]!
      const before = w - p.padding[i]![0] - 1
      const after = n + w - 1 - dilate(ct.shape[i]!, p.windowStrides[i]!) - before
      return [before, after, p.windowStrides[i]! - 1] as const
    })
    const padded = lax.pad(ct, lax.scalar(0, ct.dtype), pads)
    return [bind1(reduce_window_sum, [padded], { windowDimensions: p.windowDimensions, windowStrides: inShape.map(() => 1), padding: inShape.map(() => [0, 0] as const) })]
  },
  batch: batchWindow(() => reduce_window_sum, 1),
  printParams: printWin
}

export const reduce_window_max: PrimitiveDef<WindowParams> = {
  name: "reduce_window_max",
  impl: ([x], p) => [wrap(K.reduceWindow("max", x!.host, kparams(p)))],
  abstractEval: ([x], p) => [new ShapedArray(windowOutShape("reduce_window_max", x!, p), x!.dtype)],
  jvp: ([x], [t], p) => {
    const o = bind1(reduce_window_max, [x!], p)
    return [[o], [t ? bind1(select_and_gather_add, [t, x!], p) : null]]
  },
  transpose: nonlinear,
  batch: batchWindow(() => reduce_window_max, 1),
  printParams: printWin
}

/** For each window, the tangent at the operand's first argmax (JVP of max pooling). */
export const select_and_gather_add: PrimitiveDef<WindowParams> = {
  name: "select_and_gather_add",
  impl: ([t, x], p) => [wrap(K.selectAndGatherAdd(t!.host, x!.host, kparams(p)))],
  abstractEval: ([t, x], p) => {
    if (!t!.equals(x!)) throw shapeError("select_and_gather_add", `tangent ${t} and operand ${x} must match.`)
    return [new ShapedArray(windowOutShape("select_and_gather_add", x!, p), t!.dtype)]
  },
  jvp: ([t, x], [tt], p) => [[bind1(select_and_gather_add, [t!, x!], p)], [tt ? bind1(select_and_gather_add, [tt, x!], p) : null]],
  transpose: (cts, [t, x], p) => {
    const ct = cts[0]
    if (!ct || !isUndef(t)) return [null, null]
    return [bind1(select_and_scatter_add, [ct, x as unknown as Tensor], p), null]
  },
  batch: batchWindow(() => select_and_gather_add, 2),
  printParams: printWin
}

/** Scatter each window's value onto the operand's first argmax in that window (max-pool backward). */
export const select_and_scatter_add: PrimitiveDef<WindowParams> = {
  name: "select_and_scatter_add",
  impl: ([s, x], p) => [wrap(K.selectAndScatterAdd(s!.host, x!.host, kparams(p)))],
  abstractEval: ([s, x], p) => {
    const expect = windowOutShape("select_and_scatter_add", x!, p)
    if (expect.join() !== s!.shape.join()) throw shapeError("select_and_scatter_add", `source ${s} must have the window-output shape [${expect.join(",")}].`)
    return [new ShapedArray(x!.shape, s!.dtype)]
  },
  jvp: ([s, x], [ts], p) => [[bind1(select_and_scatter_add, [s!, x!], p)], [ts ? bind1(select_and_scatter_add, [ts, x!], p) : null]],
  transpose: (cts, [s, x], p) => {
    const ct = cts[0]
    if (!ct || !isUndef(s)) return [null, null]
    return [bind1(select_and_gather_add, [ct, x as unknown as Tensor], p), null]
  },
  batch: batchWindow(() => select_and_scatter_add, 2),
  printParams: printWin
}
