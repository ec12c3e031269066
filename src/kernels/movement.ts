/**
 * The data-movement family: transpose, broadcast_in_dim, slice, pad, concatenate (and reshape,
 * which needs no kernel). One generator reads each output element from a strided, optionally
 * guarded input position; int32/uint32 data moves as two exact 16-bit planes.
 */
import { launch, launchDevice } from "./backend.js"
import { DeviceArray } from "./device.js"
import { coalesce, kernelSource, linear, unravel } from "./codegen.js"
import { allocStorage, sizeOf, stridesOf } from "./dtype.js"
import { shapeError } from "./errors.js"
import { type HostArray, result } from "./HostArray.js"
import { checkArray, checkAxis, checkInts, checkShape, checkSizes, types } from "./shape.js"
import { joinPlanes, kernelInput, planes, resultOf, scalarPlanes } from "./transfer.js"

/** How one output dimension reads the input: input coord = (c * mul + off) / div, guarded when `guard`. */
interface DimMap {
  readonly stride: number
  readonly mul: number
  readonly off: number
  readonly div: number
  readonly extent: number
  readonly guard: boolean
}

const plain = (stride: number, mul = 1, off = 0): DimMap => ({ stride, mul, off, div: 1, extent: 0, guard: false })

const movementSource = (outShape: ReadonlyArray<number>, maps: ReadonlyArray<DimMap>): string => {
  const base = maps.reduce((s, m) => (m.guard ? s : s + m.off * m.stride), 0)
  if (!maps.some((m) => m.guard)) {
    const merged = coalesce(outShape, [maps.map((m) => m.mul * m.stride)])
    const un = unravel(merged.shape, "i", "c")
    return kernelSource(1, 0, [...un.lines, `return a0[${linear(un.coords, merged.views[0]!, base)}];`])
  }
  const un = unravel(outShape, "i", "c")
  const lines = [...un.lines]
  const conds: string[] = []
  const coords = maps.map((m, d) => {
    const c = un.coords[d]!
    if (!m.guard) return c
    lines.push(`const p${d} = ${c} + ${m.off};`)
    conds.push(`p${d} >= 0`)
    if (m.div === 1) {
      conds.push(`p${d} < ${m.extent}`)
      return `p${d}`
    }
    lines.push(`const q${d} = Math.floor(p${d} / ${m.div});`)
    conds.push(`q${d} * ${m.div} == p${d}`, `q${d} < ${m.extent}`)
    return `q${d}`
  })
  const strides = maps.map((m) => (m.guard ? m.stride : m.mul * m.stride))
  lines.push(`if (${conds.join(" && ")}) { return a0[${linear(coords, strides, base)}]; }`, `return s0;`)
  return kernelSource(1, 1, lines)
}

/** Runs the movement kernel; `fill` is the value of guarded-out cells (pad). */
const move = (op: string, x: HostArray, outShape: ReadonlyArray<number>, maps: ReadonlyArray<DimMap>, fill = 0): HostArray => {
  const n = sizeOf(outShape)
  if (n === 0) return result(x.dtype, outShape, allocStorage(x.dtype, 0))
  const guarded = maps.some((m) => m.guard)
  const key = `move|${x.shape.join(",")}|${outShape.join(",")}|${maps.map((m) => [m.stride, m.mul, m.off, m.div, m.extent, m.guard ? 1 : 0].join(":")).join(";")}`
  const spec = { key, size: n, arrays: 1, scalars: guarded ? 1 : 0, source: () => movementSource(outShape, maps) }
  if (x.dtype === "int32" || x.dtype === "uint32") {
    const [hi, lo] = planes(x.data)
    const [fh, fl] = scalarPlanes(fill)
    const h = launch(spec, [hi], guarded ? [fh] : [])
    const l = launch(spec, [lo], guarded ? [fl] : [])
    return result(x.dtype, outShape, joinPlanes(x.dtype, h, l))
  }
  const out = launchDevice(spec, [kernelInput(x)], guarded ? [x.dtype === "bool" ? (fill !== 0 ? 1 : 0) : fill] : [])
  return resultOf(op, x.dtype, outShape, out)
}

/** Validates a transpose call. */
export const validateTranspose = (x: HostArray, perm: ReadonlyArray<number>): void => {
  checkArray("transpose", x)
  const r = x.shape.length
  const ok = Array.isArray(perm) && perm.length === r && [...perm].sort((p, q) => p - q).every((v, k) => v === k)
  if (!ok) throw shapeError("transpose", types(x), `perm [${Array.isArray(perm) ? perm.join(",") : String(perm)}] is not a permutation of 0..${r - 1}`, `pass each axis of the rank-${r} operand exactly once`)
  checkSizes("transpose", x)
}

/** gpu.js implementation of `transpose`: out.shape[d] = x.shape[perm[d]]. */
export const gpujsTranspose = (x: HostArray, perm: ReadonlyArray<number>): HostArray => {
  const outShape = perm.map((p) => x.shape[p]!)
  if (perm.every((p, d) => p === d)) return hostReshape(x, outShape)
  const xs = stridesOf(x.shape)
  return move("transpose", x, outShape, perm.map((p) => plain(xs[p]!)))
}

/** Validates a broadcastInDim call. */
export const validateBroadcastInDim = (x: HostArray, shape: ReadonlyArray<number>, bdims: ReadonlyArray<number>): void => {
  checkArray("broadcastInDim", x)
  checkShape("broadcastInDim", shape, [x])
  const t = [...types(x), `[${shape.join(",")}]`]
  if (!Array.isArray(bdims) || bdims.length !== x.shape.length) {
    throw shapeError("broadcastInDim", t, `broadcastDimensions has ${Array.isArray(bdims) ? bdims.length : "no"} entries for an operand of rank ${x.shape.length}`, "give one output dimension per operand dimension")
  }
  bdims.forEach((d, j) => {
    if (!Number.isInteger(d) || d < 0 || d >= shape.length) throw shapeError("broadcastInDim", t, `broadcastDimensions entry ${d} is out of range for output rank ${shape.length}`, `use dimensions in [0, ${shape.length})`)
    if (j > 0 && d <= bdims[j - 1]!) throw shapeError("broadcastInDim", t, `broadcastDimensions [${bdims.join(",")}] is not strictly increasing`, "list the output dimensions in increasing order (transpose first if needed)")
    const n = x.shape[j]!
    if (n !== 1 && n !== shape[d]) throw shapeError("broadcastInDim", t, `operand dimension ${j} has size ${n}, but output dimension ${d} has ${shape[d]}`, "operand dimensions must be 1 or equal to their output dimension")
  })
  checkSizes("broadcastInDim", x, { dtype: x.dtype, shape })
}

/** gpu.js implementation of `broadcastInDim` (lax.broadcast_in_dim). */
export const gpujsBroadcastInDim = (x: HostArray, shape: ReadonlyArray<number>, bdims: ReadonlyArray<number>): HostArray => {
  const xs = stridesOf(x.shape)
  const maps = shape.map((_, d) => {
    const j = bdims.indexOf(d)
    return plain(j < 0 || x.shape[j] === 1 ? 0 : xs[j]!)
  })
  return move("broadcastInDim", x, shape, maps)
}

/** Validates a slice call and returns the output shape. */
export const validateSlice = (x: HostArray, start: ReadonlyArray<number>, limit: ReadonlyArray<number>, strides?: ReadonlyArray<number>): number[] => {
  checkArray("slice", x)
  const r = x.shape.length
  checkInts("slice", "start", start, r, [x], 0)
  checkInts("slice", "limit", limit, r, [x], 0)
  if (strides !== undefined) checkInts("slice", "strides", strides, r, [x], 1)
  const out = x.shape.map((n, d) => {
    const s = start[d]!
    const l = limit[d]!
    if (s > l || l > n) throw shapeError("slice", types(x), `dimension ${d}: start ${s} / limit ${l} do not satisfy 0 <= start <= limit <= ${n}`, "clamp start and limit to the operand's shape")
    return Math.ceil((l - s) / (strides?.[d] ?? 1))
  })
  checkSizes("slice", x)
  return out
}

/** gpu.js implementation of `slice` (lax.slice). */
export const gpujsSlice = (x: HostArray, start: ReadonlyArray<number>, limit: ReadonlyArray<number>, strides?: ReadonlyArray<number>): HostArray => {
  const xs = stridesOf(x.shape)
  const outShape = x.shape.map((_, d) => Math.ceil((limit[d]! - start[d]!) / (strides?.[d] ?? 1)))
  return move("slice", x, outShape, x.shape.map((_, d) => plain(xs[d]!, strides?.[d] ?? 1, start[d]!)))
}

/** Validates a pad call and returns the output shape. */
export const validatePad = (x: HostArray, padValue: number, config: ReadonlyArray<readonly [number, number, number]>): number[] => {
  checkArray("pad", x)
  const t = types(x)
  if (typeof padValue !== "number") throw shapeError("pad", t, `padValue ${String(padValue)} is not a number`, "pass a number")
  if (x.dtype === "int32" && !(Number.isInteger(padValue) && padValue >= -2147483648 && padValue <= 2147483647)) throw shapeError("pad", t, `padValue ${padValue} is not an int32`, "pass an integer in [-2^31, 2^31)")
  if (x.dtype === "uint32" && !(Number.isInteger(padValue) && padValue >= 0 && padValue <= 4294967295)) throw shapeError("pad", t, `padValue ${padValue} is not a uint32`, "pass an integer in [0, 2^32)")
  if (!Array.isArray(config) || config.length !== x.shape.length) throw shapeError("pad", t, `config has ${Array.isArray(config) ? config.length : "no"} entries for rank ${x.shape.length}`, "give one [lo, hi, interior] per dimension")
  const out = x.shape.map((n, d) => {
    const c = config[d]
    if (!Array.isArray(c) || c.length !== 3 || !c.every((v) => Number.isInteger(v)) || c[2] < 0) {
      throw shapeError("pad", t, `config entry ${d} is ${JSON.stringify(c)}, not [lo, hi, interior] integers with interior >= 0`, "pass integer [lo, hi, interior] triples")
    }
    const size = c[0] + c[1] + n + Math.max(0, n - 1) * c[2]
    if (size < 0) throw shapeError("pad", t, `dimension ${d} would have negative size ${size}`, "crop less with negative lo/hi")
    return size
  })
  checkSizes("pad", x, { dtype: x.dtype, shape: out })
  return out
}

/** gpu.js implementation of `pad` (lax.pad; negative lo/hi crop). */
export const gpujsPad = (x: HostArray, padValue: number, config: ReadonlyArray<readonly [number, number, number]>): HostArray => {
  const xs = stridesOf(x.shape)
  const outShape = x.shape.map((n, d) => config[d]![0] + config[d]![1] + n + Math.max(0, n - 1) * config[d]![2])
  const maps = x.shape.map((n, d) => {
    const [lo, hi, interior] = config[d]!
    if (lo <= 0 && hi <= 0 && interior === 0) return plain(xs[d]!, 1, -lo)
    return { stride: xs[d]!, mul: 1, off: -lo, div: interior + 1, extent: n, guard: true }
  })
  return move("pad", x, outShape, maps, padValue)
}

/** Validates a concatenate call and returns the output shape. */
export const validateConcatenate = (xs: ReadonlyArray<HostArray>, axis: number): number[] => {
  if (!Array.isArray(xs as unknown) || xs.length === 0) throw shapeError("concatenate", [], "no operands", "pass at least one array")
  xs.forEach((x, k) => checkArray("concatenate", x, `operand ${k}`))
  const first = xs[0]!
  checkAxis("concatenate", axis, first.shape.length, xs)
  for (const x of xs) {
    if (x.dtype !== first.dtype) throw shapeError("concatenate", types(...xs), `dtypes differ (${first.dtype} vs ${x.dtype})`, "convert every operand to one dtype first")
    if (x.shape.length !== first.shape.length || x.shape.some((n, d) => d !== axis && n !== first.shape[d])) {
      throw shapeError("concatenate", types(...xs), `shapes differ outside axis ${axis}`, "make every dimension but the concatenation axis equal")
    }
  }
  const out = first.shape.map((n, d) => (d === axis ? xs.reduce((s, x) => s + x.shape[d]!, 0) : n))
  checkSizes("concatenate", ...xs, { dtype: first.dtype, shape: out })
  return out
}

const MAX_CONCAT = 8

/** gpu.js implementation of `concatenate` (lax.concatenate); groups of at most 8 operands per kernel. */
export const gpujsConcatenate = (xs: ReadonlyArray<HostArray>, axis: number): HostArray => {
  const parts = xs.filter((x) => sizeOf(x.shape) > 0)
  const first = xs[0]!
  const outShape = first.shape.map((n, d) => (d === axis ? xs.reduce((s, x) => s + x.shape[d]!, 0) : n))
  if (sizeOf(outShape) === 0 || parts.length === 0) return result(first.dtype, outShape, allocStorage(first.dtype, 0))
  if (parts.length === 1) return hostReshape(parts[0]!, outShape)
  if (parts.length > MAX_CONCAT) {
    const groups: HostArray[] = []
    for (let k = 0; k < parts.length; k += MAX_CONCAT) groups.push(gpujsConcatenate(parts.slice(k, k + MAX_CONCAT), axis))
    return gpujsConcatenate(groups, axis)
  }
  const outer = sizeOf(first.shape.slice(0, axis))
  const inners = parts.map((x) => sizeOf(x.shape.slice(axis)))
  const total = inners.reduce((s, v) => s + v, 0)
  const source = (): string => {
    const lines = [`const o = Math.floor(i / ${total});`, `const t = i - o * ${total};`]
    let off = 0
    inners.forEach((inner, k) => {
      const read = `a${k}[o * ${inner} + t - ${off}]`
      lines.push(k === inners.length - 1 ? `return ${read};` : `if (t < ${off + inner}) { return ${read}; }`)
      off += inner
    })
    return kernelSource(parts.length, 0, lines)
  }
  const spec = { key: `concat|${outer}|${inners.join(",")}`, size: outer * total, arrays: parts.length, source }
  const dtype = first.dtype
  if (dtype === "int32" || dtype === "uint32") {
    const split = parts.map((x) => planes(x.data))
    const h = launch(spec, split.map((p) => p[0]))
    const l = launch(spec, split.map((p) => p[1]))
    return result(dtype, outShape, joinPlanes(dtype, h, l))
  }
  return resultOf("concatenate", dtype, outShape, launchDevice(spec, parts.map(kernelInput)))
}

/** Validates a reshape call. */
export const validateReshape = (x: HostArray, shape: ReadonlyArray<number>): void => {
  checkArray("reshape", x)
  checkShape("reshape", shape, [x])
  if (sizeOf(shape) !== sizeOf(x.shape)) {
    throw shapeError("reshape", [...types(x), `[${shape.join(",")}]`], `cannot reshape ${sizeOf(x.shape)} elements into ${sizeOf(shape)}`, "keep the number of elements unchanged")
  }
}

/** `reshape` needs no kernel: tensors are immutable, so the result shares the storage (or the device texture). */
export const hostReshape = (x: HostArray, shape: ReadonlyArray<number>): HostArray =>
  x instanceof DeviceArray ? x.reshaped(shape) : result(x.dtype, shape, x.data)

