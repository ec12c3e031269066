/** conv_general_dilated with lax's semantics and JAX's transpose rules (input and filter grads are convs). */
import { ShapedArray } from "../aval.js"
import { dtypeError, shapeError } from "../errors.js"
import type { BatchDim, PrimitiveDef } from "../primitive.js"
import type { Tensor } from "../Tensor.js"
import { bind1 } from "../trace.js"
import * as lax from "../lax.js"
import * as K from "../../../kernels/index.js"
import { range } from "../shape.js"
import { addTangents, isUndef, wrap } from "./families.js"

/** Where the batch, feature and spatial axes sit in each operand and in the output of a convolution. JAX: `lax.ConvDimensionNumbers`. */
export interface ConvDimensionNumbers {
  /** [batch, feature, ...spatial] positions in the lhs. */
  readonly lhs: ReadonlyArray<number>
  /** [outFeature, inFeature, ...spatial] positions in the rhs. */
  readonly rhs: ReadonlyArray<number>
  /** [batch, feature, ...spatial] positions in the output. */
  readonly out: ReadonlyArray<number>
}
/** The parameters of `jax.lax.convGeneralDilated`, named as JAX's arguments. */
export interface ConvParams {
  /** The step of the window along each spatial axis. */
  readonly windowStrides: ReadonlyArray<number>
  /** `[low, high]` zero padding of each spatial axis of the input. */
  readonly padding: ReadonlyArray<readonly [number, number]>
  /** Input dilation per spatial axis (`> 1` is a transposed convolution). */
  readonly lhsDilation: ReadonlyArray<number>
  /** Kernel dilation per spatial axis (atrous convolution). */
  readonly rhsDilation: ReadonlyArray<number>
  /** The layout of the operands and the output. */
  readonly dimensionNumbers: ConvDimensionNumbers
  /** Split input and output features into this many groups (depthwise convolution: the input feature count). */
  readonly featureGroupCount: number
  /** Split the batch into this many groups (used by the kernel gradient of grouped convolutions). */
  readonly batchGroupCount: number
}

const dilateShape = (s: ReadonlyArray<number>, d: ReadonlyArray<number>) => s.map((n, i) => (n === 0 ? 0 : 1 + d[i]! * (n - 1)))
const take = (s: ReadonlyArray<number>, idx: ReadonlyArray<number>) => idx.map((i) => s[i]!)
const specT = (s: ReadonlyArray<number>) => [s[1]!, s[0]!, ...s.slice(2)]

export const convOutShape = (lhs: ShapedArray, rhs: ShapedArray, p: ConvParams): number[] => {
  const show = `${lhs.toString()} * ${rhs.toString()}`
  const dn = p.dimensionNumbers
  const nsp = dn.lhs.length - 2
  if (lhs.ndim !== dn.lhs.length || rhs.ndim !== dn.rhs.length) throw shapeError("conv_general_dilated", `${show}: ranks do not match the dimension numbers (${nsp} spatial dims).`)
  if (lhs.dtype !== rhs.dtype) throw dtypeError("conv_general_dilated", `${show}: operands must share a dtype.`)
  const inF = lhs.shape[dn.lhs[1]!]!
  const kIn = rhs.shape[dn.rhs[1]!]!
  const kOut = rhs.shape[dn.rhs[0]!]!
  if (inF !== kIn * p.featureGroupCount) {
    throw shapeError("conv_general_dilated", `${show}: input features (${inF}) must equal the filter's input features (${kIn}) times featureGroupCount (${p.featureGroupCount}). For NHWC/HWIO that is x.shape[3] == w.shape[2] * groups.`)
  }
  if (kOut % p.featureGroupCount !== 0 || kOut % p.batchGroupCount !== 0) throw shapeError("conv_general_dilated", `${show}: output features ${kOut} must divide by the group counts.`)
  const batch = lhs.shape[dn.lhs[0]!]!
  if (batch % p.batchGroupCount !== 0) throw shapeError("conv_general_dilated", `${show}: batch ${batch} must divide by batchGroupCount ${p.batchGroupCount}.`)
  const inSp = dilateShape(take(lhs.shape, dn.lhs.slice(2)), p.lhsDilation)
  const kSp = dilateShape(take(rhs.shape, dn.rhs.slice(2)), p.rhsDilation)
  const outSp = inSp.map((n, i) => {
    const padded = n + p.padding[i]![0] + p.padding[i]![1]
    return padded < kSp[i]! ? 0 : Math.floor((padded - kSp[i]!) / p.windowStrides[i]!) + 1
  })
  const out = new Array<number>(nsp + 2)
  out[dn.out[0]!] = batch / p.batchGroupCount
  out[dn.out[1]!] = kOut
  dn.out.slice(2).forEach((d, i) => (out[d] = outSp[i]!))
  return out
}

const conv = (lhs: Tensor, rhs: Tensor, p: ConvParams): Tensor => bind1(conv_general_dilated, [lhs, rhs], p)

/** Reverse `x` along `dims` (as gathers with reversed indices). JAX: `lax.rev`. */
const rev = (x: Tensor, dims: ReadonlyArray<number>): Tensor =>
  dims.reduce((acc, d) => {
    const n = acc.shape[d]!
    const idx = lax.sub(lax.scalar(n - 1, "int32"), lax.iota("int32", [n], 0))
    return lax.gather(acc, idx, d)
  }, x)

const reshapeAxisOutOf = (src: number, size1: number, x: Tensor): Tensor => {
  const shape = [...x.shape]
  shape.splice(src, 1, size1, shape[src]! / size1)
  return lax.reshape(x, shape)
}
const reshapeAxisInto = (src: number, dst: number, x: Tensor): Tensor => {
  const perm = range(x.ndim).filter((i) => i !== src)
  perm.splice(dst, 0, src)
  const newShape = x.shape.filter((_, i) => i !== src)
  newShape[dst] = newShape[dst]! * x.shape[src]!
  return lax.reshape(lax.transpose(x, perm), newShape)
}

/** The spatial sizes of input, filter and output after their dilations (JAX's vjp padding inputs). */
const dilatedSpatial = (lhs: ReadonlyArray<number>, rhs: ReadonlyArray<number>, out: ReadonlyArray<number>, p: ConvParams) => {
  const dn = p.dimensionNumbers
  return {
    lhsDil: dilateShape(take(lhs, dn.lhs.slice(2)), p.lhsDilation),
    rhsDil: dilateShape(take(rhs, dn.rhs.slice(2)), p.rhsDilation),
    outDil: dilateShape(take(out, dn.out.slice(2)), p.windowStrides)
  }
}

const transposeLhs = (g: Tensor, lhsAval: ShapedArray, rhs0: Tensor, p: ConvParams): Tensor => {
  const dn = p.dimensionNumbers
  let rhs = rhs0
  let fgc = p.featureGroupCount
  if (p.featureGroupCount > 1) {
    rhs = reshapeAxisInto(dn.rhs[0]!, dn.rhs[1]!, reshapeAxisOutOf(dn.rhs[0]!, p.featureGroupCount, rhs))
  } else if (p.batchGroupCount > 1) {
    rhs = reshapeAxisInto(dn.rhs[0]!, dn.rhs[1]!, reshapeAxisOutOf(dn.rhs[0]!, p.batchGroupCount, rhs))
    fgc = p.batchGroupCount
  }
  const { lhsDil, rhsDil, outDil } = dilatedSpatial(lhsAval.shape, rhs.shape, g.shape, p)
  const before = rhsDil.map((r, i) => r - p.padding[i]![0] - 1)
  const after = lhsDil.map((l, i) => l + rhsDil[i]! - 1 - outDil[i]! - before[i]!)
  let out = conv(g, rev(rhs, dn.rhs.slice(2)), {
    windowStrides: p.lhsDilation,
    padding: before.map((b, i) => [b, after[i]!] as const),
    lhsDilation: p.windowStrides,
    rhsDilation: p.rhsDilation,
    dimensionNumbers: { lhs: dn.out, rhs: specT(dn.rhs), out: dn.lhs },
    featureGroupCount: fgc,
    batchGroupCount: 1
  })
  if (p.batchGroupCount > 1) out = reshapeAxisInto(dn.lhs[1]!, dn.lhs[0]!, reshapeAxisOutOf(dn.lhs[1]!, p.batchGroupCount, out))
  return out
}

const transposeRhs = (g: Tensor, lhs: Tensor, rhsAval: ShapedArray, p: ConvParams): Tensor => {
  const dn = p.dimensionNumbers
  let fgc = p.featureGroupCount
  let bgc = p.batchGroupCount
  if (bgc > 1) {
    fgc = bgc
    bgc = 1
  } else if (fgc > 1) {
    bgc = fgc
    fgc = 1
  }
  const { lhsDil, rhsDil, outDil } = dilatedSpatial(lhs.shape, rhsAval.shape, g.shape, p)
  const lo = p.padding.map((q) => q[0])
  const hi = outDil.map((o, i) => o - lhsDil[i]! + (rhsDil[i]! - lo[i]! - 1))
  return conv(lhs, g, {
    windowStrides: p.rhsDilation,
    padding: lo.map((l, i) => [l, hi[i]!] as const),
    lhsDilation: p.lhsDilation,
    rhsDilation: p.windowStrides,
    dimensionNumbers: { lhs: specT(dn.lhs), rhs: specT(dn.out), out: specT(dn.rhs) },
    featureGroupCount: fgc,
    batchGroupCount: bgc
  })
}

export const conv_general_dilated: PrimitiveDef<ConvParams> = {
  name: "conv_general_dilated",
  impl: ([x, w], p) =>
    [wrap(K.conv(x!.host, w!.host, {
      windowStrides: [...p.windowStrides],
      padding: p.padding.map((q) => [q[0], q[1]] as [number, number]),
      lhsDilation: [...p.lhsDilation],
      rhsDilation: [...p.rhsDilation],
      featureGroupCount: p.featureGroupCount,
      batchGroupCount: p.batchGroupCount,
      dimensionNumbers: { lhs: [...p.dimensionNumbers.lhs], rhs: [...p.dimensionNumbers.rhs], out: [...p.dimensionNumbers.out] }
    }))],
  abstractEval: ([x, w], p) => [new ShapedArray(convOutShape(x!, w!, p), x!.dtype)],
  jvp: ([x, w], [tx, tw], p) => {
    const o = conv(x!, w!, p)
    return [[o], [addTangents(tx ? conv(tx, w!, p) : null, tw ? conv(x!, tw, p) : null)]]
  },
  transpose: (cts, [x, w], p) => {
    const g = cts[0]
    if (!g) return [null, null]
    return [
      isUndef(x) ? transposeLhs(g, x.aval, w as unknown as Tensor, p) : null,
      isUndef(w) ? transposeRhs(g, x as unknown as Tensor, w.aval, p) : null
    ]
  },
  batch: ([x, w], [dx, dw], p) => {
    const dn = p.dimensionNumbers
    if (dw === null) {
      // merge the mapped axis into the lhs batch dimension
      const xm = lax.moveAxis(x!, dx!, 0)
      const B = xm.shape[0]!
      const bd = dn.lhs[0]! + 1
      const merged = reshapeAxisInto(0, bd - 1, xm)
      const out = conv(merged, w!, p)
      const ob = dn.out[0]!
      const split = reshapeAxisOutOf(ob, B, out)
      return [[lax.moveAxis(split, ob, 0)], [0] as BatchDim[]]
    }
    if (p.batchGroupCount !== 1) {
      throw shapeError("conv_general_dilated", "vmap over the filter of a batch-grouped convolution is not supported; map the input only.")
    }
    const G = p.featureGroupCount
    const wm = lax.moveAxis(w!, dw!, 0)
    const B = wm.shape[0]!
    const o = dn.rhs[0]!
    const f = dn.out[1]!
    if (dx === null) {
      // order the filter's output features (group, example, feature) so each group stays contiguous
      const w1 = reshapeAxisOutOf(o + 1, G, wm)
      const w2 = lax.moveAxis(w1, 0, o + 1)
      const wMerged = lax.reshape(w2, [...w2.shape.slice(0, o), w2.shape[o]! * w2.shape[o + 1]! * w2.shape[o + 2]!, ...w2.shape.slice(o + 3)])
      const out = conv(x!, wMerged, p)
      const og = out.shape[f]! / (G * B)
      const out1 = lax.reshape(out, [...out.shape.slice(0, f), G, B, og, ...out.shape.slice(f + 1)])
      const out2 = lax.moveAxis(out1, f + 1, 0)
      const merged = lax.reshape(out2, [...out2.shape.slice(0, f + 1), G * og, ...out2.shape.slice(f + 3)])
      return [[merged], [0] as BatchDim[]]
    }
    // both mapped: examples become feature groups (example-major), B * G groups in all
    const wMerged = reshapeAxisInto(0, o, wm)
    const xm = lax.moveAxis(x!, dx!, 0)
    const xMerged = reshapeAxisInto(0, dn.lhs[1]!, xm)
    const out = conv(xMerged, wMerged, { ...p, featureGroupCount: B * G })
    const split = reshapeAxisOutOf(f, B, out)
    return [[lax.moveAxis(split, f, 0)], [0] as BatchDim[]]
  },
  printParams: (p) =>
    `batch_group_count=${p.batchGroupCount} dimension_numbers=ConvDimensionNumbers(lhs_spec=(${p.dimensionNumbers.lhs.join(", ")}), rhs_spec=(${p.dimensionNumbers.rhs.join(", ")}), out_spec=(${p.dimensionNumbers.out.join(", ")})) feature_group_count=${p.featureGroupCount} lhs_dilation=(${p.lhsDilation.join(", ")}) padding=(${p.padding.map((q) => `(${q[0]}, ${q[1]})`).join(", ")}) rhs_dilation=(${p.rhsDilation.join(", ")}) window_strides=(${p.windowStrides.join(", ")})`
}
