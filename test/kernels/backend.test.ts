import { execFileSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { afterAll, describe, expect, it } from "vitest"
import {
  BackendUnavailableError,
  KernelLimitError,
  availableModes,
  binary,
  full,
  getBackend,
  hostArray,
  implementations,
  kernelCacheStats,
  kernelLaunches,
  reshape,
  setBackend,
  unary
} from "../../src/kernels/index.js"
import { KernelCache } from "../../src/kernels/KernelCache.js"

const x = hostArray("float32", [3], new Float32Array([1, 2, 3]))
const CLASS = { webasm: "WebAssemblyKernel", cpu: "CPUKernel" } as const

const thrown = (f: () => unknown): unknown => {
  try {
    f()
  } catch (e) {
    return e
  }
  throw new Error("expected a throw")
}

describe("backend", () => {
  afterAll(() => setBackend("webasm"))

  it("availableModes lists webasm and cpu in Node and never webgpu (its kernels are async)", () => {
    const modes = availableModes()
    expect(modes).toContain("webasm")
    expect(modes).toContain("cpu")
    expect(modes).not.toContain("webgpu")
  })

  it("setBackend(mode) runs kernels of that mode's class and getBackend reports it", () => {
    for (const mode of ["webasm", "cpu"] as const) {
      setBackend(mode)
      unary("exp", x)
      expect(getBackend()).toEqual({ mode, lastKernelClass: CLASS[mode] })
    }
  })

  it("setBackend('webgpu') throws BackendUnavailableError explaining the synchronous API", () => {
    const e = thrown(() => setBackend("webgpu"))
    expect(e).toBeInstanceOf(BackendUnavailableError)
    expect((e as BackendUnavailableError)._tag).toBe("BackendUnavailableError")
    expect((e as BackendUnavailableError).message).toMatch(/Promise/)
    expect((e as BackendUnavailableError).message).toMatch(/synchronous/)
  })

  it("an unavailable or unknown mode throws BackendUnavailableError naming the available modes, and keeps the current backend", () => {
    setBackend("cpu")
    for (const mode of ["headlessgl", "webgl2", "bogus"]) {
      const e = thrown(() => setBackend(mode as "webgl2")) as BackendUnavailableError
      expect(e._tag).toBe("BackendUnavailableError")
      expect(e.mode).toBe(mode)
      expect(e.message).toContain("webasm, cpu")
    }
    expect(getBackend().mode).toBe("cpu")
  })

  it("kernelLaunches counts every kernel launch and reshape launches none", () => {
    const before = kernelLaunches()
    unary("neg", x)
    binary("add", x, x)
    expect(kernelLaunches()).toBe(before + 2)
    reshape(x, [3, 1])
    expect(kernelLaunches()).toBe(before + 2)
  })

  it("the kernel cache hits on a repeated call and setBackend clears it", () => {
    setBackend("webasm")
    expect(kernelCacheStats()).toEqual({ size: 0, capacity: 256, hits: 0, misses: 0 })
    unary("tanh", x)
    unary("tanh", x)
    const s = kernelCacheStats()
    expect(s.misses).toBe(1)
    expect(s.hits).toBe(1)
    expect(s.size).toBe(1)
  })

  it("KernelCache evicts the least recently used kernel and destroys it", () => {
    const destroyed: string[] = []
    const mk = (name: string) => ({ destroy: () => destroyed.push(name) })
    const c = new KernelCache<{ destroy: () => unknown }>(2)
    c.getOrCreate("a", () => mk("a"))
    c.getOrCreate("b", () => mk("b"))
    c.getOrCreate("a", () => mk("a2"))
    c.getOrCreate("c", () => mk("c"))
    expect(destroyed).toEqual(["b"])
    expect(c.stats()).toEqual({ size: 2, capacity: 2, hits: 1, misses: 3 })
    c.clear()
    expect(destroyed.sort()).toEqual(["a", "b", "c"])
  })

  it("KernelCache also evicts when the buffers its kernels pin exceed the byte budget", () => {
    const destroyed: string[] = []
    const c = new KernelCache<{ destroy: () => unknown }>(10, 100)
    for (const k of ["a", "b", "c"]) c.getOrCreate(k, () => ({ destroy: () => destroyed.push(k) }), 40)
    expect(destroyed).toEqual(["a"])
    expect(c.stats().size).toBe(2)
  })

  it("a result above 2^24 elements throws KernelLimitError naming the op, shape, limit and fix", () => {
    const a = hostArray("float32", [4097, 1], new Float32Array(4097))
    const b = hostArray("float32", [1, 4097], new Float32Array(4097))
    const e = thrown(() => binary("mul", a, b)) as KernelLimitError
    expect(e._tag).toBe("KernelLimitError")
    expect(e.limit).toBe(16777216)
    expect(e.shape).toBe("f32[4097,4097]")
    expect(e.message).toContain("mul")
    expect(e.message).toContain("Fix:")
    expect(() => full("float32", [16777217], 0)).toThrow(KernelLimitError)
  })

  it("every op has its gpu.js implementation last (the definition and the fallback); wasm-simd kernels come first", () => {
    for (const op of ["unary", "binary", "select", "convert", "reduce", "dotGeneral", "transpose", "conv", "gather", "threefry2x32"] as const) {
      expect(implementations(op).at(-1)).toBe("gpu.js")
    }
    expect(implementations("dotGeneral")).toEqual(["wasm-simd", "gpu.js"])
    expect(implementations("binary")).toEqual(["wasm-simd", "gpu.js"])
  })
})

describe("default backend", () => {
  const probe = fileURLToPath(new URL("./fixtures/printBackend.ts", import.meta.url))
  const run = (env: Record<string, string | undefined>): string =>
    execFileSync(process.execPath, ["--import", "tsx", probe], { env: { ...process.env, ...env }, encoding: "utf8" }).trim()

  it("the default mode is wasm-simd, TANKA_BACKEND selects another (webasm: pure gpu.js), and a bad value is a clear BackendUnavailableError", () => {
    expect(run({ TANKA_BACKEND: "" })).toBe("wasm-simd")
    expect(run({ TANKA_BACKEND: "webasm" })).toBe("webasm")
    expect(run({ TANKA_BACKEND: "cpu" })).toBe("cpu")
    const bad = run({ TANKA_BACKEND: "gpu" })
    expect(bad).toContain("BackendUnavailableError")
    expect(bad).toContain('TANKA_BACKEND="gpu"')
  })
})
