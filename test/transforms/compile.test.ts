/**
 * The compiling `jax.jit`: a fused program computes exactly what eager evaluation computes (bit
 * for bit, on the WebAssembly executor and on the gpu.js one), fuses what it claims to fuse, plans
 * its buffers, and allocates no new WebAssembly memory after its first call.
 */
import fc from "fast-check"
import { afterAll, describe, expect, it } from "vitest"
import { type Tensor, jax, jnp } from "../../src/index.js"
import * as K from "../../src/kernels/index.js"
import { compileWasm } from "../../src/kernels/wasm/program.js"
import { lowerJaxpr } from "../../src/transforms/compile/lower.js"
import { arbBroadcastableShapes, arbTensorOf, arbValue } from "../support/arbitraries.js"
import { assertAllclose, assertBitsEqual } from "../support/assertAllclose.js"

afterAll(() => K.setBackend(K.availableModes()[0]!))

type Op = (a: Tensor, b: Tensor) => Tensor
const UNARY: ReadonlyArray<(x: Tensor) => Tensor> = [jnp.exp, jnp.tanh, jnp.negative, jnp.abs, jax.nn.relu, jax.nn.sigmoid, (x) => jnp.sqrt(jnp.abs(x)), (x) => jnp.log(jnp.add(jnp.abs(x), 1))]
const BINARY: ReadonlyArray<Op> = [jnp.add, jnp.subtract, jnp.multiply, jnp.maximum, jnp.minimum, (a, b) => jnp.where(jnp.greater(a, b), a, jnp.multiply(b, 0.5))]

/** A random straight-line program over two broadcastable inputs: unary and binary steps, a reduction at the end. */
const arbProgram = fc.record({
  steps: fc.array(fc.tuple(fc.boolean(), fc.nat(20), fc.nat(20), fc.nat(20)), { minLength: 1, maxLength: 10 }),
  reduce: fc.constantFrom("none", "sum", "max", "sum-last")
})

const build = (spec: { steps: Array<[boolean, number, number, number]>; reduce: string }) => (a: Tensor, b: Tensor): Tensor => {
  const vals: Tensor[] = [a, b]
  for (const [unary, i, j, k] of spec.steps) {
    const x = vals[i % vals.length]!
    const y = vals[j % vals.length]!
    vals.push(unary ? UNARY[k % UNARY.length]!(x) : BINARY[k % BINARY.length]!(x, y))
  }
  const out = jnp.add(vals[vals.length - 1]!, vals[vals.length - 2]!)
  if (spec.reduce === "sum") return jnp.sum(out)
  if (spec.reduce === "max") return out.ndim > 0 ? jnp.max(out, { axis: 0 }) : out
  if (spec.reduce === "sum-last") return out.ndim > 0 ? jnp.sum(out, { axis: -1 }) : out
  return out
}

const arbCase = fc.tuple(
  arbProgram,
  arbBroadcastableShapes(3, 5).filter(([s1, s2]) => s1.length > 0 || s2.length > 0).chain(([s1, s2]) => fc.tuple(arbTensorOf("float32", s1, arbValue("float32", { scale: 3 })), arbTensorOf("float32", s2, arbValue("float32", { scale: 3 }))))
)

describe.each(["wasm-simd", "webasm"] as const)("jit on %s", (mode) => {
  it("a fused program equals eager evaluation: bit for bit elementwise, within summation-order rounding for sums", () => {
    K.setBackend(mode)
    fc.assert(
      fc.property(arbCase, ([spec, [ha, hb]]) => {
        const f = build(spec)
        const a = jnp.array(ha.data as Float32Array, { shape: ha.shape })
        const b = jnp.array(hb.data as Float32Array, { shape: hb.shape })
        const eager = f(a, b)
        const fused = jax.jit(f)(a, b)
        expect(fused.shape).toEqual(eager.shape)
        // a fused sum reads its terms through their broadcast views, so it may add them in another order
        if (spec.reduce === "sum" || spec.reduce === "sum-last") assertAllclose(fused.toTypedArray(), eager.toTypedArray(), { rtol: 1e-5, atol: 1e-5 })
        else assertBitsEqual(fused.toTypedArray() as Float32Array, Array.from(eager.toTypedArray()))
      }),
      { numRuns: mode === "webasm" ? 25 : 80 }
    )
  })

  it("integer and boolean values pass through a program exactly (one-hot of int32 labels, int arithmetic between fused steps)", () => {
    K.setBackend(mode)
    const labels = jnp.array(Int32Array.from([3, 0, 9, 16777217 % 10, 7]), { shape: [5] })
    const big = jnp.array(Int32Array.from([2 ** 30, -(2 ** 31), 5, 16777217, -1]), { shape: [5] })
    const f = (y: Tensor, z: Tensor) => [jax.nn.oneHot(y, 10), jnp.equal(z, z), jnp.add(y, 1), jnp.maximum(z, 3)] as const
    const eager = f(labels, big)
    const fused = jax.jit(f)(labels, big)
    eager.forEach((e, k) => {
      expect(fused[k]!.dtype).toBe(e.dtype)
      expect(fused[k]!.toArray()).toEqual(e.toArray())
    })
  })
})

describe("lowering", () => {
  const adam = (p: Tensor, m: Tensor, v: Tensor, g: Tensor, count: Tensor) => {
    const m2 = jnp.add(jnp.multiply(0.9, m), jnp.multiply(0.1, g))
    const v2 = jnp.add(jnp.multiply(0.999, v), jnp.multiply(0.001, jnp.multiply(g, g)))
    const t = jnp.astype(jnp.add(count, 1), "float32")
    const mh = jnp.divide(m2, jnp.subtract(1, jnp.power(0.9, t)))
    const vh = jnp.divide(v2, jnp.subtract(1, jnp.power(0.999, t)))
    return [jnp.subtract(p, jnp.multiply(1e-3, jnp.divide(mh, jnp.add(jnp.sqrt(vh), 1e-8)))), m2, v2] as const
  }
  const args = () => {
    const x = jnp.ones([30, 20])
    return [x, x, x, x, jnp.zeros([], "int32")] as const
  }

  it("an adam update of a weight matrix is one loop writing three arrays (plus the scalar bias corrections)", () => {
    const program = lowerJaxpr(jax.jit(adam).lower(...args()))
    const loops = program.steps.filter((s) => s.kind === "loop")
    const big = loops.filter((s) => s.kind === "loop" && s.shape.length === 2)
    expect(big).toHaveLength(1)
    expect(big[0]!.kind === "loop" && big[0]!.outs.length).toBe(3)
    expect(program.steps.filter((s) => s.kind === "host").map((s) => (s.kind === "host" ? s.name : ""))).toEqual(["add"])
  })

  it("softmax's exp(x - max) is evaluated inside its sum and never written", () => {
    const program = lowerJaxpr(jax.jit((x: Tensor) => jnp.log(jnp.sum(jnp.exp(jnp.subtract(x, jnp.max(x, { axis: -1, keepdims: true }))), { axis: -1 }))).lower(jnp.ones([4, 7])))
    expect(program.steps.map((s) => s.kind)).toEqual(["reduce", "reduce", "loop"])
  })

  it("a dot whose result is only transposed runs as one dot with swapped operands; unused values are dropped", () => {
    const f = (a: Tensor, b: Tensor) => {
      jnp.sum(jnp.exp(a)) // dead
      return jnp.transpose(jnp.matmul(a, b))
    }
    const program = lowerJaxpr(jax.jit(f).lower(jnp.ones([3, 4]), jnp.ones([4, 5])))
    expect(program.steps.map((s) => s.kind)).toEqual(["dot"])
    const eager = f(jnp.reshape(jnp.arange(12), [3, 4]), jnp.reshape(jnp.arange(20), [4, 5]))
    const fused = jax.jit(f)(jnp.reshape(jnp.arange(12), [3, 4]), jnp.reshape(jnp.arange(20), [4, 5]))
    expect(fused.toArray()).toEqual(eager.toArray())
  })

  it.each(["wasm-simd", "webasm"] as const)("a dense layer's scale, bias and relu run in the dot's epilogue on %s, bit-identical to the separate ops", (mode) => {
    K.setBackend(mode)
    const layer = (x: Tensor, w: Tensor, b: Tensor) => jax.nn.relu(jnp.add(jnp.multiply(jnp.matmul(x, w), 0.5), b))
    const xs = [jnp.reshape(jnp.sin(jnp.arange(37 * 300)), [37, 300]), jnp.reshape(jnp.cos(jnp.arange(300 * 29)), [300, 29]), jnp.sin(jnp.arange(29))] as const
    const program = lowerJaxpr(jax.jit(layer).lower(...xs))
    expect(program.steps.map((s) => s.kind)).toEqual(["dot"])
    const dot = program.steps[0]!
    expect(dot.kind === "dot" && dot.epilogue).toMatchObject({ relu: true, scale: 0.5 })
    assertBitsEqual(jax.jit(layer)(...xs).toTypedArray() as Float32Array, Array.from(layer(...xs).toTypedArray()))
  })

  it("the buffer plan reuses dead buffers, and a second call grows no WebAssembly memory", () => {
    const layer = (h: Tensor, w: Tensor) => jax.nn.relu(jnp.matmul(h, w))
    const f = (x: Tensor, w1: Tensor, w2: Tensor, w3: Tensor, w4: Tensor) => jnp.matmul(layer(layer(layer(x, w1), w2), w3), w4)
    const xs = [jnp.ones([64, 128]), jnp.ones([128, 128]), jnp.ones([128, 128]), jnp.ones([128, 128]), jnp.ones([128, 10])] as const
    const exe = compileWasm(lowerJaxpr(jax.jit(f).lower(...xs)), () => undefined)
    expect(exe.stats.arenaBytes).toBeLessThan(exe.stats.unplannedBytes)
    K.setBackend("wasm-simd")
    const jf = jax.jit(f)
    jf(...xs)
    const before = K.wasmStats()
    for (let i = 0; i < 5; i++) jf(...xs)
    expect(K.wasmStats().grows).toBe(before.grows)
    expect(K.wasmStats().modulesCompiled).toBe(before.modulesCompiled)
  })

  it("shape errors surface at trace time with the same typed error as eager code", () => {
    const f = (a: Tensor, b: Tensor) => jnp.add(a, b)
    let eager: unknown
    try {
      f(jnp.ones([2, 3]), jnp.ones([4]))
    } catch (e) {
      eager = e
    }
    let jitted: unknown
    try {
      jax.jit(f)(jnp.ones([2, 3]), jnp.ones([4]))
    } catch (e) {
      jitted = e
    }
    expect((jitted as { _tag?: string })._tag).toBe((eager as { _tag?: string })._tag)
    expect((jitted as Error).message).toBe((eager as Error).message)
  })
})
