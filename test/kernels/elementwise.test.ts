import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { type DType, type HostArray, BINARY_OPS, allocStorage, binary, convert, getBackend, hostArray, select, setBackend, sizeOf, unary } from "../../src/kernels/index.js"
import { arbBroadcastablePair, arbBroadcastableShapes, arbInt32Full, arbShape, arbTensorOf, arbValue } from "../support/arbitraries.js"
import { assertAllclose } from "../support/assertAllclose.js"
import { UNARY_REF, binaryRef, mapBroadcast, ref } from "../support/reference.js"

const RUNS = { numRuns: 20 }
const f32 = (shape: number[], v: number[]): HostArray => hostArray("float32", shape, new Float32Array(v))
const of = (dtype: DType, shape: number[], v: number[]): HostArray => {
  const d = allocStorage(dtype, v.length)
  v.forEach((x, k) => (d[k] = x))
  return hostArray(dtype, shape, d)
}

// Domain and tolerance per float unary op (rtol relative to float32 epsilon 2^-23 ≈ 1.2e-7).
const UNARY_CASES: Record<string, { values: fc.Arbitrary<number>; rtol: number; atol: number }> = {
  neg: { values: arbValue("float32", { special: true }), rtol: 0, atol: 0 },
  exp: { values: arbValue("float32", { scale: 10 }), rtol: 2.5e-7, atol: 0 },
  log: { values: fc.double({ min: 1e-6, max: 1e6, noNaN: true }).map(Math.fround), rtol: 2.5e-7, atol: 1e-7 },
  log1p: { values: fc.double({ min: -0.999, max: 100, noNaN: true }).map(Math.fround), rtol: 2.5e-7, atol: 1e-12 },
  expm1: { values: arbValue("float32", { scale: 5 }), rtol: 2.5e-7, atol: 1e-12 },
  tanh: { values: arbValue("float32", { scale: 6 }), rtol: 2.5e-7, atol: 1e-12 },
  logistic: { values: arbValue("float32", { scale: 20 }), rtol: 5e-7, atol: 1e-30 },
  sqrt: { values: fc.double({ min: 0, max: 1e4, noNaN: true }).map(Math.fround), rtol: 1.2e-7, atol: 0 },
  rsqrt: { values: fc.double({ min: 1e-4, max: 1e4, noNaN: true }).map(Math.fround), rtol: 2.5e-7, atol: 0 },
  abs: { values: arbValue("float32", { special: true }), rtol: 0, atol: 0 },
  sign: { values: arbValue("float32", { special: true }), rtol: 0, atol: 0 },
  sin: { values: arbValue("float32", { scale: 10 }), rtol: 2.5e-7, atol: 1e-7 },
  cos: { values: arbValue("float32", { scale: 10 }), rtol: 2.5e-7, atol: 1e-7 },
  tan: { values: arbValue("float32", { scale: 10 }), rtol: 5e-7, atol: 1e-7 },
  asin: { values: fc.double({ min: -1, max: 1, noNaN: true }).map(Math.fround), rtol: 2.5e-7, atol: 1e-7 },
  acos: { values: fc.double({ min: -1, max: 1, noNaN: true }).map(Math.fround), rtol: 5e-7, atol: 1e-7 },
  atan: { values: arbValue("float32", { scale: 50 }), rtol: 2.5e-7, atol: 1e-7 },
  sinh: { values: arbValue("float32", { scale: 10 }), rtol: 2.5e-7, atol: 1e-12 },
  cosh: { values: arbValue("float32", { scale: 10 }), rtol: 2.5e-7, atol: 0 },
  floor: { values: arbValue("float32", { scale: 100, special: true }), rtol: 0, atol: 0 },
  ceil: { values: arbValue("float32", { scale: 100, special: true }), rtol: 0, atol: 0 },
  round: { values: fc.oneof(arbValue("float32", { scale: 100, special: true }), fc.integer({ min: -50, max: 50 }).map((k) => k + 0.5), fc.constant(Math.fround(0.49999997))), rtol: 0, atol: 0 },
  erf: { values: arbValue("float32", { scale: 5 }), rtol: 1e-6, atol: 1e-7 },
  erf_inv: { values: fc.double({ min: -0.999, max: 0.999, noNaN: true }).map(Math.fround), rtol: 2e-6, atol: 1e-7 }
}

describe("unary", () => {
  for (const [op, c] of Object.entries(UNARY_CASES)) {
    it(`unary ${op} matches the float64 reference within rtol ${c.rtol}`, () => {
      fc.assert(
        fc.property(arbShape({ maxRank: 3 }).chain((s) => arbTensorOf("float32", s, c.values)), (x) => {
          const out = unary(op as "exp", x)
          expect(out.dtype).toBe("float32")
          expect(out.shape).toEqual(x.shape)
          assertAllclose(out, Array.from(x.data, UNARY_REF[op]!).map(Math.fround), { rtol: c.rtol, atol: c.atol })
        }),
        RUNS
      )
    })
  }

  it("round rounds half away from zero and keeps 0.49999997 below one half", () => {
    const out = unary("round", f32([6], [0.5, -0.5, 1.5, -2.5, 0.49999997, -0]))
    expect(Array.from(out.data)).toEqual([1, -1, 2, -3, 0, -0])
  })

  it("erf_inv maps ±1 to ±inf and leaves NaN outside [-1, 1]", () => {
    const out = unary("erf_inv", f32([4], [1, -1, 1.5, NaN]))
    expect(Array.from(out.data)).toEqual([Infinity, -Infinity, NaN, NaN])
  })

  it("integer neg/abs/sign are exact within ±2^24 and uint32 neg wraps mod 2^32", () => {
    const x = of("int32", [4], [-16777215, 7, 0, -3])
    expect(Array.from(unary("neg", x).data)).toEqual([16777215, -7, 0, 3])
    expect(Array.from(unary("abs", x).data)).toEqual([16777215, 7, 0, 3])
    expect(Array.from(unary("sign", x).data)).toEqual([-1, 1, 0, -1])
    expect(Array.from(unary("neg", of("uint32", [2], [1, 5])).data)).toEqual([0xffffffff, 0xfffffffb])
  })

  it("not is exact bitwise on every int32/uint32 pattern and logical on bool", () => {
    fc.assert(
      fc.property(arbTensorOf("int32", [7], arbInt32Full("int32")), arbTensorOf("uint32", [5], arbInt32Full("uint32")), (a, b) => {
        expect(Array.from(unary("not", a).data)).toEqual(Array.from(a.data, (v) => ~v))
        expect(Array.from(unary("not", b).data)).toEqual(Array.from(b.data, (v) => ~v >>> 0))
      }),
      RUNS
    )
    expect(Array.from(unary("not", of("bool", [2], [0, 1])).data)).toEqual([1, 0])
  })
})

// Float binary tolerances: correctly rounded ops within half an ulp; rem within an ulp of |a|.
const FLOAT_BINARY: Record<string, { values?: fc.Arbitrary<number>; rtol: number; atol?: number; atolA?: number }> = {
  add: { rtol: 6e-8, atol: 1e-37 },
  sub: { rtol: 6e-8, atol: 1e-37 },
  mul: { rtol: 6e-8 },
  div: { values: fc.double({ min: 0.01, max: 8, noNaN: true }).map((v) => Math.fround(v)), rtol: 6e-8 },
  rem: { rtol: 0, atolA: 2.5e-7 },
  pow: { values: fc.double({ min: 0.05, max: 4, noNaN: true }).map(Math.fround), rtol: 2.5e-7 },
  max: { rtol: 0 },
  min: { rtol: 0 },
  atan2: { rtol: 2.5e-7, atol: 1e-12 }
}

describe("binary", () => {
  for (const [op, c] of Object.entries(FLOAT_BINARY)) {
    it(`binary ${op} on float32 broadcasts in-kernel and matches the float64 reference`, () => {
      fc.assert(
        fc.property(arbBroadcastablePair("float32", c.values), ([a, b]) => {
          const out = binary(op as "add", a, b)
          const want = mapBroadcast(binaryRef(op, false), ref(a), ref(b))
          expect(out.shape).toEqual(want.shape)
          const atol = c.atolA === undefined ? (c.atol ?? 0) : mapBroadcast((x) => c.atolA! * Math.abs(x), ref(a), ref(b)).data
          assertAllclose(out, want.data.map(Math.fround), { rtol: c.rtol, atol })
        }),
        RUNS
      )
    })
  }

  it("binary max/min propagate NaN and comparisons treat NaN as unordered", () => {
    const a = f32([3], [NaN, 1, 2])
    const b = f32([3], [1, NaN, 3])
    expect(Array.from(binary("max", a, b).data)).toEqual([NaN, NaN, 3])
    expect(Array.from(binary("min", a, b).data)).toEqual([NaN, NaN, 2])
    expect(Array.from(binary("ne", a, b).data)).toEqual([1, 1, 1])
    expect(Array.from(binary("eq", a, a).data)).toEqual([0, 1, 1])
  })

  it("float rem by a divisor so small the quotient overflows float32 is ±0, not Infinity (found by fast-check: rem(-4.8e-6, -1.4e-45))", () => {
    const a = f32([4], [-4.76837158203125e-6, 1, -3e38, Infinity])
    const b = f32([4], [-1.401298464324817e-45, 1e-44, 1e-40, 1e-44])
    const out = Array.from(binary("rem", a, b).data)
    expect(out.slice(0, 3)).toEqual([-0, 0, -0])
    expect(out[3]).toBeNaN()
  })

  it("float rem follows C fmod signs, including quotients that round across an integer", () => {
    const a = f32([5], [0.3, -7.5, 7.5, 5, 1e-3])
    const b = f32([5], [0.1, 2, -2, Infinity, 0])
    const want = [Math.fround(0.3) % Math.fround(0.1), -1.5, 1.5, 5, NaN]
    assertAllclose(binary("rem", a, b), want, { atol: 1e-8 })
  })

  const INT_OPS = ["add", "sub", "mul", "div", "rem", "max", "min", "eq", "ne", "lt", "le", "gt", "ge"] as const
  for (const dtype of ["int32", "uint32"] as const) {
    for (const op of INT_OPS) {
      it(`binary ${op} on ${dtype} is exact within ±2^24 (div truncates toward zero, x/0 = -1, x%0 = x)`, () => {
        fc.assert(
          fc.property(arbBroadcastablePair(dtype, arbValue(dtype, { intRange: 3000 })), ([a, b]) => {
            const out = binary(op, a, b)
            const wrap = (v: number): number => (dtype === "uint32" ? v >>> 0 : v | 0)
            const want = mapBroadcast(binaryRef(op, true), ref(a), ref(b)).data.map((v) => (out.dtype === "bool" ? v : wrap(v)))
            expect(Array.from(out.data)).toEqual(want)
          }),
          RUNS
        )
      })
    }
  }

  it("binary pow on int32 uses exact binary exponentiation and XLA's negative-exponent rule", () => {
    fc.assert(
      fc.property(arbTensorOf("int32", [6], fc.integer({ min: -6, max: 6 })), arbTensorOf("int32", [6], fc.integer({ min: -3, max: 8 })), (a, b) => {
        expect(Array.from(binary("pow", a, b).data)).toEqual(Array.from(a.data, (x, k) => binaryRef("pow", true)(x, b.data[k]!)))
      }),
      RUNS
    )
  })

  for (const dtype of ["int32", "uint32"] as const) {
    for (const op of ["eq", "ne", "lt", "le", "gt", "ge", "max", "min", "and", "or", "xor"] as const) {
      it(`binary ${op} on ${dtype} is bit-exact over the full 32-bit range`, () => {
        fc.assert(
          fc.property(arbBroadcastableShapes(3, 3).chain(([s1, s2]) => fc.tuple(arbTensorOf(dtype, s1, arbInt32Full(dtype)), arbTensorOf(dtype, s2, arbInt32Full(dtype)))), ([a, b]) => {
            const out = binary(op, a, b)
            const wrap = (v: number): number => (dtype === "uint32" ? v >>> 0 : v | 0)
            const want = mapBroadcast(binaryRef(op, true), ref(a), ref(b)).data.map((v) => (out.dtype === "bool" ? v : wrap(v)))
            expect(Array.from(out.data)).toEqual(want)
          }),
          { numRuns: 10 }
        )
      })
    }
    for (const op of ["shift_left", "shift_right_logical"] as const) {
      it(`binary ${op} on ${dtype} is bit-exact, giving 0 for amounts >= 32`, () => {
        fc.assert(
          fc.property(arbTensorOf(dtype, [9], arbInt32Full(dtype)), arbTensorOf(dtype, [9], fc.integer({ min: 0, max: 40 })), (a, b) => {
            const wrap = (v: number): number => (dtype === "uint32" ? v >>> 0 : v | 0)
            expect(Array.from(binary(op, a, b).data)).toEqual(Array.from(a.data, (x, k) => wrap(binaryRef(op, true)(x, b.data[k]!))))
          }),
          RUNS
        )
      })
    }
  }

  it("binary and/or/xor on bool are logical", () => {
    const a = of("bool", [4], [0, 0, 1, 1])
    const b = of("bool", [4], [0, 1, 0, 1])
    expect(Array.from(binary("and", a, b).data)).toEqual([0, 0, 0, 1])
    expect(Array.from(binary("or", a, b).data)).toEqual([0, 1, 1, 1])
    expect(Array.from(binary("xor", a, b).data)).toEqual([0, 1, 1, 0])
  })

  it("every binary op is covered by a test above", () => {
    expect(BINARY_OPS.filter((op) => !(op in FLOAT_BINARY) && !["and", "or", "xor", "shift_left", "shift_right_logical", "eq", "ne", "lt", "le", "gt", "ge"].includes(op))).toEqual([])
  })
})

describe("select", () => {
  it("select picks per element with broadcasting among pred and both branches", () => {
    fc.assert(
      fc.property(arbBroadcastableShapes(3, 3).chain(([s1, s2]) => fc.tuple(arbTensorOf("bool", s1), arbTensorOf("float32", s2), arbTensorOf("float32", s1))), ([p, t, f]) => {
        const out = select(p, t, f)
        const want = mapBroadcast((c, x, y) => (c ? x : y), ref(p), ref(t), ref(f))
        expect(out.shape).toEqual(want.shape)
        assertAllclose(out, want.data, {})
      }),
      RUNS
    )
  })

  it("select moves int32/uint32 branches bit-exactly", () => {
    const p = of("bool", [2, 1], [1, 0])
    const t = of("uint32", [3], [0xffffffff, 0x80000000, 1])
    const f = of("uint32", [], [0xdeadbeef])
    expect(Array.from(select(p, t, f).data)).toEqual([0xffffffff, 0x80000000, 1, 0xdeadbeef, 0xdeadbeef, 0xdeadbeef])
    const ti = of("int32", [2], [-2147483648, 2147483647])
    expect(Array.from(select(of("bool", [2], [1, 1]), ti, ti).data)).toEqual([-2147483648, 2147483647])
  })
})

describe("convert", () => {
  it("float32 -> int32/uint32 truncates toward zero and saturates, NaN -> 0", () => {
    const x = f32([7], [-1.7, 2.9, 1e10, -3e9, NaN, -0.5, 4294967040])
    expect(Array.from(convert(x, "int32").data)).toEqual([-1, 2, 2147483647, -2147483648, 0, 0, 2147483647])
    expect(Array.from(convert(x, "uint32").data)).toEqual([0, 2, 4294967295, 0, 0, 0, 4294967040])
  })

  it("int32 <-> uint32 keeps all 32 bits (wraps mod 2^32)", () => {
    fc.assert(
      fc.property(arbTensorOf("int32", [6], arbInt32Full("int32")), (x) => {
        const u = convert(x, "uint32")
        expect(Array.from(u.data)).toEqual(Array.from(x.data, (v) => v >>> 0))
        expect(Array.from(convert(u, "int32").data)).toEqual(Array.from(x.data))
      }),
      RUNS
    )
  })

  it("->bool is x != 0 (NaN is true) and bool -> number is 0/1", () => {
    expect(Array.from(convert(f32([4], [0, -0, NaN, 0.1]), "bool").data)).toEqual([0, 0, 1, 1])
    expect(Array.from(convert(of("uint32", [2], [0, 0x80000000]), "bool").data)).toEqual([0, 1])
    expect(Array.from(convert(of("bool", [2], [1, 0]), "float32").data)).toEqual([1, 0])
    expect(Array.from(convert(of("bool", [2], [1, 0]), "int32").data)).toEqual([1, 0])
  })

  it("int -> float32 rounds to nearest like a float32 cast", () => {
    fc.assert(
      fc.property(arbTensorOf("int32", [8], arbInt32Full("int32")), (x) => {
        expect(Array.from(convert(x, "float32").data)).toEqual(Array.from(x.data, Math.fround))
      }),
      RUNS
    )
  })

  it("convert of an empty array launches nothing and keeps the shape", () => {
    const x = hostArray("float32", [0, 3], new Float32Array(0))
    const out = convert(x, "int32")
    expect(out.shape).toEqual([0, 3])
    expect(sizeOf(out.shape)).toBe(0)
  })
})

/**
 * Special values as IEEE 754 and JAX define them, on every CPU configuration (the shader paths are
 * checked against webasm by the browser limits part: GPU built-ins are undefined at these inputs).
 * `pow` is C's (XLA's): 1 for a base of 1 with any exponent and for (-1)^±Inf.
 */
describe("IEEE special values on every CPU configuration", () => {
  const UNARY_CASES: ReadonlyArray<readonly ["log" | "log1p" | "tanh" | "exp" | "sign" | "acos" | "erf_inv" | "erf" | "logistic" | "cosh", number[], number[]]> = [
    ["log", [-1, 0, -0, Infinity, NaN, -Infinity], [NaN, -Infinity, -Infinity, Infinity, NaN, NaN]],
    ["log1p", [-2, -1, Infinity, NaN], [NaN, -Infinity, Infinity, NaN]],
    ["tanh", [100, -1e30, Infinity, -Infinity, NaN, 10, 9.5], [1, -1, 1, -1, NaN, 1, Math.fround(Math.tanh(9.5))]],
    ["exp", [NaN, -Infinity, Infinity], [NaN, 0, Infinity]],
    ["sign", [NaN, -0, -3, 2], [NaN, -0, -1, 1]],
    ["acos", [Infinity, 2, -1.5, NaN], [NaN, NaN, NaN, NaN]],
    ["erf_inv", [1, -1, 2, NaN, Infinity], [Infinity, -Infinity, NaN, NaN, NaN]],
    ["erf", [NaN, Infinity, -Infinity], [NaN, 1, -1]],
    ["logistic", [NaN, Infinity, -Infinity], [NaN, 1, 0]],
    ["cosh", [NaN, Infinity, -Infinity], [NaN, Infinity, Infinity]]
  ]
  const BINARY_CASES: ReadonlyArray<readonly ["pow" | "atan2" | "rem", Array<readonly [number, number, number]>]> = [
    ["pow", [[1, NaN, 1], [1, Infinity, 1], [-1, Infinity, 1], [-1, -Infinity, 1], [NaN, 0, 1], [-2, 3, -8], [-2, 2, 4], [-2, 0.5, NaN], [0, -1, Infinity], [-0, -1, -Infinity], [-0, -2, Infinity], [0, 2, 0], [2, -Infinity, 0], [0.5, -Infinity, Infinity], [-Infinity, 3, -Infinity], [-Infinity, 2, Infinity], [-Infinity, -1, -0], [NaN, 1, NaN], [2, NaN, NaN]]],
    ["atan2", [[-0, 1, -0], [0, 1, 0], [0, -1, Math.fround(Math.PI)], [-0, -1, -Math.fround(Math.PI)], [0, -0, Math.fround(Math.PI)], [0, 0, 0], [NaN, 1, NaN], [1, NaN, NaN]]],
    ["rem", [[0, Infinity, 0], [5, -Infinity, 5], [Infinity, 1, NaN], [5, 0, NaN], [NaN, 2, NaN]]]
  ]
  for (const mode of ["wasm-simd", "webasm", "cpu"] as const) {
    it(`${mode}: log, tanh, exp, sign, acos, erf, erf_inv, pow, atan2, rem at NaN, ±Inf, ±0 and out of their domain`, () => {
      const before = getBackend().mode
      setBackend(mode)
      try {
        for (const [op, xs, want] of UNARY_CASES) expect([op, Array.from(unary(op, f32([xs.length], xs)).data)]).toEqual([op, want])
        for (const [op, cases] of BINARY_CASES) {
          const got = Array.from(binary(op, f32([cases.length], cases.map((c) => c[0])), f32([cases.length], cases.map((c) => c[1]))).data)
          expect([op, got]).toEqual([op, cases.map((c) => c[2])])
        }
      } finally {
        setBackend(before)
      }
    })
  }
})
