/**
 * Float32 math on f32x4 lanes for the WebAssembly SIMD kernels: exp and log after cephes' float
 * routines (about 1 ulp), tanh, erf and erf_inv with the same formulas as the gpu.js kernel
 * bodies (`elementwiseBodies.ts`), and a per-lane call of float64 `Math` for the functions used
 * rarely enough not to need a vector form (sin, cos, log1p, expm1, pow, atan2).
 *
 * Each function emits code inline into `f` and returns the local holding the result.
 */
import { F64, Fn, type Local, V128 } from "./emitter.js"

/** Host functions a module may import for per-lane calls, with their arity. */
export const LANE_FUNCTIONS = { sin: 1, cos: 1, log1p: 1, expm1: 1, pow: 2, atan2: 2 } as const
export type LaneFunction = keyof typeof LANE_FUNCTIONS

/** A vector emitter over `f`: small helpers that keep the math below readable. */
export class Vec {
  constructor(
    readonly f: Fn,
    /** Function index of each imported lane function (declared by the module). */
    readonly lanes: Partial<Record<LaneFunction, number>> = {}
  ) {}

  tmp(): Local {
    return this.f.local(V128)
  }
  /** A splat f32 constant. */
  k(v: number): Local {
    const l = this.tmp()
    this.f.f32x4(v).set(l)
    return l
  }
  /** A splat i32 constant. */
  ki(v: number): Local {
    const l = this.tmp()
    this.f.i32x4(v).set(l)
    return l
  }
  /** `op(a, b)` of two vector locals into a new local. */
  op2(op: Parameters<Fn["simd"]>[0], a: Local, b: Local): Local {
    const l = this.tmp()
    this.f.get(a).get(b).simd(op).set(l)
    return l
  }
  op1(op: Parameters<Fn["simd"]>[0], a: Local): Local {
    const l = this.tmp()
    this.f.get(a).simd(op).set(l)
    return l
  }
  add(a: Local, b: Local): Local {
    return this.op2("f32x4.add", a, b)
  }
  sub(a: Local, b: Local): Local {
    return this.op2("f32x4.sub", a, b)
  }
  mul(a: Local, b: Local): Local {
    return this.op2("f32x4.mul", a, b)
  }
  div(a: Local, b: Local): Local {
    return this.op2("f32x4.div", a, b)
  }
  /** `mask ? a : b` per lane (mask lanes all-ones or zero). */
  sel(mask: Local, a: Local, b: Local): Local {
    const l = this.tmp()
    this.f.get(a).get(b).get(mask).simd("v128.bitselect").set(l)
    return l
  }
  /** Horner's scheme `((c0·x + c1)·x + c2)…` in float32, as the kernel bodies evaluate it. */
  horner(x: Local, coeffs: ReadonlyArray<number>): Local {
    let acc = this.k(coeffs[0]!)
    for (let i = 1; i < coeffs.length; i++) acc = this.add(this.mul(acc, x), this.k(coeffs[i]!))
    return acc
  }

  /** e^x (cephes expf: |error| about 1 ulp); NaN stays NaN, overflow gives +inf, underflow 0. */
  exp(x0: Local): Local {
    const x = this.op2("f32x4.min", this.op2("f32x4.max", x0, this.k(-104)), this.k(89))
    const kf = this.op1("f32x4.nearest", this.mul(x, this.k(1.4426950408889634)))
    const r = this.sub(this.sub(x, this.mul(kf, this.k(0.693359375))), this.mul(kf, this.k(-2.12194440e-4)))
    const z = this.mul(r, r)
    const p = this.horner(r, [1.98756915e-4, 1.39819995e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1])
    const y = this.add(this.add(this.mul(p, z), r), this.k(1))
    // 2^k as two factors so k in [-150, 128] stays a normal exponent in each
    const ki = this.op1("i32x4.trunc_sat_f32x4_s", kf)
    const k1 = this.tmp()
    this.f.get(ki).i32(1).simd("i32x4.shr_s").set(k1)
    const k2 = this.op2("i32x4.sub", ki, k1)
    const bias = this.ki(127)
    const s1 = this.tmp()
    this.f.get(k1).get(bias).simd("i32x4.add").i32(23).simd("i32x4.shl").set(s1)
    const s2 = this.tmp()
    this.f.get(k2).get(bias).simd("i32x4.add").i32(23).simd("i32x4.shl").set(s2)
    return this.mul(this.mul(y, s1), s2)
  }

  /** ln x (cephes logf: about 1 ulp); 0 → -inf, negative or NaN → NaN, +inf → +inf. */
  log(x: Local): Local {
    const den = this.op2("f32x4.lt", x, this.k(1.17549435e-38))
    const xs = this.sel(den, this.mul(x, this.k(8388608)), x)
    const eadj = this.sel(den, this.ki(-23), this.ki(0))
    const e = this.tmp()
    this.f.get(xs).i32(23).simd("i32x4.shr_u").i32x4(0xff).simd("v128.and").i32x4(126).simd("i32x4.sub").get(eadj).simd("i32x4.add").set(e)
    const m0 = this.tmp()
    this.f.get(xs).i32x4(0x007fffff).simd("v128.and").i32x4(0x3f000000).simd("v128.or").set(m0)
    let ef = this.op1("f32x4.convert_i32x4_s", e)
    const lo = this.op2("f32x4.lt", m0, this.k(0.707106781186547524))
    ef = this.sub(ef, this.sel(lo, this.k(1), this.k(0)))
    const m = this.sel(lo, this.sub(this.add(m0, m0), this.k(1)), this.sub(m0, this.k(1)))
    const z = this.mul(m, m)
    const p = this.horner(m, [7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1])
    let y = this.mul(this.mul(p, m), z)
    y = this.add(y, this.mul(this.k(-2.12194440e-4), ef))
    y = this.sub(y, this.mul(this.k(0.5), z))
    let r = this.add(this.add(m, y), this.mul(this.k(0.693359375), ef))
    r = this.sel(this.op2("f32x4.eq", x, this.k(0)), this.k(-Infinity), r)
    r = this.sel(this.op2("v128.or", this.op2("f32x4.lt", x, this.k(0)), this.op2("f32x4.ne", x, x)), this.k(NaN), r)
    return this.sel(this.op2("f32x4.eq", x, this.k(Infinity)), this.k(Infinity), r)
  }

  /** tanh (cephes tanhf: a polynomial below |x| = 0.625, 1 - 2/(e^{2|x|} + 1) above). */
  tanh(x: Local): Local {
    const ax = this.op1("f32x4.abs", x)
    const z = this.mul(x, x)
    const p = this.horner(z, [-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1])
    const small = this.add(this.mul(this.mul(p, z), x), x)
    const e = this.exp(this.add(ax, ax))
    const t = this.sub(this.k(1), this.div(this.k(2), this.add(e, this.k(1))))
    const big = this.sel(this.op2("f32x4.lt", x, this.k(0)), this.op1("f32x4.neg", t), t)
    return this.sel(this.op2("f32x4.lt", ax, this.k(0.625)), small, big)
  }

  /** The logistic function 1 / (1 + e^{-x}), the gpu.js body's formula. */
  logistic(x: Local): Local {
    return this.div(this.k(1), this.add(this.k(1), this.exp(this.op1("f32x4.neg", x))))
  }

  /** erf by the rational approximation of the gpu.js body (Eigen/XLA's float erf). */
  erf(x: Local): Local {
    const ex = this.op2("f32x4.min", this.op2("f32x4.max", x, this.k(-4)), this.k(4))
    const ex2 = this.mul(ex, ex)
    const p = this.horner(ex2, ERF_ALPHA)
    const q = this.horner(ex2, ERF_BETA)
    return this.sel(this.op2("f32x4.ne", x, x), x, this.div(this.mul(ex, p), q))
  }

  /** erf⁻¹ by Giles' single-precision approximation, the gpu.js body's formula. */
  erfInv(x: Local): Local {
    const w = this.op1("f32x4.neg", this.log(this.mul(this.sub(this.k(1), x), this.add(this.k(1), x))))
    const ps = this.horner(this.sub(w, this.k(2.5)), ERFINV_SMALL)
    const pl = this.horner(this.sub(this.op1("f32x4.sqrt", w), this.k(3)), ERFINV_LARGE)
    const r = this.sel(this.op2("f32x4.lt", w, this.k(5)), this.mul(ps, x), this.mul(pl, x))
    return this.sel(this.op2("f32x4.eq", this.op1("f32x4.abs", x), this.k(1)), this.mul(x, this.k(Infinity)), r)
  }

  /** lax.round: half away from zero, the gpu.js body's formula. */
  round(x: Local): Local {
    const ra = this.op1("f32x4.abs", x)
    const rf = this.op1("f32x4.floor", ra)
    const rr = this.sel(this.op2("f32x4.ge", this.sub(ra, rf), this.k(0.5)), this.add(rf, this.k(1)), rf)
    return this.sel(this.op2("f32x4.lt", x, this.k(0)), this.op1("f32x4.neg", rr), this.sel(this.op2("f32x4.gt", x, this.k(0)), rr, x))
  }

  /** Math.sign: ±1, and x itself for ±0 and NaN. */
  sign(x: Local): Local {
    return this.sel(this.op2("f32x4.gt", x, this.k(0)), this.k(1), this.sel(this.op2("f32x4.lt", x, this.k(0)), this.k(-1), x))
  }

  /** Float `rem` with the C fmod sign convention, the gpu.js body's formula. */
  rem(a: Local, b: Local): Local {
    const q = this.div(a, b)
    const r0 = this.sub(a, this.mul(b, this.op1("f32x4.trunc", q)))
    const rb = this.op1("f32x4.abs", b)
    const aPos = this.op2("f32x4.ge", a, this.k(0))
    const fixUp = this.op2("v128.and", aPos, this.op2("f32x4.lt", r0, this.k(0)))
    const fixDown = this.op2("v128.and", this.op2("f32x4.lt", a, this.k(0)), this.op2("f32x4.gt", r0, this.k(0)))
    const r1 = this.sel(fixUp, this.add(r0, rb), this.sel(fixDown, this.sub(r0, rb), r0))
    const over = this.op2("f32x4.ge", this.op1("f32x4.abs", r1), rb)
    const r2 = this.sel(over, this.sel(this.op2("f32x4.gt", r1, this.k(0)), this.sub(r1, rb), this.add(r1, rb)), r1)
    // fmod(x, ±inf) = x for finite x; inf % anything is NaN (a - a)
    const bInf = this.op2("f32x4.eq", rb, this.k(Infinity))
    const aFinite = this.op2("f32x4.lt", this.op1("f32x4.abs", a), this.k(Infinity))
    // a quotient past float32's range (b tiny against a): the remainder is below |b|, i.e. ±0 here
    const qInf = this.op2("v128.and", this.op2("f32x4.eq", this.op1("f32x4.abs", q), this.k(Infinity)), this.op2("v128.and", aFinite, this.op2("f32x4.ne", b, this.k(0))))
    return this.sel(bInf, this.sel(aFinite, a, this.sub(a, a)), this.sel(qInf, this.mul(a, this.k(0)), r2))
  }

  /** A float64 `Math` function applied lane by lane (results rounded to float32). */
  lane(fn: LaneFunction, args: ReadonlyArray<Local>): Local {
    const index = this.lanes[fn]
    if (index === undefined) throw new Error(`internal: lane function ${fn} was not imported`)
    const out = this.tmp()
    this.f.get(args[0]!).set(out)
    for (let l = 0; l < 4; l++) {
      this.f.get(out)
      for (const a of args) this.f.get(a).lane("f32x4.extract_lane", l).op("f64.promote_f32")
      this.f.call(index).op("f32.demote_f64").lane("f32x4.replace_lane", l).set(out)
    }
    return out
  }
}

export { F64 }

const ERF_ALPHA = [-2.72614225801306e-10, 2.77068142495902e-8, -2.10102402082508e-6, -5.69250639462346e-5, -7.34990630326855e-4, -2.95459980854025e-3, -1.60960333262415e-2]
const ERF_BETA = [-1.45660718464996e-5, -2.13374055278905e-4, -1.68282697438203e-3, -7.37332916720468e-3, -1.42647390514189e-2]
const ERFINV_SMALL = [2.81022636e-8, 3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941]
const ERFINV_LARGE = [-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682]
