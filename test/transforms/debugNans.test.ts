/**
 * `jax.config` debugNans / debugInfs (JAX: `jax_debug_nans`, `jax_debug_infs`): the first
 * primitive whose concrete result holds a NaN (an Inf) raises a FloatingPointError naming it and
 * its avals; under `jit` the compiled output is checked and the op-by-op re-run names the inner
 * primitive; under `vmap` and `grad` the concrete evaluation underneath is what is checked. Off,
 * the same programs return NaN and Inf silently.
 */
import { afterEach, describe, expect, it } from "vitest"
import { ConfigError, FloatingPointError, type Tensor, jax, jnp } from "../../src/index.js"
import * as K from "../../src/kernels/index.js"
import { thrown } from "../support/thrown.js"

const initialMode = K.getBackend().mode
afterEach(() => {
  jax.config.update("debugNans", false)
  jax.config.update("debugInfs", false)
  K.setBackend(initialMode)
})

/** The FloatingPointError `f` throws (fails the test if it throws nothing, or something else). */
const fpe = (f: () => unknown): FloatingPointError => thrown(f, FloatingPointError)

const hasNan = (t: Tensor) => Array.from(t.toTypedArray() as Float32Array).some(Number.isNaN)

describe("jax.config", () => {
  it("debugNans and debugInfs are off by default, set by update or the setters, read back by read and the getters", () => {
    expect(jax.config.read("debugNans")).toBe(false)
    expect(jax.config.debugInfs).toBe(false)
    jax.setDebugNans(true)
    expect(jax.config.read("jax_debug_nans")).toBe(true)
    expect(jax.config.debugNans).toBe(true)
    jax.config.update("jax_debug_infs", true)
    expect(jax.config.read("debugInfs")).toBe(true)
    jax.setDebugInfs(false)
    expect(jax.config.debugInfs).toBe(false)
  })

  it("an unknown option or a non-boolean value is a ConfigError naming the options", () => {
    // @ts-expect-error tanka has no x64 option
    expect(() => jax.config.update("jax_enable_x64", true)).toThrow(ConfigError)
    // @ts-expect-error debugNans takes a boolean
    expect(() => jax.config.update("debugNans", 1)).toThrow(/takes true or false/)
    // @ts-expect-error an unknown option
    expect(() => jax.config.read("debugNan")).toThrow(/debugNans, debugInfs/)
  })
})

describe("debugNans off (the default)", () => {
  it("the same programs return NaN and Inf without an error", () => {
    expect(hasNan(jnp.log(jnp.array([-1, 1])))).toBe(true)
    expect(hasNan(jax.jit((x: Tensor) => jnp.divide(x, x))(jnp.zeros([2])))).toBe(true)
    expect(jnp.exp(jnp.array([1000])).item()).toBe(Infinity)
  })
})

describe("debugNans eagerly", () => {
  it("log of a negative number raises FloatingPointError naming log, its avals and the count", () => {
    jax.config.update("debugNans", true)
    const e = fpe(() => jnp.log(jnp.array([-1, 2, 3])))
    expect(e._tag).toBe("FloatingPointError")
    expect(e.primitive).toBe("log")
    expect(e.kind).toBe("nan")
    expect(e.inputs.map(String)).toEqual(["f32[3]"])
    expect(String(e.output)).toBe("f32[3]")
    expect(e.count).toBe(1)
    expect(e.modulePath).toBeNull()
    expect(e.deoptimized).toBe(false)
    expect(e.message).toMatch(/^invalid value \(nan\) encountered in log: log\(f32\[3\]\) -> f32\[3\] holds 1 NaN of 3 elements/)
    expect(e.message).toContain('jax.config.update("debugNans", false)')
  })

  it("0/0 raises in div; sqrt(-x) raises in sqrt, not in the neg before it", () => {
    jax.setDebugNans(true)
    expect(fpe(() => jnp.divide(jnp.zeros([2, 2]), jnp.zeros([2, 2]))).primitive).toBe("div")
    const e = fpe(() => jnp.sqrt(jnp.negative(jnp.array([1, 4]))))
    expect(e.primitive).toBe("sqrt")
    expect(e.count).toBe(2)
    expect(e.inputCounts).toEqual([{ nan: 0, inf: 0 }])
  })

  it("finite results and NaN-free programs run unchanged with the flag on", () => {
    jax.setDebugNans(true)
    const x = jnp.array([1, 2, 3])
    expect(jnp.sum(jnp.log(x)).item()).toBeCloseTo(Math.log(6), 5)
    expect(jax.jit((a: Tensor) => jnp.tanh(jnp.multiply(a, 2)))(x).shape).toEqual([3])
  })

  it("debugNans lets Inf through; debugInfs raises on exp(1000) and on log(0)", () => {
    jax.setDebugNans(true)
    expect(jnp.exp(jnp.array([1000])).item()).toBe(Infinity)
    jax.setDebugInfs(true)
    const e = fpe(() => jnp.exp(jnp.array([1, 1000])))
    expect(e.primitive).toBe("exp")
    expect(e.kind).toBe("inf")
    expect(e.message).toMatch(/^invalid value \(inf\) encountered in exp/)
    expect(e.message).toContain('jax.config.update("debugInfs", false)')
    jax.setDebugNans(false)
    expect(fpe(() => jnp.log(jnp.zeros([1]))).kind).toBe("inf")
  })

  it("debugInfs alone lets NaN through", () => {
    jax.setDebugInfs(true)
    expect(hasNan(jnp.sqrt(jnp.array([-1])))).toBe(true)
  })

  it("an input that already holds NaN is reported at the first primitive that reads it (as JAX does), and the message says it came from outside", () => {
    jax.setDebugNans(true)
    const e = fpe(() => jnp.add(jnp.array([NaN, 1]), 1))
    expect(e.primitive).toBe("add")
    expect(e.inputCounts[0]).toEqual({ nan: 1, inf: 0 })
    expect(e.message).toContain("an input already held NaN")
  })

  it("integer and boolean results are not checked (they cannot hold NaN)", () => {
    jax.setDebugNans(true)
    expect(jnp.isnan(jnp.array([NaN])).toArray()).toEqual([true])
  })
})

describe.each(["wasm-simd", "webasm"] as const)("debugNans under jax.jit on %s", (mode) => {
  it("names the inner primitive that produced the NaN (re-run op by op), not jit", () => {
    K.setBackend(mode)
    jax.setDebugNans(true)
    const f = jax.jit((x: Tensor) => jnp.multiply(jnp.log(jnp.subtract(x, 2)), 3))
    const e = fpe(() => f(jnp.array([1, 3, 4])))
    expect(e.primitive).toBe("log")
    expect(e.deoptimized).toBe(true)
    expect(e.message).toContain("re-running it op by op found this primitive")
    // a finite call of the same function takes the compiled path and succeeds
    expect(f(jnp.array([3, 4, 5])).shape).toEqual([3])
  })

  it("a jaxpr cached while the flag was off is traced again and still names the primitive", () => {
    K.setBackend(mode)
    const f = jax.jit((x: Tensor) => jnp.sqrt(jnp.subtract(x, 1)))
    expect(hasNan(f(jnp.array([0, 2])))).toBe(true)
    jax.setDebugNans(true)
    expect(fpe(() => f(jnp.array([0, 2]))).primitive).toBe("sqrt")
    expect(f.traceCount).toBe(1)
  })

  it("with debugInfs, an overflowing exp inside jit names exp", () => {
    K.setBackend(mode)
    jax.setDebugInfs(true)
    const e = fpe(() => jax.jit((x: Tensor) => jnp.sum(jnp.exp(x)))(jnp.array([1, 1000])))
    expect(e.primitive).toBe("exp")
    expect(e.kind).toBe("inf")
  })

  it("a NaN argument returned unchanged raises naming jit and the argument, as JAX's de-optimized re-run does", () => {
    K.setBackend(mode)
    jax.setDebugNans(true)
    const e = fpe(() => jax.jit((x: Tensor, y: Tensor) => [jnp.add(y, 1), x])(jnp.array([NaN]), jnp.array([1])))
    expect(e.primitive).toBe("jit")
    expect(e.outputIndex).toBe(1)
    expect(e.message).toContain("argument 0 already held NaN")
  })
})

describe("debugNans under vmap and grad", () => {
  it("under vmap the batched evaluation is checked: the error names the primitive and the batched avals", () => {
    jax.setDebugNans(true)
    const e = fpe(() => jax.vmap((x: Tensor) => jnp.log(jnp.sum(x)))(jnp.array([[1, 2], [-3, -4]])))
    expect(e.primitive).toBe("log")
    expect(e.inputs.map(String)).toEqual(["f32[2]"])
  })

  it("a NaN arising in the backward pass names the primitive that made it (0 · Inf in sqrt's derivative at 0)", () => {
    const f = (x: Tensor) => jnp.sum(jnp.multiply(jnp.sqrt(x), 0))
    // off: the forward value is finite and the gradient is NaN
    expect(jax.valueAndGrad(f)(jnp.array([0, 1]))[0].item()).toBe(0)
    expect(hasNan(jax.grad(f)(jnp.array([0, 1])))).toBe(true)
    jax.setDebugNans(true)
    const e = fpe(() => jax.grad(f)(jnp.array([0, 1])))
    expect(e.primitive).toBe("mul")
    expect(e.inputCounts.some((c) => c.inf === 1)).toBe(true)
  })

  it("with debugInfs the same gradient stops earlier, at the Inf in sqrt's derivative", () => {
    jax.setDebugInfs(true)
    expect(fpe(() => jax.grad((x: Tensor) => jnp.sum(jnp.sqrt(x)))(jnp.array([0, 1]))).primitive).toBe("div")
  })

  it("grad of a jitted function re-runs its equations under the trace and names the primitive", () => {
    jax.setDebugNans(true)
    const e = fpe(() => jax.grad(jax.jit((x: Tensor) => jnp.sum(jnp.log(x))))(jnp.array([-1, 1])))
    expect(e.primitive).toBe("log")
  })

  it("inside lax.scan the body's primitive is named", () => {
    jax.setDebugNans(true)
    const e = fpe(() => jax.lax.scan((c: Tensor, x: Tensor) => [jnp.add(c, jnp.log(x)), c] as const, jnp.zeros([]), jnp.array([1, 2, -1])))
    expect(e.primitive).toBe("log")
  })
})
