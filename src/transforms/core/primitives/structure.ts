/** Data movement: transpose, broadcast_in_dim, reshape, slice, pad, concatenate. All linear. */
import { ShapedArray } from "../aval.js"
import { shapeError, dtypeError } from "../errors.js"
import type { PrimitiveDef, BatchDim } from "../primitive.js"
import type { Tensor } from "../Tensor.js"
import { bind1 } from "../trace.js"
import * as lax from "../lax.js"
import * as K from "../../../kernels/index.js"
import { sizeOf } from "../../../kernels/dtype.js"
import { invertPerm, range } from "../shape.js"
import { isUndef, linearJvp, moveBatchToFront, wrap } from "./families.js"

const avalOf = (x: unknown): ShapedArray => (x as { aval: ShapedArray }).aval

export const transpose: PrimitiveDef<{ perm: number[] }> = {
  name: "transpose",
  impl: ([x], { perm }) => [wrap(K.transpose(x!.host, perm))],
  abstractEval: ([x], { perm }) => {
    const sorted = [...perm].sort((a, b) => a - b)
    if (perm.length !== x!.ndim || sorted.some((p, i) => p !== i)) {
      throw shapeError("transpose", `permutation ${JSON.stringify(perm)} is not a permutation of the axes of ${x!.toString()}.`)
    }
    return [new ShapedArray(perm.map((p) => x!.shape[p]!), x!.dtype)]
  },
  jvp: linearJvp(() => transpose),
  transpose: (cts, _args, { perm }) => [cts[0] ? lax.transpose(cts[0], invertPerm(perm)) : null],
  batch: ([x], [d], { perm }) => [[bind1(transpose, [lax.moveAxis(x!, d!, 0)], { perm: [0, ...perm.map((p) => p + 1)] })], [0]],
  printParams: (p) => `permutation=(${p.perm.join(", ")})`
}

export const broadcast_in_dim: PrimitiveDef<{ shape: number[]; broadcastDimensions: number[] }> = {
  name: "broadcast_in_dim",
  impl: ([x], { shape, broadcastDimensions }) => [wrap(K.broadcastInDim(x!.host, shape, broadcastDimensions))],
  abstractEval: ([x], { shape, broadcastDimensions }) => {
    const ok =
      broadcastDimensions.length === x!.ndim &&
      broadcastDimensions.every((d, i) => d >= 0 && d < shape.length && (x!.shape[i] === 1 || x!.shape[i] === shape[d]) && (i === 0 || d > broadcastDimensions[i - 1]!))
    if (!ok) throw shapeError("broadcast_in_dim", `cannot broadcast ${x!.toString()} to shape [${shape.join(",")}] with broadcast_dimensions (${broadcastDimensions.join(",")}).`)
    return [new ShapedArray(shape, x!.dtype)]
  },
  jvp: linearJvp(() => broadcast_in_dim),
  transpose: (cts, [x], { shape, broadcastDimensions }) => {
    const ct = cts[0]
    if (!ct) return [null]
    const xs = avalOf(x).shape
    const newDims = range(shape.length).filter((i) => !broadcastDimensions.includes(i))
    const expanded = broadcastDimensions.filter((d, i) => xs[i] === 1 && shape[d] !== 1)
    const summed = lax.reduceSum(ct, [...newDims, ...expanded].sort((a, b) => a - b))
    return [lax.reshape(summed, xs)]
  },
  batch: ([x], [d], { shape, broadcastDimensions }) => {
    const xm = lax.moveAxis(x!, d!, 0)
    return [[bind1(broadcast_in_dim, [xm], { shape: [xm.shape[0]!, ...shape], broadcastDimensions: [0, ...broadcastDimensions.map((b) => b + 1)] })], [0]]
  },
  printParams: (p) => `broadcast_dimensions=(${p.broadcastDimensions.join(",")}${p.broadcastDimensions.length === 1 ? "," : ""}) shape=(${p.shape.join(", ")}${p.shape.length === 1 ? "," : ""})`
}

export const reshape: PrimitiveDef<{ newSizes: number[] }> = {
  name: "reshape",
  impl: ([x], { newSizes }) => [wrap(K.reshape(x!.host, newSizes))],
  abstractEval: ([x], { newSizes }) => {
    if (newSizes.some((d) => !Number.isInteger(d) || d < 0) || sizeOf(newSizes) !== x!.size) {
      throw shapeError("reshape", `cannot reshape ${x!.toString()} (size ${x!.size}) into shape [${newSizes.join(",")}] (size ${sizeOf(newSizes)}); the sizes must match.`)
    }
    return [new ShapedArray(newSizes, x!.dtype)]
  },
  jvp: linearJvp(() => reshape),
  transpose: (cts, [x]) => [cts[0] ? lax.reshape(cts[0], avalOf(x).shape) : null],
  batch: ([x], [d], { newSizes }) => {
    const xm = lax.moveAxis(x!, d!, 0)
    return [[bind1(reshape, [xm], { newSizes: [xm.shape[0]!, ...newSizes] })], [0]]
  },
  printParams: (p) => `dimensions=None new_sizes=(${p.newSizes.join(", ")}${p.newSizes.length === 1 ? "," : ""})`
}

type SliceParams = { start: number[]; limit: number[]; strides: number[] | null }
export const slice: PrimitiveDef<SliceParams> = {
  name: "slice",
  impl: ([x], { start, limit, strides }) => [wrap(K.slice(x!.host, start, limit, strides ?? undefined))],
  abstractEval: ([x], { start, limit, strides }) => {
    const n = x!.ndim
    const bad =
      start.length !== n ||
      limit.length !== n ||
      (strides !== null && strides.length !== n) ||
      start.some((s, i) => !Number.isInteger(s) || s < 0 || s > limit[i]! || limit[i]! > x!.shape[i]!) ||
      (strides !== null && strides.some((s) => !Number.isInteger(s) || s < 1))
    if (bad) throw shapeError("slice", `start ${JSON.stringify(start)} / limit ${JSON.stringify(limit)}${strides ? ` / strides ${JSON.stringify(strides)}` : ""} do not fit ${x!.toString()}; each needs 0 <= start <= limit <= dim.`)
    return [new ShapedArray(start.map((s, i) => Math.ceil((limit[i]! - s) / (strides?.[i] ?? 1))), x!.dtype)]
  },
  jvp: linearJvp(() => slice),
  transpose: (cts, [x], { start, limit, strides }) => {
    const t = cts[0]
    if (!t) return [null]
    const shape = avalOf(x).shape
    const zero = lax.scalar(0, t.dtype)
    if (strides === null || strides.every((s) => s === 1)) {
      return [lax.pad(t, zero, start.map((s, i) => [s, shape[i]! - limit[i]!, 0] as const))]
    }
    const realLimits = start.map((s, i) => s + (t.shape[i] === 0 ? 0 : 1 + (t.shape[i]! - 1) * strides[i]!))
    return [lax.pad(t, zero, start.map((s, i) => [s, shape[i]! - realLimits[i]!, strides[i]! - 1] as const))]
  },
  batch: ([x], [d], { start, limit, strides }) => {
    const xm = lax.moveAxis(x!, d!, 0)
    return [[bind1(slice, [xm], { start: [0, ...start], limit: [xm.shape[0]!, ...limit], strides: strides ? [1, ...strides] : null })], [0]]
  },
  printParams: (p) => `limit_indices=(${p.limit.join(", ")}) start_indices=(${p.start.join(", ")}) strides=${p.strides ? `(${p.strides.join(", ")})` : "None"}`
}

type PadParams = { config: Array<[number, number, number]> }
export const pad: PrimitiveDef<PadParams> = {
  name: "pad",
  impl: ([x, v], { config }) => [wrap(K.pad(x!.host, Number(v!.host.data[0]), config))],
  abstractEval: ([x, v], { config }) => {
    if (v!.ndim !== 0) throw shapeError("pad", `the padding value must be a scalar, got ${v!.toString()}.`)
    if (v!.dtype !== x!.dtype) throw dtypeError("pad", `padding value ${v!.toString()} must have the dtype of ${x!.toString()}.`)
    if (config.length !== x!.ndim) throw shapeError("pad", `needs one (lo, hi, interior) triple per axis of ${x!.toString()}, got ${config.length}.`)
    const shape = x!.shape.map((d, i) => {
      const [lo, hi, interior] = config[i]!
      if (interior < 0) throw shapeError("pad", `interior padding must be >= 0, got ${interior}.`)
      const out = lo + hi + d + Math.max(0, d - 1) * interior
      if (out < 0) throw shapeError("pad", `padding ${JSON.stringify(config[i])} makes axis ${i} of ${x!.toString()} negative.`)
      return out
    })
    return [new ShapedArray(shape, x!.dtype)]
  },
  jvp: ([x, v], [tx, tv], params) => {
    const o = bind1(pad, [x!, v!], params)
    if (!tx && !tv) return [[o], [null]]
    return [[o], [bind1(pad, [tx ?? lax.zerosLike(x!), tv ?? lax.zerosLike(v!)], params)]]
  },
  transpose: (cts, [x, v], { config }) => {
    const t = cts[0]
    if (!t) return [null, null]
    const zero = lax.scalar(0, t.dtype)
    const unpadded = lax.pad(t, zero, config.map(([lo, hi]) => [-lo, -hi, 0] as const))
    const tOperand = lax.slice(unpadded, unpadded.shape.map(() => 0), unpadded.shape, config.map(([, , i]) => i + 1))
    const all = (y: Tensor) => lax.reduceSum(y, range(y.ndim))
    return [isUndef(x) ? tOperand : null, isUndef(v) ? lax.sub(all(t), all(tOperand)) : null]
  },
  batch: ([x, v], [dx, dv], { config }) => {
    if (dv !== null) throw shapeError("pad", "vmap over the padding value is not supported; pass an unbatched scalar padding value.")
    const xm = lax.moveAxis(x!, dx!, 0)
    return [[bind1(pad, [xm, v!], { config: [[0, 0, 0], ...config] })], [0]]
  },
  printParams: (p) => `padding_config=(${p.config.map((c) => `(${c.join(", ")})`).join(", ")})`
}

export const concatenate: PrimitiveDef<{ dimension: number }> = {
  name: "concatenate",
  impl: (xs, { dimension }) => [wrap(K.concatenate(xs.map((x) => x.host), dimension))],
  abstractEval: (xs, { dimension }) => {
    const first = xs[0]!
    if (dimension < 0 || dimension >= first.ndim) throw shapeError("concatenate", `axis ${dimension} is out of range for ${first.toString()}.`)
    for (const x of xs) {
      if (x.dtype !== first.dtype) throw dtypeError("concatenate", `operands ${xs.map(String).join(", ")} must share a dtype.`)
      if (x.ndim !== first.ndim || x.shape.some((d, i) => i !== dimension && d !== first.shape[i])) {
        throw shapeError("concatenate", `operands ${xs.map(String).join(", ")} must match on every axis except ${dimension}.`)
      }
    }
    const shape = [...first.shape]
    shape[dimension] = xs.reduce((s, x) => s + x.shape[dimension]!, 0)
    return [new ShapedArray(shape, first.dtype)]
  },
  jvp: (xs, ts, params) => {
    const o = bind1(concatenate, xs, params)
    if (ts.every((t) => !t)) return [[o], [null]]
    return [[o], [bind1(concatenate, ts.map((t, i) => t ?? lax.zerosLike(xs[i]!)), params)]]
  },
  transpose: (cts, args, { dimension }) => {
    const ct = cts[0]
    let offset = 0
    return args.map((a) => {
      const shape = avalOf(a).shape
      const start = shape.map((_, i) => (i === dimension ? offset : 0))
      const limit = shape.map((d, i) => (i === dimension ? offset + d : ct ? ct.shape[i]! : d))
      offset += shape[dimension]!
      return ct && isUndef(a) ? lax.slice(ct, start, limit) : null
    })
  },
  batch: (xs, ds, { dimension }, axisSize) => [[bind1(concatenate, xs.map((x, i) => moveBatchToFront(x, ds[i]!, axisSize)), { dimension: dimension + 1 })], [0] as BatchDim[]],
  printParams: (p) => `dimension=${p.dimension}`
}
