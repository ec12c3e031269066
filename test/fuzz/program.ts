/**
 * Random straight-line tensor programs for differential fuzzing: a program is plain data (input
 * signatures, a list of op applications over earlier values, the outputs), which
 *
 * - `runProgram` builds into tanka calls (`jnp`, `jax.nn`), and
 * - `refProgram` interprets in float64 with plain loops, carrying for every element a forward
 *   tangent (dual numbers, for `grad`'s reference) and a running bound on the float32 rounding
 *   error (the tolerance: it grows with depth and with each op's conditioning).
 *
 * Programs are built from a seed by `buildProgram`, which tracks a static interval for every value
 * and only applies an op whose domain contains it (log of values ≥ 0.1, exp of values ≤ 6,
 * division by values away from 0, magnitudes ≤ 1e3), so every program is valid and well
 * conditioned for any inputs drawn from its input intervals, batched and differentiated included.
 */
import { jax, jnp, type Tensor } from "../../src/index.js"
import { broadcastShape, ravelIndex, size, unravelIndex } from "../support/reference.js"

/** float32 unit roundoff. */
export const U = 2 ** -24

// ---------------------------------------------------------------- random numbers

/** A small seeded PRNG (mulberry32): the whole program follows from one integer. */
export class Rnd {
  private s: number
  constructor(seed: number) {
    this.s = seed >>> 0
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1))
  }
  pick<T>(xs: ReadonlyArray<T>): T {
    return xs[Math.floor(this.next() * xs.length)]!
  }
  bool(p = 0.5): boolean {
    return this.next() < p
  }
  /** A float32 value in [lo, hi]. */
  f32(lo: number, hi: number): number {
    return Math.fround(lo + (hi - lo) * this.next())
  }
}

// ---------------------------------------------------------------- reference values

/**
 * A float64 reference value, per element: the value `v` and a bound `e` on the float32 rounding
 * error of computing it; one forward tangent `t` (dual numbers), the sum `a` of the absolute values
 * of every path's contribution to it (what reverse mode's rounding is proportional to), and a
 * bound `te` on the float32 error of the derivative (rounding along the paths, and the derivative
 * evaluated at rounded primal values).
 */
export interface RV {
  readonly shape: ReadonlyArray<number>
  readonly v: number[]
  readonly t: number[]
  readonly e: number[]
  readonly a: number[]
  readonly te: number[]
}

/** One element of an RV: [v, t, e, a, te]. */
export type El = [number, number, number, number, number]
const el = (x: RV, k: number): El => [x.v[k]!, x.t[k]!, x.e[k]!, x.a[k]!, x.te[k]!]

/** Flags raised while interpreting: the float32 result may legitimately differ. */
export interface RefCtx {
  /** A discontinuous op (floor, sign) saw an input within its error bound of a jump. */
  ambiguousValue: boolean
  /** A kink (relu, abs, max, a select) saw two sides within their error bounds: the tangent is not determined. */
  ambiguousGrad: boolean
}

/** An exact value (an input or constant) with zero tangents. */
export const rv = (shape: ReadonlyArray<number>, v: number[]): RV => ({ shape: [...shape], v, t: v.map(() => 0), e: v.map(() => 0), a: v.map(() => 0), te: v.map(() => 0) })

/** An RV from its elements. */
export const fromEls = (shape: ReadonlyArray<number>, els: ReadonlyArray<El>): RV => ({
  shape: [...shape],
  v: els.map((x) => x[0]),
  t: els.map((x) => x[1]),
  e: els.map((x) => x[2]),
  a: els.map((x) => x[3]),
  te: els.map((x) => x[4])
})
export const elsOf = (x: RV): El[] => x.v.map((_, k) => el(x, k))

const tabulateEl = (shape: ReadonlyArray<number>, f: (idx: number[]) => El): RV => fromEls(shape, Array.from({ length: size(shape) }, (_, k) => f(unravelIndex(k, shape))))

const bcastPos = (x: RV, idx: ReadonlyArray<number>): number => {
  const off = idx.length - x.shape.length
  return ravelIndex(x.shape.map((n, d) => (n === 1 ? 0 : idx[d + off]!)), x.shape)
}

/** Near-tie margin: two values closer than this may compare either way in float32. */
const margin = (ea: number, eb: number, a: number, b: number): number => 4 * (ea + eb) + 4 * U * (Math.abs(a) + Math.abs(b))

// ---------------------------------------------------------------- ops

/** What the builder knows about a value: its shape and a bound on every element. */
export interface Info {
  readonly shape: ReadonlyArray<number>
  readonly lo: number
  readonly hi: number
}

export interface Node {
  readonly op: string
  readonly args: ReadonlyArray<number>
  readonly p: Record<string, unknown>
}

interface Planned {
  readonly p: Record<string, unknown>
  readonly info: Info
}

interface OpDef {
  readonly arity: 1 | 2
  /** Params and the result's info, or null when the op does not apply (domain, shapes, magnitude). */
  readonly plan: (args: ReadonlyArray<Info>, rnd: Rnd) => Planned | null
  readonly run: (args: ReadonlyArray<Tensor>, p: any) => Tensor
  readonly ref: (args: ReadonlyArray<RV>, p: any, ctx: RefCtx) => RV
}

/** Unary elementwise op: value, derivative, interval image (null: outside the domain), rounding (ulps relative, ulps absolute). */
interface Unary {
  readonly run: (x: Tensor) => Tensor
  readonly f: (x: number) => number
  readonly df: (x: number) => number
  readonly image: (lo: number, hi: number) => [number, number] | null
  readonly ulps: readonly [number, number]
  /** Points where the value jumps (floor, sign) or the derivative jumps (relu, abs). */
  readonly kinks?: { readonly value: boolean; readonly near: (x: number) => number }
}

/** Elementary arithmetic rounds once (stated as 2 ulp); transcendentals get the op table's bound (rtol 2e-6, atol 1e-6 ≈ 34 and 17 ulp). */
const ARITH = [2, 0] as const
const TRANS = [34, 17] as const
const mono = (f: (x: number) => number) => (lo: number, hi: number): [number, number] => [f(lo), f(hi)]
const sigm = (x: number) => 1 / (1 + Math.exp(-x))

const UNARY: Record<string, Unary> = {
  neg: { run: jnp.negative, f: (x) => -x, df: () => -1, image: (lo, hi) => [-hi, -lo], ulps: [0, 0] },
  abs: {
    run: jnp.abs,
    f: Math.abs,
    df: (x) => Math.sign(x),
    image: (lo, hi) => (lo >= 0 ? [lo, hi] : hi <= 0 ? [-hi, -lo] : [0, Math.max(-lo, hi)]),
    ulps: [0, 0],
    kinks: { value: false, near: (x) => Math.abs(x) }
  },
  square: { run: jnp.square, f: (x) => x * x, df: (x) => 2 * x, image: (lo, hi) => (lo >= 0 ? [lo * lo, hi * hi] : hi <= 0 ? [hi * hi, lo * lo] : [0, Math.max(lo * lo, hi * hi)]), ulps: ARITH },
  exp: { run: jnp.exp, f: Math.exp, df: Math.exp, image: (lo, hi) => (hi <= 6 ? [Math.exp(lo), Math.exp(hi)] : null), ulps: TRANS },
  log: { run: jnp.log, f: Math.log, df: (x) => 1 / x, image: (lo, hi) => (lo >= 0.1 ? [Math.log(lo), Math.log(hi)] : null), ulps: TRANS },
  sqrt: { run: jnp.sqrt, f: Math.sqrt, df: (x) => 0.5 / Math.sqrt(x), image: (lo, hi) => (lo >= 0.1 ? [Math.sqrt(lo), Math.sqrt(hi)] : null), ulps: ARITH },
  log1p: { run: jnp.log1p, f: Math.log1p, df: (x) => 1 / (1 + x), image: (lo, hi) => (lo >= -0.8 ? [Math.log1p(lo), Math.log1p(hi)] : null), ulps: TRANS },
  expm1: { run: jnp.expm1, f: Math.expm1, df: Math.exp, image: (lo, hi) => (hi <= 6 ? [Math.expm1(lo), Math.expm1(hi)] : null), ulps: TRANS },
  tanh: { run: jnp.tanh, f: Math.tanh, df: (x) => 1 - Math.tanh(x) ** 2, image: mono(Math.tanh), ulps: TRANS },
  sin: { run: jnp.sin, f: Math.sin, df: Math.cos, image: () => [-1, 1], ulps: TRANS },
  cos: { run: jnp.cos, f: Math.cos, df: (x) => -Math.sin(x), image: () => [-1, 1], ulps: TRANS },
  sigmoid: { run: jax.nn.sigmoid, f: sigm, df: (x) => sigm(x) * (1 - sigm(x)), image: mono(sigm), ulps: TRANS },
  relu: {
    run: jax.nn.relu,
    f: (x) => Math.max(x, 0),
    df: (x) => (x > 0 ? 1 : 0),
    image: (lo, hi) => [Math.max(lo, 0), Math.max(hi, 0)],
    ulps: [0, 0],
    kinks: { value: false, near: (x) => Math.abs(x) }
  },
  floor: {
    run: jnp.floor,
    f: Math.floor,
    df: () => 0,
    image: (lo, hi) => [Math.floor(lo), Math.floor(hi)],
    ulps: [0, 0],
    kinks: { value: true, near: (x) => Math.abs(x - Math.round(x)) }
  },
  sign: {
    run: jnp.sign,
    f: Math.sign,
    df: () => 0,
    image: (lo, hi) => [Math.sign(lo), Math.sign(hi)],
    ulps: [0, 0],
    kinks: { value: true, near: (x) => Math.abs(x) }
  }
}

const unaryOp = (name: string, u: Unary): OpDef => ({
  arity: 1,
  plan: ([a]) => {
    const img = u.image(a!.lo, a!.hi)
    return img ? { p: { name }, info: { shape: a!.shape, lo: img[0], hi: img[1] } } : null
  },
  run: ([x]) => u.run(x!),
  ref: ([x], _p, ctx) =>
    fromEls(
      x!.shape,
      elsOf(x!).map(([a, ta, ea, aa, tea]): El => {
        const v = u.f(a)
        const d = u.df(a)
        if (u.kinks && u.kinks.near(a) <= margin(ea, 0, a, 0) && !(ea === 0 && u.kinks.near(a) > 0)) {
          if (u.kinks.value) ctx.ambiguousValue = true
          else if (u.kinks.near(a) > 0 || ea > 0) ctx.ambiguousGrad = true
        }
        // first order in the input's error (Lipschitz bound for the kinked ops), plus this op's rounding
        const lip = u.kinks && !u.kinks.value ? 1 : Math.abs(d)
        const e = lip * ea + u.ulps[0] * U * Math.abs(v) + u.ulps[1] * U
        // the derivative at a rounded point (second derivative by central differences) and its own rounding
        const h = 1e-5 * Math.max(1, Math.abs(a))
        const d2 = u.kinks ? 0 : Math.abs(u.df(a + h) - u.df(a - h)) / (2 * h)
        const te = Math.abs(d) * tea + d2 * 2 * ea * aa + ((u.ulps[0] + 2) * Math.abs(d) + u.ulps[1]) * U * aa
        return [v, d * ta, e, Math.abs(d) * aa, te]
      })
    )
})

/** Binary broadcasting ops. */
const bounds = (xs: number[]): [number, number] => [Math.min(...xs), Math.max(...xs)]
const LIMIT = 1e3

const binaryOp = (
  run: (a: Tensor, b: Tensor) => Tensor,
  image: (a: Info, b: Info) => [number, number] | null,
  elem: (x: El, y: El, ctx: RefCtx) => El
): OpDef => ({
  arity: 2,
  plan: ([a, b]) => {
    let shape: number[]
    try {
      shape = broadcastable(a!.shape, b!.shape)
    } catch {
      return null
    }
    const img = image(a!, b!)
    return img ? { p: {}, info: { shape, lo: img[0], hi: img[1] } } : null
  },
  run: ([a, b]) => run(a!, b!),
  ref: ([a, b], _p, ctx) =>
    tabulateEl(broadcastShape(a!.shape, b!.shape), (idx) => elem(el(a!, bcastPos(a!, idx)), el(b!, bcastPos(b!, idx)), ctx))
})

/** The numpy broadcast of two shapes, or a throw when they do not broadcast. */
export const broadcastable = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): number[] => {
  const r = Math.max(a.length, b.length)
  return Array.from({ length: r }, (_, d) => {
    const x = a[d - (r - a.length)] ?? 1
    const y = b[d - (r - b.length)] ?? 1
    if (x !== y && x !== 1 && y !== 1) throw new Error("no broadcast")
    return Math.max(x, y)
  })
}

/** max/min/select tie rule (JAX's): exact ties split the tangent; near ties make it undetermined. */
const pickSide = (a: number, ea: number, b: number, eb: number, ctx: RefCtx): void => {
  if (a !== b && Math.abs(a - b) <= margin(ea, eb, a, b)) ctx.ambiguousGrad = true
  if (a === b && (ea > 0 || eb > 0)) ctx.ambiguousGrad = true
}

/** The elementwise choice of one side, or the average of both at an exact tie (JAX's max/min JVP). */
const choose = (x: El, y: El, side: "x" | "y" | "tie"): El =>
  side === "x" ? x : side === "y" ? y : [x[0], (x[1] + y[1]) / 2, Math.max(x[2], y[2]), (x[3] + y[3]) / 2, (x[4] + y[4]) / 2 + U * (x[3] + y[3])]

const BINARY: Record<string, OpDef> = {
  add: binaryOp(jnp.add, (a, b) => [a.lo + b.lo, a.hi + b.hi], ([a, ta, ea, aa, tea], [b, tb, eb, ab, teb]) => [a + b, ta + tb, ea + eb + 2 * U * Math.abs(a + b), aa + ab, tea + teb + 2 * U * (aa + ab)]),
  sub: binaryOp(jnp.subtract, (a, b) => [a.lo - b.hi, a.hi - b.lo], ([a, ta, ea, aa, tea], [b, tb, eb, ab, teb]) => [a - b, ta - tb, ea + eb + 2 * U * Math.abs(a - b), aa + ab, tea + teb + 2 * U * (aa + ab)]),
  mul: binaryOp(jnp.multiply, (a, b) => bounds([a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi]), ([a, ta, ea, aa, tea], [b, tb, eb, ab, teb]) => {
    const abs = Math.abs(b) * aa + Math.abs(a) * ab
    return [a * b, ta * b + a * tb, Math.abs(a) * eb + Math.abs(b) * ea + ea * eb + 2 * U * Math.abs(a * b), abs, Math.abs(b) * tea + Math.abs(a) * teb + eb * aa + ea * ab + 3 * U * abs]
  }),
  div: binaryOp(
    jnp.divide,
    (a, b) => (b.lo >= 0.25 || b.hi <= -0.25 ? bounds([a.lo / b.lo, a.lo / b.hi, a.hi / b.lo, a.hi / b.hi]) : null),
    ([a, ta, ea, aa, tea], [b, tb, eb, ab, teb]) => {
      const ib = 1 / Math.abs(b)
      const abs = aa * ib + Math.abs(a) * ab * ib * ib
      const e = ea * ib + Math.abs(a) * eb * ib * ib * (1 + 4 * eb * ib) + 4 * U * Math.abs(a / b)
      // derivative at rounded points: first order in ea, eb (1/b and a/b² move with them)
      const te = tea * ib + Math.abs(a) * teb * ib * ib + 2 * eb * aa * ib * ib + ea * ab * ib * ib + 3 * Math.abs(a) * eb * ab * ib ** 3 + 5 * U * abs
      return [a / b, (ta * b - a * tb) / (b * b), e, abs, te]
    }
  ),
  maximum: binaryOp(jnp.maximum, (a, b) => [Math.max(a.lo, b.lo), Math.max(a.hi, b.hi)], (x, y, ctx) => {
    pickSide(x[0], x[2], y[0], y[2], ctx)
    return choose(x, y, x[0] > y[0] ? "x" : x[0] < y[0] ? "y" : "tie")
  }),
  minimum: binaryOp(jnp.minimum, (a, b) => [Math.min(a.lo, b.lo), Math.min(a.hi, b.hi)], (x, y, ctx) => {
    pickSide(x[0], x[2], y[0], y[2], ctx)
    return choose(x, y, x[0] < y[0] ? "x" : x[0] > y[0] ? "y" : "tie")
  }),
  /** where(a > b, a, b): a comparison and a select (the tie goes to b). */
  selectGt: binaryOp((a, b) => jnp.where(jnp.greater(a, b), a, b), (a, b) => [Math.max(a.lo, b.lo), Math.max(a.hi, b.hi)], (x, y, ctx) => {
    pickSide(x[0], x[2], y[0], y[2], ctx)
    return x[0] > y[0] ? x : y
  })
}

// ---- reductions

const axesPlan = (shape: ReadonlyArray<number>, rnd: Rnd): { axes: number[]; keepdims: boolean } | null => {
  if (shape.length === 0) return null
  const all = rnd.bool(0.25)
  const axes = all ? shape.map((_, d) => d) : [rnd.int(0, shape.length - 1)]
  return { axes, keepdims: rnd.bool(0.3) }
}
const reducedShape = (shape: ReadonlyArray<number>, axes: ReadonlyArray<number>, keepdims: boolean): number[] =>
  keepdims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i))

/** Iterate the reduced groups: for each output element, the flat positions it reduces. */
const groups = (shape: ReadonlyArray<number>, axes: ReadonlyArray<number>): { outShape: number[]; members: number[][] } => {
  const keep = shape.map((_, d) => d).filter((d) => !axes.includes(d))
  const outShape = keep.map((d) => shape[d]!)
  const red = axes.map((d) => shape[d]!)
  const members: number[][] = []
  for (let o = 0; o < size(outShape); o++) {
    const oi = unravelIndex(o, outShape)
    const ms: number[] = []
    for (let r = 0; r < size(red); r++) {
      const ri = unravelIndex(r, red)
      const idx = new Array<number>(shape.length)
      keep.forEach((d, j) => (idx[d] = oi[j]!))
      axes.forEach((d, j) => (idx[d] = ri[j]!))
      ms.push(ravelIndex(idx, shape))
    }
    members.push(ms)
  }
  return { outShape, members }
}

const reduceOp = (
  kind: "sum" | "mean" | "max" | "min" | "logsumexp",
  run: (x: Tensor, axis: number[], keepdims: boolean) => Tensor
): OpDef => ({
  arity: 1,
  plan: ([a], rnd) => {
    const ax = axesPlan(a!.shape, rnd)
    if (!ax) return null
    const n = ax.axes.reduce((s, d) => s * a!.shape[d]!, 1)
    const [lo, hi] = kind === "sum" ? [n * a!.lo, n * a!.hi] : kind === "logsumexp" ? [a!.lo, a!.hi + Math.log(n)] : [a!.lo, a!.hi]
    if (Math.max(Math.abs(lo), Math.abs(hi)) > LIMIT) return null
    return { p: ax, info: { shape: reducedShape(a!.shape, ax.axes, ax.keepdims), lo, hi } }
  },
  run: ([x], p) => run(x!, p.axes, p.keepdims),
  ref: ([x], p: { axes: number[]; keepdims: boolean }, ctx) => {
    const { members } = groups(x!.shape, p.axes)
    const out = members.map((ms): El => {
      const n = ms.length
      const xs = ms.map((k) => el(x!, k))
      const sum = (f: (y: El) => number) => xs.reduce((acc, y) => acc + f(y), 0)
      if (kind === "sum" || kind === "mean") {
        const r: El = [sum((y) => y[0]), sum((y) => y[1]), sum((y) => y[2]) + (n + 1) * U * sum((y) => Math.abs(y[0])), sum((y) => y[3]), sum((y) => y[4]) + (n + 1) * U * sum((y) => y[3])]
        return kind === "sum" ? r : [r[0] / n, r[1] / n, r[2] / n + 2 * U * Math.abs(r[0] / n), r[3] / n, r[4] / n + 2 * U * (r[3] / n)]
      }
      if (kind === "max" || kind === "min") {
        const best = kind === "max" ? Math.max(...xs.map((y) => y[0])) : Math.min(...xs.map((y) => y[0]))
        const ties = xs.filter((y) => y[0] === best)
        const bestE = ties[0]![2]
        xs.forEach((y) => {
          if (y[0] !== best && Math.abs(y[0] - best) <= margin(y[2], bestE, y[0], best)) ctx.ambiguousGrad = true
        })
        if (ties.length > 1 && ties.some((y) => y[2] > 0)) ctx.ambiguousGrad = true
        const m = ties.length
        const ta = ties.reduce((acc, y) => acc + y[3], 0) / m
        return [best, ties.reduce((acc, y) => acc + y[1], 0) / m, Math.max(...xs.map((y) => y[2])), ta, ties.reduce((acc, y) => acc + y[4], 0) / m + 2 * U * ta]
      }
      // logsumexp: its tangent is the softmax-weighted sum of the tangents
      const m = Math.max(...xs.map((y) => y[0]))
      const w = xs.map((y) => Math.exp(y[0] - m))
      const z = w.reduce((a, b) => a + b, 0)
      const y = w.map((q) => q / z)
      const v = m + Math.log(z)
      const maxE = Math.max(...xs.map((q) => q[2]))
      const ta = xs.reduce((acc, q, k) => acc + y[k]! * q[3], 0)
      return [
        v,
        xs.reduce((acc, q, k) => acc + y[k]! * q[1], 0),
        maxE + (TRANS[0] + n + 4) * U * (1 + Math.abs(v)) + TRANS[1] * U,
        ta,
        xs.reduce((acc, q, k) => acc + y[k]! * q[4], 0) + 4 * maxE * ta + (TRANS[0] + n + 6) * U * ta
      ]
    })
    return fromEls(reducedShape(x!.shape, p.axes, p.keepdims), out)
  }
})

// ---- softmax and cumsum along one axis

const lineOp = (kind: "softmax" | "cumsum"): OpDef => ({
  arity: 1,
  plan: ([a], rnd) => {
    if (a!.shape.length === 0) return null
    const axis = rnd.int(0, a!.shape.length - 1)
    const n = a!.shape[axis]!
    if (kind === "softmax") return { p: { axis }, info: { shape: a!.shape, lo: 0, hi: 1 } }
    const lo = n * Math.min(a!.lo, 0)
    const hi = n * Math.max(a!.hi, 0)
    return Math.max(-lo, hi) > LIMIT ? null : { p: { axis }, info: { shape: a!.shape, lo, hi } }
  },
  run: ([x], p) => (kind === "softmax" ? jax.nn.softmax(x!, { axis: p.axis }) : jnp.cumsum(x!, { axis: p.axis })),
  ref: ([x], p: { axis: number }) => {
    const { members } = groups(x!.shape, [p.axis])
    const out = new Array<El>(x!.v.length)
    for (const ms of members) {
      const xs = ms.map((k) => el(x!, k))
      const n = ms.length
      if (kind === "softmax") {
        const m = Math.max(...xs.map((q) => q[0]))
        const w = xs.map((q) => Math.exp(q[0] - m))
        const z = w.reduce((a, b) => a + b, 0)
        const y = w.map((q) => q / z)
        const dot = (f: (q: El) => number) => xs.reduce((acc, q, k) => acc + y[k]! * f(q), 0)
        const [ty, ay, ey] = [dot((q) => q[1]), dot((q) => q[3]), dot((q) => q[4])]
        const maxE = Math.max(...xs.map((q) => q[2]))
        ms.forEach((pos, k) => {
          const yk = y[k]!
          const a = yk * (xs[k]![3] + ay)
          out[pos] = [yk, yk * (xs[k]![1] - ty), yk * (2 * maxE + (TRANS[0] + n + 4) * U) + TRANS[1] * U, a, yk * (xs[k]![4] + ey) + 4 * maxE * a + (TRANS[0] + n + 6) * U * a]
        })
      } else {
        let acc: El = [0, 0, 0, 0, 0]
        let abs = 0
        ms.forEach((pos, k) => {
          const q = xs[k]!
          abs += Math.abs(q[0])
          const a = acc[3] + q[3]
          acc = [acc[0] + q[0], acc[1] + q[1], acc[2] + q[2], a, acc[4] + q[4]]
          out[pos] = [acc[0], acc[1], acc[2] + (k + 2) * U * abs, a, acc[4] + (k + 2) * U * a]
        })
      }
    }
    return fromEls(x!.shape, out)
  }
})

// ---- contraction with a constant weight, and with another value

const contract = (x: RV, w: RV, k: number, n: number): RV => {
  // x [..., k] @ w [k, n] -> [..., n]; w may carry tangents too
  const lead = x.shape.slice(0, -1)
  const outShape = [...lead, n]
  return tabulateEl(outShape, (idx) => {
    const row = ravelIndex(idx.slice(0, -1), lead)
    const j = idx[idx.length - 1]!
    let s = 0
    let ts = 0
    let err = 0
    let abs = 0
    let ta = 0
    let te = 0
    for (let q = 0; q < k; q++) {
      const [a, tx, ea, aa, tea] = el(x, row * k + q)
      const [b, tw, eb, ab, teb] = el(w, q * n + j)
      s += a * b
      ts += tx * b + a * tw
      err += Math.abs(b) * ea + Math.abs(a) * eb + ea * eb
      abs += Math.abs(a * b)
      ta += Math.abs(b) * aa + Math.abs(a) * ab
      te += Math.abs(b) * tea + Math.abs(a) * teb + eb * aa + ea * ab
    }
    return [s, ts, err + (k + 2) * U * abs, ta, te + (k + 2) * U * ta]
  })
}

const MATMUL_CONST: OpDef = {
  arity: 1,
  plan: ([a], rnd) => {
    if (a!.shape.length === 0) return null
    const k = a!.shape[a!.shape.length - 1]!
    const n = rnd.int(1, 4)
    const w = Array.from({ length: k * n }, () => rnd.f32(-1, 1))
    const m = k * Math.max(Math.abs(a!.lo), Math.abs(a!.hi))
    return m > LIMIT ? null : { p: { w, k, n }, info: { shape: [...a!.shape.slice(0, -1), n], lo: -m, hi: m } }
  },
  run: ([x], p) => jnp.matmul(x!, jnp.array(Float32Array.from(p.w), { shape: [p.k, p.n] })),
  ref: ([x], p) => contract(x!, rv([p.k, p.n], p.w), p.k, p.n)
}

/** x [..., k] @ y [k, n] for two program values. */
const MATMUL: OpDef = {
  arity: 2,
  plan: ([a, b]) => {
    if (a!.shape.length === 0 || b!.shape.length !== 2 || a!.shape[a!.shape.length - 1] !== b!.shape[0]) return null
    const k = b!.shape[0]!
    const m = k * Math.max(Math.abs(a!.lo), Math.abs(a!.hi)) * Math.max(Math.abs(b!.lo), Math.abs(b!.hi))
    return m > LIMIT ? null : { p: {}, info: { shape: [...a!.shape.slice(0, -1), b!.shape[1]!], lo: -m, hi: m } }
  },
  run: ([x, y]) => jnp.matmul(x!, y!),
  ref: ([x, y]) => contract(x!, y!, y!.shape[0]!, y!.shape[1]!)
}

// ---- movement (exact: the values and their error bounds move with them)

const gatherRV = (x: RV, shape: ReadonlyArray<number>, src: (idx: number[]) => number): RV =>
  tabulateEl(shape, (idx) => el(x, src(idx)))

const movement = (
  plan: (a: Info, rnd: Rnd) => { p: Record<string, unknown>; shape: number[] } | null,
  run: (x: Tensor, p: any) => Tensor,
  src: (x: RV, p: any, shape: ReadonlyArray<number>) => (idx: number[]) => number
): OpDef => ({
  arity: 1,
  plan: ([a], rnd) => {
    const r = plan(a!, rnd)
    return r ? { p: { ...r.p, shape: r.shape }, info: { shape: r.shape, lo: a!.lo, hi: a!.hi } } : null
  },
  run: ([x], p) => run(x!, p),
  ref: ([x], p) => gatherRV(x!, p.shape, src(x!, p, p.shape))
})

const divisors = (n: number): number[] => Array.from({ length: n }, (_, k) => k + 1).filter((d) => n % d === 0)

const MOVEMENT: Record<string, OpDef> = {
  reshape: movement(
    (a, rnd) => {
      const n = size(a.shape)
      const d = rnd.pick(divisors(n))
      const shape = rnd.pick([[n], [d, n / d], [n / d, 1, d]])
      return { p: {}, shape }
    },
    (x, p) => jnp.reshape(x, p.shape),
    () => (idx) => 0 + 0 * idx.length
  ),
  transpose: movement(
    (a, rnd) => {
      if (a.shape.length < 2) return null
      const perm = a.shape.map((_, d) => d)
      for (let i = perm.length - 1; i > 0; i--) {
        const j = rnd.int(0, i)
        ;[perm[i], perm[j]] = [perm[j]!, perm[i]!]
      }
      return { p: { perm }, shape: perm.map((d) => a.shape[d]!) }
    },
    (x, p) => jnp.transpose(x, p.perm),
    (x, p: { perm: number[] }) => (idx) => {
      const src = new Array<number>(idx.length)
      p.perm.forEach((d, j) => (src[d] = idx[j]!))
      return ravelIndex(src, x.shape)
    }
  ),
  slice: movement(
    (a, rnd) => {
      if (a.shape.length === 0) return null
      const specs = a.shape.map((n) => {
        const start = rnd.int(0, n - 1)
        const stop = rnd.int(start + 1, n)
        const step = rnd.int(1, 2)
        return [start, stop, step] as const
      })
      return { p: { specs }, shape: specs.map(([s, e, st]) => Math.ceil((e - s) / st)) }
    },
    (x, p) => jnp.slice(x, ...p.specs),
    (x, p: { specs: ReadonlyArray<readonly [number, number, number]> }) => (idx) => ravelIndex(idx.map((i, d) => p.specs[d]![0] + i * p.specs[d]![2]), x.shape)
  ),
  broadcast: movement(
    (a, rnd) => {
      const n = rnd.int(1, 3)
      // a new leading axis, and every size-1 axis stretched
      const shape = [n, ...a.shape.map((d) => (d === 1 ? rnd.int(1, 3) : d))]
      return { p: {}, shape }
    },
    (x, p) => jnp.broadcastTo(x, p.shape),
    (x) => (idx) => ravelIndex(x.shape.map((d, k) => (d === 1 ? 0 : idx[k + 1]!)), x.shape)
  ),
  flip: movement(
    (a, rnd) => (a.shape.length === 0 ? null : { p: { axis: rnd.int(0, a.shape.length - 1) }, shape: [...a.shape] }),
    (x, p) => jnp.flip(x, p.axis),
    (x, p: { axis: number }) => (idx) => ravelIndex(idx.map((i, d) => (d === p.axis ? x.shape[d]! - 1 - i : i)), x.shape)
  )
}
// reshape's source index is the same flat position (row-major)
;(MOVEMENT.reshape as { ref: OpDef["ref"] }).ref = ([x], p) => ({ ...x!, shape: [...p.shape] })

/** concatenate([a, b], axis) for two values whose shapes agree off the axis. */
const CONCAT: OpDef = {
  arity: 2,
  plan: ([a, b], rnd) => {
    if (a!.shape.length === 0 || a!.shape.length !== b!.shape.length) return null
    const axes = a!.shape.map((_, d) => d).filter((d) => a!.shape.every((n, k) => k === d || n === b!.shape[k]))
    if (axes.length === 0) return null
    const axis = rnd.pick(axes)
    const shape = a!.shape.map((n, k) => (k === axis ? n + b!.shape[k]! : n))
    return { p: { axis }, info: { shape, lo: Math.min(a!.lo, b!.lo), hi: Math.max(a!.hi, b!.hi) } }
  },
  run: ([a, b], p) => jnp.concatenate([a!, b!], p.axis),
  ref: ([a, b], p: { axis: number }) => {
    const shape = a!.shape.map((n, k) => (k === p.axis ? n + b!.shape[k]! : n))
    return tabulateEl(shape, (idx) => {
      const na = a!.shape[p.axis]!
      const [x, i] = idx[p.axis]! < na ? [a!, idx] : [b!, idx.map((v, d) => (d === p.axis ? v - na : v))]
      return el(x, ravelIndex(i, x.shape))
    })
  }
}

export const OPS: Record<string, OpDef> = {
  ...Object.fromEntries(Object.entries(UNARY).map(([k, u]) => [k, unaryOp(k, u)])),
  ...BINARY,
  sum: reduceOp("sum", (x, axis, keepdims) => jnp.sum(x, { axis, keepdims })),
  mean: reduceOp("mean", (x, axis, keepdims) => jnp.mean(x, { axis, keepdims })),
  max: reduceOp("max", (x, axis, keepdims) => jnp.max(x, { axis, keepdims })),
  min: reduceOp("min", (x, axis, keepdims) => jnp.min(x, { axis, keepdims })),
  logsumexp: reduceOp("logsumexp", (x, axis, keepdims) => jax.nn.logsumexp(x, { axis, keepdims })),
  softmax: lineOp("softmax"),
  cumsum: lineOp("cumsum"),
  matmulConst: MATMUL_CONST,
  matmul: MATMUL,
  ...MOVEMENT,
  concatenate: CONCAT
}
const OP_NAMES = Object.keys(OPS)

// ---------------------------------------------------------------- programs

export interface InputSpec {
  readonly shape: ReadonlyArray<number>
  readonly lo: number
  readonly hi: number
}

/** A straight-line program: inputs are values 0..k-1, node i defines value k+i. */
export interface Program {
  readonly inputs: ReadonlyArray<InputSpec>
  readonly nodes: ReadonlyArray<Node>
  readonly outputs: ReadonlyArray<number>
  /** Static shape of every value. */
  readonly shapes: ReadonlyArray<ReadonlyArray<number>>
}

const randShape = (rnd: Rnd): number[] => Array.from({ length: rnd.pick([0, 1, 1, 2, 2, 2, 3]) }, () => rnd.int(1, 4))

/** A random valid program: 1–3 inputs, `steps` op applications (ops out of domain are skipped for the next op that fits). */
export const buildProgram = (seed: number, steps: number): Program => {
  const rnd = new Rnd(seed)
  const inputs: InputSpec[] = Array.from({ length: rnd.int(1, 3) }, () => {
    const shape = randShape(rnd)
    return rnd.bool(0.35) ? { shape, lo: 0.25, hi: 2 } : { shape, lo: -2, hi: 2 }
  })
  const infos: Info[] = inputs.map((i) => ({ shape: i.shape, lo: i.lo, hi: i.hi }))
  const nodes: Node[] = []
  for (let s = 0; s < steps; s++) {
    const first = rnd.int(0, OP_NAMES.length - 1)
    for (let k = 0; k < OP_NAMES.length; k++) {
      const op = OP_NAMES[(first + k) % OP_NAMES.length]!
      const def = OPS[op]!
      // prefer the latest values, so programs are deep rather than wide
      const a = rnd.bool(0.6) ? infos.length - 1 : rnd.int(0, infos.length - 1)
      const args = def.arity === 1 ? [a] : [a, rnd.int(0, infos.length - 1)]
      const planned = def.plan(args.map((i) => infos[i]!), rnd)
      if (!planned || size(planned.info.shape) === 0 || size(planned.info.shape) > 96) continue
      if (Math.max(Math.abs(planned.info.lo), Math.abs(planned.info.hi)) > LIMIT) continue
      nodes.push({ op, args, p: planned.p })
      infos.push(planned.info)
      break
    }
  }
  const last = infos.length - 1
  const outputs = rnd.bool(0.3) && last > inputs.length ? [last, rnd.int(inputs.length, last - 1)] : [last]
  return { inputs, nodes, outputs, shapes: infos.map((i) => i.shape) }
}

/** Build the program out of tanka ops. */
export const runProgram = (prog: Program, xs: ReadonlyArray<Tensor>): Tensor[] => {
  const vals: Tensor[] = [...xs]
  for (const n of prog.nodes) vals.push(OPS[n.op]!.run(n.args.map((i) => vals[i]!), n.p))
  return prog.outputs.map((i) => vals[i]!)
}

/** Interpret the program in float64 (values, tangents, error bounds). */
export const refProgram = (prog: Program, xs: ReadonlyArray<RV>, ctx: RefCtx): RV[] => {
  const vals: RV[] = [...xs]
  for (const n of prog.nodes) vals.push(OPS[n.op]!.ref(n.args.map((i) => vals[i]!), n.p, ctx))
  return prog.outputs.map((i) => vals[i]!)
}

/** A readable listing, for failure messages and regression tests. */
export const showProgram = (prog: Program): string => {
  const lines = prog.inputs.map((i, k) => `  v${k} = input f32[${i.shape.join(",")}] in [${i.lo}, ${i.hi}]`)
  prog.nodes.forEach((n, k) => {
    const { w: _w, shape: _s, ...rest } = n.p as Record<string, unknown>
    lines.push(`  v${prog.inputs.length + k} = ${n.op}(${n.args.map((a) => `v${a}`).join(", ")}) ${JSON.stringify(rest)} -> [${prog.shapes[prog.inputs.length + k]!.join(",")}]`)
  })
  lines.push(`  return ${prog.outputs.map((o) => `v${o}`).join(", ")}`)
  return lines.join("\n")
}
