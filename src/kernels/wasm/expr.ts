/**
 * Fused elementwise loops in WebAssembly SIMD: one loop over an iteration shape evaluates a set
 * of expressions over strided input views (broadcasting is a zero stride, a transpose a permuted
 * stride) and writes each to its own contiguous output. Eager elementwise ops are one-node
 * expressions; `jit` fuses whole chains of them into one loop.
 *
 * The innermost coalesced dimension runs four elements per step with `v128` loads and stores;
 * its remainder runs the same vector code on splatted scalars (so every element is computed by
 * the same instructions, bit for bit). Values are f32x4 (float32) or i32x4 (int32, uint32, and
 * bool as 0/1) lanes.
 */
import type { DType } from "../dtype.js"
import { stridesOf } from "../dtype.js"
import { coalesce } from "../codegen.js"
import { COMPARE, type Expr, type ExprBinary, type ExprUnary, type LoopSpec, showExpr } from "../fusion.js"
import { F64, type Fn, I32, type Local, type MemoryImport, ModuleBuilder, V128 } from "./emitter.js"
import { LANE_FUNCTIONS, type LaneFunction, Vec } from "./vmath.js"

const isInt = (d: DType): boolean => d !== "float32"

export const usesLane = (e: Expr, acc: Set<LaneFunction>): Set<LaneFunction> => {
  switch (e.kind) {
    case "unary":
      if (e.op === "sin" || e.op === "cos" || e.op === "log1p" || e.op === "expm1") acc.add(e.op)
      return usesLane(e.x, acc)
    case "binary":
      if (e.op === "pow" || e.op === "atan2") acc.add(e.op)
      usesLane(e.a, acc)
      return usesLane(e.b, acc)
    case "select":
      usesLane(e.pred, acc)
      usesLane(e.t, acc)
      return usesLane(e.f, acc)
    case "convert":
      return usesLane(e.x, acc)
    default:
      return acc
  }
}

/** Emits the vector value of expressions, once per node (common subexpressions shared). */
export class ExprEmitter {
  private readonly memo = new Map<Expr, Local>()
  constructor(
    private readonly v: Vec,
    private readonly leaf: (index: number) => Local
  ) {}

  value(e: Expr): Local {
    let l = this.memo.get(e)
    if (l === undefined) {
      l = this.compute(e)
      this.memo.set(e, l)
    }
    return l
  }

  private compute(e: Expr): Local {
    const v = this.v
    switch (e.kind) {
      case "leaf":
        return this.leaf(e.index)
      case "const":
        return isInt(e.dtype) ? v.ki(e.dtype === "bool" ? (e.value ? 1 : 0) : e.value) : v.k(e.value)
      case "unary":
        return this.unary(e.op, this.value(e.x), e.x.dtype)
      case "binary":
        return this.binary(e.op, this.value(e.a), this.value(e.b), e.a.dtype)
      case "select": {
        const p = this.value(e.pred)
        const mask = v.op2("i32x4.ne", p, v.ki(0))
        return v.sel(mask, this.value(e.t), this.value(e.f))
      }
      case "convert":
        return this.convert(this.value(e.x), e.x.dtype, e.dtype)
    }
  }

  private unary(op: ExprUnary, x: Local, dtype: DType): Local {
    const v = this.v
    if (op === "not") return dtype === "bool" ? v.op2("v128.xor", x, v.ki(1)) : v.op1("v128.not", x)
    switch (op) {
      case "neg":
        return v.op1("f32x4.neg", x)
      case "abs":
        return v.op1("f32x4.abs", x)
      case "sqrt":
        return v.op1("f32x4.sqrt", x)
      case "rsqrt":
        return v.div(v.k(1), v.op1("f32x4.sqrt", x))
      case "floor":
        return v.op1("f32x4.floor", x)
      case "ceil":
        return v.op1("f32x4.ceil", x)
      case "exp":
        return v.exp(x)
      case "log":
        return v.log(x)
      case "tanh":
        return v.tanh(x)
      case "logistic":
        return v.logistic(x)
      case "erf":
        return v.erf(x)
      case "erf_inv":
        return v.erfInv(x)
      case "round":
        return v.round(x)
      case "sign":
        return v.sign(x)
      case "sin":
      case "cos":
      case "log1p":
      case "expm1":
        return v.lane(op, [x])
    }
  }

  private binary(op: ExprBinary, a: Local, b: Local, dtype: DType): Local {
    const v = this.v
    if (COMPARE.has(op)) {
      const mask = dtype === "float32" ? v.op2(`f32x4.${op}` as "f32x4.eq", a, b) : this.intCompare(op, a, b, dtype)
      return v.op2("v128.and", mask, v.ki(1))
    }
    if (op === "and" || op === "or" || op === "xor") return v.op2(`v128.${op}`, a, b)
    if (dtype !== "float32") {
      const signed = dtype === "int32"
      if (op === "max") return v.op2(signed ? "i32x4.max_s" : "i32x4.max_u", a, b)
      if (op === "min") return v.op2(signed ? "i32x4.min_s" : "i32x4.min_u", a, b)
      throw new Error(`internal: integer ${op} is not fused`)
    }
    switch (op) {
      case "add":
        return v.add(a, b)
      case "sub":
        return v.sub(a, b)
      case "mul":
        return v.mul(a, b)
      case "div":
        return v.div(a, b)
      case "max":
        return v.op2("f32x4.max", a, b)
      case "min":
        return v.op2("f32x4.min", a, b)
      case "rem":
        return v.rem(a, b)
      case "pow":
      case "atan2":
        return v.lane(op, [a, b])
    }
    throw new Error(`internal: float ${op} is not fused`)
  }

  private intCompare(op: ExprBinary, a: Local, b: Local, dtype: DType): Local {
    const v = this.v
    if (op === "eq") return v.op2("i32x4.eq", a, b)
    if (op === "ne") return v.op2("i32x4.ne", a, b)
    const suffix = dtype === "uint32" ? "_u" : "_s"
    return v.op2(`i32x4.${op}${suffix}` as "i32x4.lt_s", a, b)
  }

  private convert(x: Local, from: DType, to: DType): Local {
    const v = this.v
    if (from === to) return x
    if (to === "bool") {
      const mask = from === "float32" ? v.op2("f32x4.ne", x, v.k(0)) : v.op2("i32x4.ne", x, v.ki(0))
      return v.op2("v128.and", mask, v.ki(1))
    }
    if (to === "float32") return v.op1(from === "uint32" ? "f32x4.convert_i32x4_u" : "f32x4.convert_i32x4_s", x)
    if (from === "float32") return v.op1(to === "uint32" ? "i32x4.trunc_sat_f32x4_u" : "i32x4.trunc_sat_f32x4_s", x)
    // bool/int32/uint32 → int32/uint32: the same 32 bits
    return x
  }
}

/**
 * The module of a fused loop: exports `run(leaf0, …, out0, …)` on byte pointers. Shapes and
 * strides are baked in as constants.
 */
export const loopModule = (spec: LoopSpec, memory: MemoryImport): Uint8Array => {
  const mb = new ModuleBuilder(memory)
  const lanes: Partial<Record<LaneFunction, number>> = {}
  const needed = new Set<LaneFunction>()
  for (const o of spec.outs) usesLane(o, needed)
  for (const fn of needed) lanes[fn] = mb.importFn("math", fn, new Array(LANE_FUNCTIONS[fn]).fill(F64), [F64])
  const nl = spec.leaves.length
  const no = spec.outs.length
  const { fn: f } = mb.add("run", new Array(nl + no).fill(I32), [])
  emitLoop(f, spec, lanes)
  return mb.build()
}

/** The loop body: coalesced dims, outer counters, a vectorised innermost dim and its tail. */
const emitLoop = (f: Fn, spec: LoopSpec, lanes: Partial<Record<LaneFunction, number>>): void => {
  const nl = spec.leaves.length
  const outStrides = stridesOf(spec.shape)
  const merged = coalesce(spec.shape, [...spec.leaves.map((l) => [...l.strides]), ...spec.outs.map(() => outStrides)])
  const dims = merged.shape
  const r = dims.length
  const inner = r === 0 ? 1 : dims[r - 1]!
  const innerStride = (view: number): number => (r === 0 ? 0 : merged.views[view]![r - 1]!)
  const ptrs: Local[] = [...spec.leaves.map((_, j) => f.param(j)), ...spec.outs.map((_, j) => f.param(nl + j))]
  const base: Local[] = ptrs.map(() => f.local(I32))
  const counters: Local[] = dims.slice(0, Math.max(0, r - 1)).map(() => f.local(I32))
  const i = f.local(I32)
  const addr = f.local(I32)

  // base pointers of the current innermost row, from the outer counters
  const setBases = (): void => {
    ptrs.forEach((p, j) => {
      f.get(p)
      counters.forEach((c, d) => {
        const s = merged.views[j]![d]!
        if (s !== 0) f.get(c).i32(4 * s).op("i32.mul").op("i32.add")
      })
      f.set(base[j]!)
    })
  }

  const body = (vector: boolean): void => {
    const v = new Vec(f, lanes)
    // a leaf with stride 0 along the innermost dim is one value splat across the lanes
    const load = (j: number): Local => {
      const l = f.local(V128)
      const s = innerStride(j)
      if (s === 0) {
        f.get(base[j]!).v128load32splat().set(l)
        return l
      }
      // element address: base + i * s * 4
      f.get(base[j]!).get(i).i32(4 * s).op("i32.mul").op("i32.add").set(addr)
      if (!vector) f.get(addr).v128load32splat().set(l)
      else if (s === 1) f.get(addr).v128load().set(l)
      else {
        f.get(addr).v128load32splat().set(l)
        for (let lane = 1; lane < 4; lane++) {
          f.get(l).get(addr).i32load(4 * s * lane).lane("i32x4.replace_lane", lane).set(l)
        }
      }
      return l
    }
    const em = new ExprEmitter(v, load)
    const values = spec.outs.map((o) => em.value(o))
    values.forEach((val, k) => {
      f.get(base[nl + k]!).get(i).i32(4).op("i32.mul").op("i32.add")
      if (vector) f.get(val).v128store()
      else f.get(val).lane("i32x4.extract_lane", 0).i32store()
    })
  }

  const innerLoops = (): void => {
    setBases()
    const vecEnd = inner - (inner % 4)
    if (vecEnd > 0) f.for(i, 0, vecEnd, 4, () => body(true))
    if (vecEnd < inner) f.for(i, vecEnd, inner, 1, () => body(false))
  }

  const nest = (d: number): void => {
    if (d === counters.length) {
      innerLoops()
      return
    }
    f.for(counters[d]!, 0, dims[d]!, 1, () => nest(d + 1))
  }
  nest(0)
}

export { fusibleBinary, fusibleUnary } from "../fusion.js"
export type { Expr, LoopLeaf, LoopSpec } from "../fusion.js"

/** Cache key of a loop spec. */
export const loopKey = (s: LoopSpec): string =>
  `loop|${s.shape.join(",")}|${s.leaves.map((l) => `${l.dtype}:${l.strides.join(",")}`).join(";")}|${s.outs.map((o) => `${o.dtype}=${showExpr(o)}`).join(";")}`
