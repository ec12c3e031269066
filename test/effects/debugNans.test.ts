/**
 * `jax.config` debugNans / debugInfs inside `hk.transform`: the FloatingPointError names the
 * Haiku module path the primitive ran in (`mlp/~/linear_1`), eagerly, under `jax.jit(apply)`
 * (whose op-by-op re-run carries the paths recorded when it was traced), under `jax.vmap(apply)`,
 * and in a backward pass (the linear equations remember the module their JVP ran in).
 */
import { Effect } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { FloatingPointError, hk, jax, jnp, optax, type Tensor } from "../../src/index.js"
import { run } from "../support/effects.js"
import { thrown } from "../support/thrown.js"

afterEach(() => {
  jax.config.update("debugNans", false)
  jax.config.update("debugInfs", false)
})

/** The FloatingPointError `f` throws (fails the test if it throws nothing, or something else). */
const fpe = (f: () => unknown): FloatingPointError => thrown(f, FloatingPointError)

const net = hk.withoutApplyRng(hk.transform((x: Tensor) => Effect.flatMap(hk.nets.MLP([2, 1]), (mlp) => mlp(x))))
const x = jnp.ones([1, 2])

/**
 * Parameters under which linear_0 outputs 2 everywhere (relu keeps it) and linear_1's products are
 * ±6e38: float32 overflows them to +Inf and -Inf, whose sum is NaN (`sign` -1) or Inf (`sign` 1).
 */
const paramsWith = (sign: number) => {
  const p = run(net.init(0, x)) as Record<string, Record<string, Tensor>>
  expect(Object.keys(p).sort()).toEqual(["mlp/~/linear_0", "mlp/~/linear_1"])
  return {
    "mlp/~/linear_0": { w: jnp.zeros([2, 2]), b: jnp.full([2], 2) },
    "mlp/~/linear_1": { w: jnp.array([[3e38], [sign * 3e38]]), b: jnp.zeros([1]) }
  }
}

const hasNan = (t: Tensor) => Array.from(t.toTypedArray() as Float32Array).some(Number.isNaN)

describe("debugNans inside hk.transform", () => {
  it("off: apply returns NaN", () => {
    expect(hasNan(run(net.apply(paramsWith(-1), x)))).toBe(true)
  })

  it("the error names the module path of the second linear layer, mlp/~/linear_1, and its dot_general", () => {
    jax.setDebugNans(true)
    const e = fpe(() => run(net.apply(paramsWith(-1), x)))
    expect(e.primitive).toBe("dot_general")
    expect(e.modulePath).toBe("mlp/~/linear_1")
    expect(e.inputs.map(String)).toEqual(["f32[1,2]", "f32[2,1]"])
    expect(e.message).toContain("encountered in dot_general in module 'mlp/~/linear_1'")
  })

  it("with debugInfs, an overflow in mlp/~/linear_1 is named the same way", () => {
    jax.setDebugInfs(true)
    const e = fpe(() => run(net.apply(paramsWith(1), x)))
    expect(e.kind).toBe("inf")
    expect(e.modulePath).toBe("mlp/~/linear_1")
  })

  it("under jax.jit(apply) the op-by-op re-run names mlp/~/linear_1, whether the flag was on when it traced or turned on later", () => {
    const applyJ = jax.jit((p: ReturnType<typeof paramsWith>, xs: Tensor) => net.apply(p, xs))
    expect(hasNan(run(applyJ(paramsWith(-1), x)))).toBe(true)
    jax.setDebugNans(true)
    const later = fpe(() => run(applyJ(paramsWith(-1), x)))
    expect([later.primitive, later.modulePath, later.deoptimized]).toEqual(["dot_general", "mlp/~/linear_1", true])
    const fresh = jax.jit((p: ReturnType<typeof paramsWith>, xs: Tensor) => net.apply(p, xs))
    expect(fpe(() => run(fresh(paramsWith(-1), x))).modulePath).toBe("mlp/~/linear_1")
  })

  it("under jax.vmap(apply) the batched dot_general is named with its module path", () => {
    jax.setDebugNans(true)
    const e = fpe(() => run(jax.vmap((xs: Tensor) => net.apply(paramsWith(-1), xs))(jnp.ones([3, 1, 2]))))
    expect(e.modulePath).toBe("mlp/~/linear_1")
  })

  it("a NaN made in the backward pass names the module whose forward pass staged that step", () => {
    const Root = () => hk.module("root", (self) => (y: Tensor) => self.call(Effect.sync(() => jnp.sqrt(y))))
    const t = hk.withoutApplyRng(hk.transform((y: Tensor) => Effect.flatMap(Root(), (r) => r(y))))
    const params = run(t.init(0, jnp.ones([2])))
    const loss = (y: Tensor) => Effect.map(t.apply(params, y), (out) => jnp.sum(jnp.multiply(out, 0)))
    expect(hasNan(run(jax.grad(loss)(jnp.array([0, 1]))))).toBe(true)
    jax.setDebugNans(true)
    const e = fpe(() => run(jax.grad(loss)(jnp.array([0, 1]))))
    expect(e.primitive).toBe("mul")
    expect(e.modulePath).toBe("root")
  })

  it("outside any module inside the transform the path is null", () => {
    jax.setDebugNans(true)
    const t = hk.withoutApplyRng(hk.transform((y: Tensor) => Effect.sync(() => jnp.log(y))))
    expect(fpe(() => run(t.apply({}, jnp.array([-1])))).modulePath).toBeNull()
  })

  it("with both flags on, a NaN-free training step (valueAndGrad, adam, logSoftmax; jitted and eager) computes exactly what it computes with them off", () => {
    const clf = hk.withoutApplyRng(hk.transform((xs: Tensor) => Effect.flatMap(hk.nets.MLP([8, 3]), (m) => m(xs))))
    const xs = jax.random.normal(jax.random.key(1), [16, 4])
    const ys = jax.nn.oneHot(jax.random.randint(jax.random.key(2), [16], 0, 3), 3)
    const opt = optax.adam(0.05)
    const train = (wrap: <F extends (...a: any[]) => any>(f: F) => F) => {
      const loss = (p: hk.ParamTree) => Effect.map(clf.apply(p, xs), (logits) => jnp.negative(jnp.mean(jnp.sum(jnp.multiply(ys, jax.nn.logSoftmax(logits)), { axis: 1 }))))
      const step = wrap((p: hk.ParamTree, s: ReturnType<typeof opt.init>) =>
        Effect.map(jax.valueAndGrad(loss)(p), ([l, g]) => {
          const [updates, next] = opt.update(g, s, p)
          return [optax.applyUpdates(p, updates), next, l] as const
        })
      )
      let p: hk.ParamTree = run(clf.init(jax.random.key(0), xs))
      let s = opt.init(p)
      const losses: number[] = []
      for (let i = 0; i < 5; i++) {
        const [p2, s2, l] = run(step(p, s))
        p = p2 as hk.ParamTree
        s = s2
        losses.push((l as Tensor).item())
      }
      return losses
    }
    const jitted = <F extends (...a: any[]) => any>(f: F) => jax.jit(f as any) as unknown as F
    const eager = <F extends (...a: any[]) => any>(f: F) => f
    const off = [train(jitted), train(eager)]
    jax.setDebugNans(true)
    jax.setDebugInfs(true)
    expect([train(jitted), train(eager)]).toEqual(off)
  })
})
