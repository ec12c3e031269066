/**
 * Float64 reference implementations of the kernel ops, written as plain loops over
 * multi-indices (deliberately unlike the kernels' strided code generation). Test-only.
 */

/** A reference array: shape and float64 (or exact integer) values, row-major. */
export interface Ref {
  readonly shape: ReadonlyArray<number>
  readonly data: number[]
}

/** Makes a Ref from anything with a shape and array-like data. */
export const ref = (x: { readonly shape: ReadonlyArray<number>; readonly data: ArrayLike<number> }): Ref => ({ shape: [...x.shape], data: Array.from(x.data, Number) })

export const size = (shape: ReadonlyArray<number>): number => shape.reduce((a, b) => a * b, 1)

/** Multi-index of a flat position. */
export const unravelIndex = (flat: number, shape: ReadonlyArray<number>): number[] => {
  const idx = new Array<number>(shape.length)
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = flat % shape[d]!
    flat = Math.floor(flat / shape[d]!)
  }
  return idx
}

/** Flat position of a multi-index. */
export const ravelIndex = (idx: ReadonlyArray<number>, shape: ReadonlyArray<number>): number => idx.reduce((acc, v, d) => acc * shape[d]! + v, 0)

/** Builds a Ref by evaluating `f` at every multi-index of `shape`. */
export const tabulate = (shape: ReadonlyArray<number>, f: (idx: number[]) => number): Ref => {
  const n = size(shape)
  const data = new Array<number>(n)
  for (let k = 0; k < n; k++) data[k] = f(unravelIndex(k, shape))
  return { shape: [...shape], data }
}

/** Value of `x` at a multi-index. */
export const at = (x: Ref, idx: ReadonlyArray<number>): number => x.data[ravelIndex(idx, x.shape)]!

// ---------------------------------------------------------------- special functions

/** erf in float64: Taylor series for |x| < 2.5, continued fraction for erfc beyond. */
export const erf = (x: number): number => {
  if (Number.isNaN(x)) return NaN
  const ax = Math.abs(x)
  if (ax < 2.5) {
    let sum = 0
    let term = x
    for (let n = 0; n < 200; n++) {
      const t = term / (2 * n + 1)
      sum += t
      if (Math.abs(t) < 1e-17 * Math.abs(sum)) break
      term *= (-x * x) / (n + 1)
    }
    return (2 / Math.sqrt(Math.PI)) * sum
  }
  if (ax > 6) return Math.sign(x)
  // erfc(ax) = exp(-x²)/√π · 1/(ax + (1/2)/(ax + 1/(ax + (3/2)/(ax + ...)))) evaluated bottom-up
  let f = ax
  for (let k = 80; k >= 1; k--) f = ax + k / 2 / f
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f
  return Math.sign(x) * (1 - erfc)
}

/** Inverse of erf by bisection then Newton in float64. */
export const erfInv = (y: number): number => {
  if (Number.isNaN(y) || y < -1 || y > 1) return NaN
  if (y === 1) return Infinity
  if (y === -1) return -Infinity
  let lo = -6
  let hi = 6
  for (let k = 0; k < 60; k++) {
    const mid = (lo + hi) / 2
    if (erf(mid) < y) lo = mid
    else hi = mid
  }
  let x = (lo + hi) / 2
  for (let k = 0; k < 3; k++) {
    const d = (erf(x) - y) / ((2 / Math.sqrt(Math.PI)) * Math.exp(-x * x))
    if (Number.isFinite(d)) x -= d
  }
  return x
}

/** lax.round: half away from zero. */
export const roundHalfAway = (x: number): number => (x < 0 ? -Math.floor(-x + 0.5) : x > 0 ? Math.floor(x + 0.5) : x)

/** Float64 versions of the unary ops. */
export const UNARY_REF: Record<string, (x: number) => number> = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  log1p: Math.log1p,
  expm1: Math.expm1,
  tanh: Math.tanh,
  logistic: (x) => 1 / (1 + Math.exp(-x)),
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  abs: Math.abs,
  sign: Math.sign,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  floor: Math.floor,
  ceil: Math.ceil,
  round: roundHalfAway,
  erf,
  erf_inv: erfInv,
  not: (x) => (x === 0 ? 1 : 0)
}

/** C fmod (sign of the dividend), exact in float64 for float32 inputs. */
export const fmod = (a: number, b: number): number => a % b

const truncDiv = (a: number, b: number): number => (b === 0 ? -1 : Math.trunc(a / b))

/** Float64 (or exact integer) versions of the binary ops; `int` selects integer semantics. */
export const binaryRef = (op: string, int: boolean): ((a: number, b: number) => number) => {
  switch (op) {
    case "add": return (a, b) => a + b
    case "sub": return (a, b) => a - b
    case "mul": return (a, b) => a * b
    case "div": return int ? truncDiv : (a, b) => a / b
    case "rem": return int ? (a, b) => (b === 0 ? a : a % b) : fmod
    case "pow": return int ? intPow : Math.pow
    case "max": return (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b))
    case "min": return (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b))
    case "atan2": return Math.atan2
    case "and": return (a, b) => (int ? Number(BigInt.asUintN(32, BigInt(a) & BigInt(b))) : a && b ? 1 : 0)
    case "or": return (a, b) => (int ? Number(BigInt.asUintN(32, BigInt(a) | BigInt(b))) : a || b ? 1 : 0)
    case "xor": return (a, b) => (int ? Number(BigInt.asUintN(32, BigInt(a) ^ BigInt(b))) : (a !== 0) !== (b !== 0) ? 1 : 0)
    case "shift_left": return (a, b) => (b < 0 || b >= 32 ? 0 : Number(BigInt.asUintN(32, BigInt.asUintN(32, BigInt(a)) << BigInt(b))))
    case "shift_right_logical": return (a, b) => (b < 0 || b >= 32 ? 0 : Number(BigInt.asUintN(32, BigInt(a)) >> BigInt(b)))
    case "eq": return (a, b) => (a === b ? 1 : 0)
    case "ne": return (a, b) => (a !== b ? 1 : 0)
    case "lt": return (a, b) => (a < b ? 1 : 0)
    case "le": return (a, b) => (a <= b ? 1 : 0)
    case "gt": return (a, b) => (a > b ? 1 : 0)
    case "ge": return (a, b) => (a >= b ? 1 : 0)
    default: throw new Error(`no reference for ${op}`)
  }
}

/** Integer power with XLA's rule for negative exponents. */
export const intPow = (a: number, b: number): number => {
  if (b < 0) return a === 1 ? 1 : a === -1 ? (b % 2 === 0 ? 1 : -1) : 0
  let r = 1
  for (let k = 0; k < b; k++) r *= a
  return r
}

/** numpy broadcasting of shapes. */
export const broadcastShape = (...shapes: ReadonlyArray<number>[]): number[] => {
  const r = Math.max(0, ...shapes.map((s) => s.length))
  return Array.from({ length: r }, (_, d) =>
    Math.max(...shapes.map((s) => (d - (r - s.length) >= 0 ? s[d - (r - s.length)]! : 1)))
  )
}

/** Value of `x` at an output multi-index under numpy broadcasting. */
export const atBroadcast = (x: Ref, idx: ReadonlyArray<number>): number => {
  const off = idx.length - x.shape.length
  return at(x, x.shape.map((n, d) => (n === 1 ? 0 : idx[d + off]!)))
}

/** Elementwise map over broadcast operands. */
export const mapBroadcast = (f: (...v: number[]) => number, ...xs: Ref[]): Ref =>
  tabulate(broadcastShape(...xs.map((x) => x.shape)), (idx) => f(...xs.map((x) => atBroadcast(x, idx))))

// ---------------------------------------------------------------- reductions and contractions

/** Reduction over `axes` with JAX semantics (NaN propagates; argmax picks the first max, NaN first). */
export const reduceRef = (op: string, x: Ref, axes: ReadonlyArray<number>): Ref => {
  const keep = x.shape.map((_, d) => d).filter((d) => !axes.includes(d))
  const outShape = keep.map((d) => x.shape[d]!)
  const redShape = axes.map((d) => x.shape[d]!)
  return tabulate(outShape, (o) => {
    const vals: number[] = []
    const m = size(redShape)
    for (let k = 0; k < m; k++) {
      const r = unravelIndex(k, redShape)
      const idx = new Array<number>(x.shape.length)
      keep.forEach((d, j) => (idx[d] = o[j]!))
      axes.forEach((d, j) => (idx[d] = r[j]!))
      vals.push(at(x, idx))
    }
    switch (op) {
      case "sum": return vals.reduce((a, b) => a + b, 0)
      case "prod": return vals.reduce((a, b) => a * b, 1)
      case "max": return vals.some(Number.isNaN) ? NaN : vals.reduce((a, b) => Math.max(a, b), -Infinity)
      case "min": return vals.some(Number.isNaN) ? NaN : vals.reduce((a, b) => Math.min(a, b), Infinity)
      case "argmax": case "argmin": {
        const nan = vals.findIndex(Number.isNaN)
        if (nan >= 0) return nan
        let best = 0
        vals.forEach((v, k) => { if (op === "argmax" ? v > vals[best]! : v < vals[best]!) best = k })
        return best
      }
      default: throw new Error(op)
    }
  })
}

/** dot_general by enumerating the contraction for each output element; also returns Σ|a||b| per output. */
export const dotGeneralRef = (a: Ref, b: Ref, dims: { lhsContracting: ReadonlyArray<number>; rhsContracting: ReadonlyArray<number>; lhsBatch: ReadonlyArray<number>; rhsBatch: ReadonlyArray<number> }): { out: Ref; absSum: number[] } => {
  const aFree = a.shape.map((_, d) => d).filter((d) => !dims.lhsBatch.includes(d) && !dims.lhsContracting.includes(d))
  const bFree = b.shape.map((_, d) => d).filter((d) => !dims.rhsBatch.includes(d) && !dims.rhsContracting.includes(d))
  const outShape = [...dims.lhsBatch.map((d) => a.shape[d]!), ...aFree.map((d) => a.shape[d]!), ...bFree.map((d) => b.shape[d]!)]
  const cShape = dims.lhsContracting.map((d) => a.shape[d]!)
  const absSum: number[] = []
  const out = tabulate(outShape, (o) => {
    const ai = new Array<number>(a.shape.length)
    const bi = new Array<number>(b.shape.length)
    const nb = dims.lhsBatch.length
    dims.lhsBatch.forEach((d, j) => (ai[d] = o[j]!))
    dims.rhsBatch.forEach((d, j) => (bi[d] = o[j]!))
    aFree.forEach((d, j) => (ai[d] = o[nb + j]!))
    bFree.forEach((d, j) => (bi[d] = o[nb + aFree.length + j]!))
    let s = 0
    let abs = 0
    for (let k = 0; k < size(cShape); k++) {
      const c = unravelIndex(k, cShape)
      dims.lhsContracting.forEach((d, j) => (ai[d] = c[j]!))
      dims.rhsContracting.forEach((d, j) => (bi[d] = c[j]!))
      const p = at(a, ai) * at(b, bi)
      s += p
      abs += Math.abs(p)
    }
    absSum.push(abs)
    return s
  })
  return { out, absSum }
}

// ---------------------------------------------------------------- movement

/** lax.transpose. */
export const transposeRef = (x: Ref, perm: ReadonlyArray<number>): Ref => {
  const outShape = perm.map((p) => x.shape[p]!)
  return tabulate(outShape, (o) => {
    const idx = new Array<number>(x.shape.length)
    perm.forEach((p, d) => (idx[p] = o[d]!))
    return at(x, idx)
  })
}

/** lax.broadcast_in_dim. */
export const broadcastInDimRef = (x: Ref, shape: ReadonlyArray<number>, bdims: ReadonlyArray<number>): Ref =>
  tabulate(shape, (o) => at(x, bdims.map((d, j) => (x.shape[j] === 1 ? 0 : o[d]!))))

/** lax.slice. */
export const sliceRef = (x: Ref, start: ReadonlyArray<number>, limit: ReadonlyArray<number>, strides?: ReadonlyArray<number>): Ref => {
  const st = strides ?? start.map(() => 1)
  const outShape = start.map((s, d) => Math.max(0, Math.ceil((limit[d]! - s) / st[d]!)))
  return tabulate(outShape, (o) => at(x, o.map((c, d) => start[d]! + c * st[d]!)))
}

/** lax.pad: build the interior-dilated, edge-padded array, then crop negative edges. */
export const padRef = (x: Ref, value: number, config: ReadonlyArray<readonly [number, number, number]>): Ref => {
  const outShape = x.shape.map((n, d) => config[d]![0] + config[d]![1] + n + Math.max(0, n - 1) * config[d]![2])
  return tabulate(outShape, (o) => {
    const idx: number[] = []
    for (let d = 0; d < o.length; d++) {
      const [lo, , interior] = config[d]!
      const p = o[d]! - lo
      if (p < 0 || p % (interior + 1) !== 0 || p / (interior + 1) >= x.shape[d]!) return value
      idx.push(p / (interior + 1))
    }
    return at(x, idx)
  })
}

/** lax.concatenate. */
export const concatenateRef = (xs: ReadonlyArray<Ref>, axis: number): Ref => {
  const outShape = xs[0]!.shape.map((n, d) => (d === axis ? xs.reduce((s, x) => s + x.shape[d]!, 0) : n))
  return tabulate(outShape, (o) => {
    let c = o[axis]!
    for (const x of xs) {
      if (c < x.shape[axis]!) return at(x, o.map((v, d) => (d === axis ? c : v)))
      c -= x.shape[axis]!
    }
    throw new Error("unreachable")
  })
}

/** jnp.take(x, indices, axis) with negative indices wrapped once. */
export const gatherRef = (x: Ref, indices: Ref, axis: number): Ref => {
  const outShape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)]
  const ni = indices.shape.length
  return tabulate(outShape, (o) => {
    const j0 = at(indices, o.slice(axis, axis + ni))
    const j = j0 < 0 ? j0 + x.shape[axis]! : j0
    return at(x, [...o.slice(0, axis), j, ...o.slice(axis + ni)])
  })
}

/** zeros(operandShape).at[..., indices, ...].add(updates). */
export const scatterAddRef = (operandShape: ReadonlyArray<number>, indices: Ref, updates: Ref, axis: number): Ref => {
  const out = tabulate(operandShape, () => 0)
  const ni = indices.shape.length
  for (let k = 0; k < updates.data.length; k++) {
    const u = unravelIndex(k, updates.shape)
    const j0 = at(indices, u.slice(axis, axis + ni))
    const j = j0 < 0 ? j0 + operandShape[axis]! : j0
    out.data[ravelIndex([...u.slice(0, axis), j, ...u.slice(axis + ni)], operandShape)]! += updates.data[k]!
  }
  return out
}

// ---------------------------------------------------------------- convolution and windows

/** Conv parameters as the kernel API takes them. */
export interface ConvP {
  windowStrides: ReadonlyArray<number>
  padding: ReadonlyArray<readonly [number, number]>
  lhsDilation: ReadonlyArray<number>
  rhsDilation: ReadonlyArray<number>
  featureGroupCount: number
  batchGroupCount: number
  dimensionNumbers: { lhs: ReadonlyArray<number>; rhs: ReadonlyArray<number>; out: ReadonlyArray<number> }
}

const dilate = (n: number, d: number): number => (n === 0 ? 0 : (n - 1) * d + 1)

/**
 * conv_general_dilated following the StableHLO spec: split lhs into batch groups and the
 * features into feature groups, then for each output element sum over the window of the
 * lhs-dilated, padded input. Returns the result and Σ|lhs·rhs| per output (for tolerances).
 */
export const convRef = (lhs: Ref, rhs: Ref, p: ConvP): { out: Ref; absSum: number[] } => {
  const { lhs: ld, rhs: rd, out: od } = p.dimensionNumbers
  const ns = lhs.shape.length - 2
  const N = lhs.shape[ld[0]!]!
  const O = rhs.shape[rd[0]!]!
  const I = rhs.shape[rd[1]!]!
  const G = p.featureGroupCount
  const B = p.batchGroupCount
  const outShape = new Array<number>(lhs.shape.length)
  outShape[od[0]!] = N / B
  outShape[od[1]!] = O
  for (let j = 0; j < ns; j++) {
    const padded = dilate(lhs.shape[ld[j + 2]!]!, p.lhsDilation[j]!) + p.padding[j]![0] + p.padding[j]![1]
    const win = dilate(rhs.shape[rd[j + 2]!]!, p.rhsDilation[j]!)
    outShape[od[j + 2]!] = padded < win ? 0 : Math.floor((padded - win) / p.windowStrides[j]!) + 1
  }
  const kShape = Array.from({ length: ns }, (_, j) => rhs.shape[rd[j + 2]!]!)
  const absSum: number[] = []
  const out = tabulate(outShape, (oi) => {
    const n = oi[od[0]!]!
    const o = oi[od[1]!]!
    const g = Math.floor(o / (O / G))
    const bg = Math.floor(o / (O / B))
    let s = 0
    let abs = 0
    for (let kk = 0; kk < size(kShape); kk++) {
      const k = unravelIndex(kk, kShape)
      const pos: number[] = []
      let inside = true
      for (let j = 0; j < ns; j++) {
        const dil = oi[od[j + 2]!]! * p.windowStrides[j]! + k[j]! * p.rhsDilation[j]! - p.padding[j]![0]
        if (dil < 0 || dil % p.lhsDilation[j]! !== 0 || dil / p.lhsDilation[j]! >= lhs.shape[ld[j + 2]!]!) inside = false
        pos.push(dil / p.lhsDilation[j]!)
      }
      if (!inside) continue
      for (let i = 0; i < I; i++) {
        const li = new Array<number>(lhs.shape.length)
        li[ld[0]!] = bg * (N / B) + n
        li[ld[1]!] = g * I + i
        pos.forEach((v, j) => (li[ld[j + 2]!] = v))
        const ri = new Array<number>(rhs.shape.length)
        ri[rd[0]!] = o
        ri[rd[1]!] = i
        k.forEach((v, j) => (ri[rd[j + 2]!] = v))
        const prod = at(lhs, li) * at(rhs, ri)
        s += prod
        abs += Math.abs(prod)
      }
    }
    absSum.push(abs)
    return s
  })
  return { out, absSum }
}

/** Window parameters as the kernel API takes them. */
export interface WindowP {
  windowDimensions: ReadonlyArray<number>
  windowStrides: ReadonlyArray<number>
  padding: ReadonlyArray<readonly [number, number]>
}

const windowOut = (shape: ReadonlyArray<number>, p: WindowP): number[] =>
  shape.map((n, d) => {
    const padded = n + p.padding[d]![0] + p.padding[d]![1]
    return padded < p.windowDimensions[d]! ? 0 : Math.floor((padded - p.windowDimensions[d]!) / p.windowStrides[d]!) + 1
  })

/** The cells of window `o` in row-major order: operand index (or null for padding). */
const windowCells = (shape: ReadonlyArray<number>, p: WindowP, o: ReadonlyArray<number>): Array<number[] | null> => {
  const cells: Array<number[] | null> = []
  for (let k = 0; k < size(p.windowDimensions); k++) {
    const w = unravelIndex(k, p.windowDimensions)
    const pos = w.map((v, d) => o[d]! * p.windowStrides[d]! - p.padding[d]![0] + v)
    cells.push(pos.every((v, d) => v >= 0 && v < shape[d]!) ? pos : null)
  }
  return cells
}

/** The cell XLA's `ge` select keeps: the first one no later cell strictly exceeds (NaN gives way). */
const selectCell = (x: Ref, cells: Array<number[] | null>): number => {
  let best = 0
  let bestV = cells[0] ? at(x, cells[0]) : -Infinity
  cells.forEach((c, k) => {
    const v = c ? at(x, c) : -Infinity
    if (!(bestV >= v)) {
      best = k
      bestV = v
    }
  })
  return best
}

/** lax.reduce_window with max (padding -inf) or add (padding 0). */
export const reduceWindowRef = (op: "max" | "sum", x: Ref, p: WindowP): Ref =>
  tabulate(windowOut(x.shape, p), (o) => {
    const vals = windowCells(x.shape, p, o).map((c) => (c ? at(x, c) : op === "max" ? -Infinity : 0))
    if (op === "sum") return vals.reduce((a, b) => a + b, 0)
    return vals.some(Number.isNaN) ? NaN : Math.max(-Infinity, ...vals)
  })

/** Max-pool backward: each source value lands on its window's selected operand cell. */
export const selectAndScatterAddRef = (source: Ref, operand: Ref, p: WindowP): Ref => {
  const out = tabulate(operand.shape, () => 0)
  const outShape = windowOut(operand.shape, p)
  for (let k = 0; k < size(outShape); k++) {
    const o = unravelIndex(k, outShape)
    const cells = windowCells(operand.shape, p, o)
    const c = cells[selectCell(operand, cells)]
    if (c) out.data[ravelIndex(c, operand.shape)]! += at(source, o)
  }
  return out
}

/** Max-pool JVP: per window, the tangent at the selected operand cell (0 for padding). */
export const selectAndGatherAddRef = (tangents: Ref, operand: Ref, p: WindowP): Ref =>
  tabulate(windowOut(operand.shape, p), (o) => {
    const cells = windowCells(operand.shape, p, o)
    const c = cells[selectCell(operand, cells)]
    return c ? at(tangents, c) : 0
  })

// ---------------------------------------------------------------- threefry

const rotl32 = (x: number, r: number): number => ((x << r) | (x >>> (32 - r))) >>> 0

/** Threefry-2x32 with 20 rounds on plain uint32 numbers (jax._src.prng.threefry2x32 / Random123). */
export const threefryRef = (k0: number, k1: number, c0: number, c1: number): [number, number] => {
  const ks = [k0 >>> 0, k1 >>> 0, (k0 ^ k1 ^ 0x1bd11bda) >>> 0]
  const rot = [[13, 15, 26, 6], [17, 29, 16, 24]]
  let x0 = (c0 + ks[0]!) >>> 0
  let x1 = (c1 + ks[1]!) >>> 0
  for (let g = 0; g < 5; g++) {
    for (const r of rot[g % 2]!) {
      x0 = (x0 + x1) >>> 0
      x1 = (rotl32(x1, r) ^ x0) >>> 0
    }
    x0 = (x0 + ks[(g + 1) % 3]!) >>> 0
    x1 = (x1 + ks[(g + 2) % 3]! + g + 1) >>> 0
  }
  return [x0, x1]
}
