/** jnp: broadcasting arithmetic and reductions against float64 references, promotion, and bad input. */
import { describe, expect, it } from "vitest"
import fc from "fast-check"
import { ArrayDataError, DTypeError, jax, jnp, ShapeError, type Tensor } from "../../src/index.js"
import { arbShape } from "../support/arbitraries.js"
import { expectClose, f64 } from "../support/values.js"

/** numpy broadcasting in float64 (test reference). */
const broadcast2 = (a: Float64Array, as: number[], b: Float64Array, bs: number[], f: (x: number, y: number) => number): [Float64Array, number[]] => {
  const rank = Math.max(as.length, bs.length)
  const pa = [...new Array(rank - as.length).fill(1), ...as]
  const pb = [...new Array(rank - bs.length).fill(1), ...bs]
  const out = pa.map((d, i) => Math.max(d, pb[i]!))
  const n = out.reduce((x, y) => x * y, 1)
  const res = new Float64Array(n)
  const idx = (shape: number[], coords: number[]) => coords.reduce((acc, c, i) => acc * shape[i]! + (shape[i] === 1 ? 0 : c), 0)
  for (let k = 0; k < n; k++) {
    const coords: number[] = []
    let r = k
    for (let i = rank - 1; i >= 0; i--) {
      coords[i] = r % out[i]!
      r = Math.floor(r / out[i]!)
    }
    res[k] = f(a[idx(pa, coords)]!, b[idx(pb, coords)]!)
  }
  return [res, out]
}

const arbPair = arbShape({ maxRank: 3, maxDim: 4 }).chain((s) =>
  fc.tuple(fc.constant(s), fc.array(fc.boolean(), { minLength: s.length, maxLength: s.length }), fc.integer({ min: 0, max: s.length }))
).map(([s, ones, drop]) => [s, s.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d))] as const)

const vals = (seed: number, shape: readonly number[]) => {
  const n = shape.reduce((a, b) => a * b, 1)
  const d = new Float32Array(n)
  let s = seed >>> 0
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    d[i] = (s / 2 ** 32) * 4 - 2
  }
  return jnp.array(d, { shape })
}

describe("jnp binary ops broadcast like numpy (float64 reference)", () => {
  const ops: Array<[string, (a: Tensor, b: Tensor) => Tensor, (x: number, y: number) => number, number]> = [
    ["add", jnp.add, (x, y) => x + y, 1e-6],
    ["subtract", jnp.subtract, (x, y) => x - y, 1e-6],
    ["multiply", jnp.multiply, (x, y) => x * y, 1e-6],
    ["maximum", jnp.maximum, Math.max, 0],
    ["minimum", jnp.minimum, Math.min, 0]
  ]
  it.each(ops)("%s", (_n, op, ref, atol) => {
    fc.assert(
      fc.property(arbPair, fc.boolean(), fc.integer({ min: 1, max: 1000 }), ([sa, sb], swap, seed) => {
        const [s1, s2] = swap ? [sb, sa] : [sa, sb]
        const a = vals(seed, s1)
        const b = vals(seed + 1, s2)
        const [expected, shape] = broadcast2(f64(a), [...s1], f64(b), [...s2], ref)
        const got = op(a, b)
        expect(got.shape).toEqual(shape)
        expectClose(got, expected, { atol, rtol: 1e-6 })
      }),
      { numRuns: 15 }
    )
  })
})

describe("jnp reductions", () => {
  it("sum/mean/max/min/prod over any axes match a float64 loop", () => {
    const x = vals(7, [2, 3, 4])
    const d = f64(x)
    const at = (i: number, j: number, k: number) => d[i * 12 + j * 4 + k]!
    const sum1 = Float64Array.from({ length: 8 }, (_, q) => [0, 1, 2].reduce((s, j) => s + at(Math.floor(q / 4), j, q % 4), 0))
    expectClose(jnp.sum(x, { axis: 1 }), sum1, { atol: 1e-5 })
    expectClose(jnp.mean(x, { axis: 1 }), sum1.map((v) => v / 3), { atol: 1e-5 })
    expectClose(jnp.max(x, { axis: [0, 2] }), Float64Array.from([0, 1, 2], (j) => Math.max(...[0, 1].flatMap((i) => [0, 1, 2, 3].map((k) => at(i, j, k))))))
    expectClose(jnp.min(x), [Math.min(...d)])
    expectClose(jnp.prod(jnp.slice(x, 0, 0)), [[0, 1, 2, 3].reduce((p, k) => p * at(0, 0, k), 1)], { atol: 1e-5 })
    expect(jnp.sum(x, { axis: -1, keepdims: true }).shape).toEqual([2, 3, 1])
    expect(jnp.argmax(jnp.array([[1, 5, 2], [7, 0, 7]]), { axis: 1 }).toArray()).toEqual([1, 0])
  })
})

describe("dtype promotion (JAX's rules for our pairs)", () => {
  const t = (dtype: "bool" | "int32" | "uint32" | "float32") => jnp.zeros([2], dtype)
  it.each([
    ["bool", "int32", "int32"],
    ["bool", "float32", "float32"],
    ["int32", "float32", "float32"],
    ["uint32", "float32", "float32"],
    ["bool", "uint32", "uint32"],
    ["int32", "int32", "int32"]
  ] as const)("%s + %s -> %s", (a, b, out) => {
    expect(jnp.add(t(a), t(b)).dtype).toBe(out)
    expect(jnp.add(t(b), t(a)).dtype).toBe(out)
  })
  it("int32 with uint32 has no rule and names the fix", () => {
    expect(() => jnp.add(t("int32"), t("uint32"))).toThrow(DTypeError)
    expect(() => jnp.add(t("int32"), t("uint32"))).toThrow(/astype/)
  })
  it("JS numbers are weakly typed", () => {
    expect(jnp.add(t("int32"), 1).dtype).toBe("int32")
    expect(jnp.add(t("int32"), 0.5).dtype).toBe("float32")
    expect(jnp.multiply(t("float32"), 2).dtype).toBe("float32")
    expect(jnp.divide(t("int32"), 2).dtype).toBe("float32")
  })
})

describe("bad input gives clear errors naming the op, the shapes and the fix", () => {
  it("matmul of mismatched shapes", () => {
    expect(() => jnp.matmul(jnp.ones([2, 3]), jnp.ones([4, 5]))).toThrow(ShapeError)
    expect(() => jnp.matmul(jnp.ones([2, 3]), jnp.ones([4, 5]))).toThrow("matmul: f32[2,3] @ f32[4,5]")
  })
  it("broadcasting mismatches", () => {
    expect(() => jnp.add(jnp.ones([2, 3]), jnp.ones([4]))).toThrow(/add: shapes f32\[2,3\] and f32\[4\] cannot be broadcast/)
  })
  it("bad axes", () => {
    expect(() => jnp.sum(jnp.ones([2, 3]), { axis: 2 })).toThrow(/axis 2 is out of bounds for an array of rank 2/)
  })
  it("reshape to the wrong size", () => {
    expect(() => jnp.reshape(jnp.ones([2, 3]), [4, 2])).toThrow(/cannot reshape f32\[2,3\]/)
  })
  it("malformed jnp.array data", () => {
    expect(() => jnp.array([[1, 2], [3]])).toThrow(ArrayDataError)
    expect(() => jnp.array([[1, 2], [3]])).toThrow(/ragged/)
    expect(() => jnp.array([1, "x"] as never)).toThrow(/only numbers and booleans/)
    expect(() => jnp.array([1.5], { dtype: "int32" })).toThrow(/not a valid int32/)
    expect(() => jnp.array(new Float32Array(5), { shape: [2, 2] })).toThrow(/do not fill shape/)
  })
  it("non-integer indices", () => {
    expect(() => jnp.take(jnp.ones([3]), jnp.array([0.5]))).toThrow(/indices must be int32/)
  })
  it("an out-of-range index is an error, not a wrong number", () => {
    expect(() => jnp.take(jnp.ones([3]), jnp.array([3], { dtype: "int32" }))).toThrow(/out of range|IndexOutOfRange/i)
  })
})

describe("tensors are immutable and ops are pure", () => {
  it("inputs are never mutated; the same call twice gives identical bits", () => {
    const x = vals(3, [4, 5])
    const before = f64(x)
    const a = jax.nn.softmax(x)
    const b = jax.nn.softmax(x)
    expect(f64(x)).toEqual(before)
    expect(f64(a)).toEqual(f64(b))
    const copy = x.toTypedArray()
    copy[0] = 99
    expect(f64(x)).toEqual(before)
  })
})
