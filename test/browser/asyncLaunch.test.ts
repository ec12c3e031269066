/**
 * The async launch path (`runAsync`) in Node, with gpu.js kernels made Promise-returning the
 * way webgpu kernels are: results equal the synchronous ones, each kernel runs once (a pass per
 * launch, replayed from memory), concurrent calls do not interleave, and a Promise reaching the
 * synchronous API is a clear BackendUnavailableError. The real webgpu path runs in
 * `npm run test:browser`.
 */
import gpujs from "gpu.js"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import * as K from "../../src/kernels/index.js"
import { runAsync } from "../../src/kernels/asyncLaunch.js"
import { OP_TABLE, flat } from "./page/opTable.js"

type CreateKernel = (...a: unknown[]) => ((...args: unknown[]) => unknown) & Record<string, unknown>
const proto = (gpujs as unknown as { GPU: { prototype: { createKernel: CreateKernel } } }).GPU.prototype
const original = proto.createKernel
let calls = 0

const makeAsync = (): void => {
  proto.createKernel = function (this: unknown, ...a: unknown[]) {
    const real = original.apply(this, a)
    const wrapped = Object.assign((...args: unknown[]) => {
      calls++
      const out = real(...args)
      return new Promise((resolve) => setTimeout(() => resolve(out), 0))
    }, { kernel: real["kernel"], destroy: real["destroy"] })
    return wrapped as never
  }
  K.setBackend("webasm") // clears the kernel cache so new kernels are async
}

describe("runAsync drives Promise-returning kernels through the synchronous kernel ops", () => {
  beforeEach(() => {
    calls = 0
  })
  afterEach(() => {
    proto.createKernel = original
    K.setBackend("webasm")
  })

  it("runAsync(op) equals the synchronous op for every row of the op table", async () => {
    K.setBackend("webasm") // the synchronous reference runs the same gpu.js kernels
    const expected = OP_TABLE.map((c) => flat(c.run()))
    makeAsync()
    for (const [i, c] of OP_TABLE.entries()) {
      expect(await runAsync(() => flat(c.run()))).toEqual(expected[i])
    }
  })

  it("runs each kernel once: n launches take n kernel calls and n + 1 passes", async () => {
    makeAsync()
    const x = K.hostArray("float32", [3], new Float32Array([1, 2, 3]))
    let passes = 0
    const y = await runAsync(() => {
      passes++
      return K.binary("add", K.unary("exp", x), K.unary("neg", x))
    })
    expect(calls).toBe(3)
    expect(passes).toBe(4)
    expect(Array.from(y.data)).toEqual(Array.from(x.data, (v) => Math.fround(Math.fround(Math.exp(v)) - v)))
  })

  it("concurrent runAsync calls are queued and each gets its own result", async () => {
    makeAsync()
    const xs = [1, 2, 3].map((v) => K.hostArray("float32", [2], new Float32Array([v, -v])))
    const outs = await Promise.all(xs.map((x) => runAsync(() => K.unary("abs", K.unary("neg", x)))))
    expect(outs.map((o) => Array.from(o.data))).toEqual([[1, 1], [2, 2], [3, 3]])
  })

  it("a Promise-returning kernel outside runAsync throws BackendUnavailableError naming runAsync", () => {
    makeAsync()
    const x = K.hostArray("float32", [1], new Float32Array([1]))
    expect(() => K.unary("exp", x)).toThrow(/runAsync/)
    try {
      K.unary("exp", x)
    } catch (e) {
      expect((e as K.BackendUnavailableError)._tag).toBe("BackendUnavailableError")
    }
  })

  it("errors thrown by the computation propagate, and with synchronous kernels f runs once", async () => {
    const x = K.hostArray("float32", [1], new Float32Array([4]))
    let passes = 0
    expect(Array.from((await runAsync(() => (passes++, K.unary("sqrt", x)))).data)).toEqual([2])
    expect(passes).toBe(1)
    await expect(runAsync(() => K.transpose(x, [1, 0]))).rejects.toThrow(/transpose/)
  })
})
