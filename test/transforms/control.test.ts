import { describe, expect, it } from "vitest"
import { jax, jnp, type Tensor, TransformArgumentError } from "../../src/index.js"
import { expectClose, randn } from "../support/values.js"

const body = (c: Tensor, x: Tensor): [Tensor, Tensor] => {
  const nc = jnp.tanh(jnp.add(jnp.multiply(c, 0.9), x))
  return [nc, jnp.multiply(nc, 2)]
}

const unrolled = (init: Tensor, xs: Tensor): [Tensor, Tensor] => {
  let c = init
  const ys: Tensor[] = []
  for (let i = 0; i < xs.shape[0]!; i++) {
    const [nc, y] = body(c, jnp.slice(xs, i))
    c = nc
    ys.push(y)
  }
  return [c, jnp.stack(ys)]
}

describe("lax.scan", () => {
  it("scan equals the unrolled loop", () => {
    const init = randn(1, [3])
    const xs = randn(2, [5, 3])
    const [c, ys] = jax.lax.scan(body, init, xs)
    const [c2, ys2] = unrolled(init, xs)
    expectClose(c, c2, { atol: 1e-6 })
    expectClose(ys, ys2, { atol: 1e-6 })
  })

  it("reverse scan equals the unrolled loop over reversed xs", () => {
    const init = randn(3, [2])
    const xs = randn(4, [4, 2])
    const [c] = jax.lax.scan(body, init, xs, { reverse: true })
    const rev = jnp.stack([3, 2, 1, 0].map((i) => jnp.slice(xs, i)))
    expectClose(c, unrolled(init, rev)[0], { atol: 1e-6 })
  })

  it("grad through scan equals grad through the unrolled loop", () => {
    const xs = randn(5, [4, 3])
    const w = randn(6, [3])
    const loss = (w: Tensor, f: typeof unrolled | ((i: Tensor, x: Tensor) => [Tensor, Tensor])) => {
      const [c, ys] = f(w, xs)
      return jnp.add(jnp.sum(c), jnp.sum(jnp.square(ys)))
    }
    const gScan = jax.grad((w: Tensor) => loss(w, (i, x) => jax.lax.scan(body, i, x)))(w)
    const gLoop = jax.grad((w: Tensor) => loss(w, unrolled))(w)
    expectClose(gScan, gLoop, { atol: 1e-5 })
  })

  it("grad with respect to a value closed over by the body", () => {
    const xs = randn(7, [3, 2])
    const f = (a: Tensor) => jnp.sum(jax.lax.scan((c: Tensor, x: Tensor) => [jnp.add(jnp.multiply(c, a), x), c] as [Tensor, Tensor], jnp.ones([2]), xs)[0])
    const g = (a: Tensor) => {
      let c = jnp.ones([2])
      for (let i = 0; i < 3; i++) c = jnp.add(jnp.multiply(c, a), jnp.slice(xs, i))
      return jnp.sum(c)
    }
    const a = randn(8, [2])
    expectClose(jax.grad(f)(a), jax.grad(g)(a), { atol: 1e-5 })
  })

  it("vmap of scan equals scan per example", () => {
    const inits = randn(9, [3, 2])
    const xs = randn(10, [4, 2])
    const out = jax.vmap((i: Tensor) => jax.lax.scan(body, i, xs)[0])(inits)
    const per = jnp.stack([0, 1, 2].map((k) => jax.lax.scan(body, jnp.slice(inits, k), xs)[0]))
    expectClose(out, per, { atol: 1e-6 })
  })

  it("a body changing its carry's type is a clear error", () => {
    expect(() => jax.lax.scan((c: Tensor, x: Tensor) => [jnp.concatenate([c, x]), x] as [Tensor, Tensor], jnp.ones([2]), jnp.ones([3, 1]))).toThrow(
      /changed its carry's type.*f32\[2\].*f32\[3\]/
    )
  })
})

describe("lax.cond / switch", () => {
  it("cond picks the branch", () => {
    const x = jnp.array([1, 2])
    expectClose(jax.lax.cond(jnp.greater(jnp.sum(x), 0), (a: Tensor) => jnp.multiply(a, 2), (a: Tensor) => a, x), [2, 4])
    expectClose(jax.lax.cond(false, (a: Tensor) => jnp.multiply(a, 2), (a: Tensor) => a, x), [1, 2])
  })

  it("vmap of cond with a batched predicate selects per example", () => {
    const f = (x: Tensor) => jax.lax.cond(jnp.greater(x, 0), (a: Tensor) => jnp.multiply(a, 10), (a: Tensor) => jnp.negative(a), x)
    expectClose(jax.vmap(f)(jnp.array([-1, 2, -3, 4])), [1, 20, 3, 40])
  })

  it("grad through cond under jit matches each branch's derivative", () => {
    const f = (x: Tensor) => jax.lax.cond(jnp.greater(x, 0), (a: Tensor) => jnp.multiply(a, a), (a: Tensor) => jnp.sin(a), x)
    expect(jax.jit(jax.grad(f))(jnp.array(3)).item()).toBeCloseTo(6, 5)
    expect(jax.jit(jax.grad(f))(jnp.array(-1)).item()).toBeCloseTo(Math.cos(-1), 5)
    expect(jax.grad(f)(jnp.array(-1)).item()).toBeCloseTo(Math.cos(-1), 5)
  })

  it("branches with different output types are refused", () => {
    expect(() => jax.lax.cond(true, (a: Tensor) => a, (a: Tensor) => jnp.sum(a), jnp.ones([3]))).toThrow(TransformArgumentError)
    expect(() => jax.lax.cond(true, (a: Tensor) => a, (a: Tensor) => jnp.sum(a), jnp.ones([3]))).toThrow(/trueFn returns \(f32\[3\]\) and falseFn returns \(f32\[\]\)/)
  })

  it("a non-boolean predicate is refused", () => {
    expect(() => jax.lax.cond(jnp.ones([2]) as Tensor, (a: Tensor) => a, (a: Tensor) => a, jnp.ones([1]))).toThrow(/bool scalar/)
  })

  it("switch clamps the index", () => {
    const branches = [(a: Tensor) => a, (a: Tensor) => jnp.multiply(a, 2), (a: Tensor) => jnp.multiply(a, 3)]
    expectClose(jax.lax.switch(jnp.array(5, { dtype: "int32" }), branches, jnp.ones([1])), [3])
  })
})

describe("whileLoop / foriLoop / checkpoint", () => {
  it("whileLoop counts", () => {
    const out = jax.lax.whileLoop((v: Tensor) => jnp.less(v, 10), (v: Tensor) => jnp.add(v, 3), jnp.array(0))
    expect(out.item()).toBe(12)
  })

  it("vmap of whileLoop runs each example to its own end", () => {
    const f = (v: Tensor) => jax.lax.whileLoop((u: Tensor) => jnp.less(u, 10), (u: Tensor) => jnp.multiply(u, 2), v)
    expectClose(jax.vmap(f)(jnp.array([1, 3, 20])), [16, 12, 20])
  })

  it("foriLoop with static bounds is reverse-differentiable", () => {
    const f = (x: Tensor) => jax.lax.foriLoop(0, 3, (_i, v: Tensor) => jnp.multiply(v, x), jnp.array(1))
    expect(jax.grad(f)(jnp.array(2)).item()).toBeCloseTo(12, 5)
  })

  it("jvp of whileLoop", () => {
    const f = (x: Tensor) => jax.lax.whileLoop((v: Tensor) => jnp.less(v, 5), (v: Tensor) => jnp.multiply(v, 2), x)
    const [y, t] = jax.jvp(f, [jnp.array(1)], [jnp.array(1)]) as [Tensor, Tensor]
    expect(y.item()).toBe(8)
    expect(t.item()).toBe(8)
  })

  it("checkpoint(f) has the same value and gradient as f", () => {
    const f = (x: Tensor) => jnp.sum(jnp.sin(jnp.multiply(x, x)))
    const x = randn(3, [4])
    expectClose(jax.grad(jax.checkpoint(f))(x), jax.grad(f)(x), { atol: 1e-6 })
  })
})

describe("batching rules keep unmapped values unmapped", () => {
  it("vmap of scan: a carry that never meets a mapped value stays unbatched (fixpoint), and results equal the loop", () => {
    const xs = randn(20, [3, 4, 2]) // mapped over axis 1 below
    const f = (x: Tensor) =>
      jax.lax.scan((c: [Tensor, Tensor], xi: Tensor) => [[jnp.add(c[0], 1), jnp.add(c[1], xi)] as [Tensor, Tensor], c[0]] as const, [jnp.zeros([]), jnp.zeros([2])] as [Tensor, Tensor], x)
    const jaxpr = String(jax.makeJaxpr(jax.vmap(f, { inAxes: 1 }))(xs))
    expect(jaxpr).toMatch(/scan/)
    const [[count, acc], ys] = jax.vmap(f, { inAxes: 1 })(xs) as unknown as [[Tensor, Tensor], Tensor]
    expect(count.shape).toEqual([4])
    expect(acc.shape).toEqual([4, 2])
    expect(ys.shape).toEqual([4, 3])
    expectClose(acc, jnp.sum(xs, { axis: 0 }), { atol: 1e-5 })
  })

  it("vmap of cond with an unmapped predicate leaves outputs that ignore the mapped operand unmapped", () => {
    const w = jnp.array([1, 2])
    const f = (x: Tensor) => jax.lax.cond(true, (a: Tensor) => [jnp.multiply(a, 2), w] as const, (a: Tensor) => [a, jnp.multiply(w, 3)] as const, x)
    const jaxpr = String(jax.makeJaxpr(jax.vmap(f, { outAxes: [0, null] }))(jnp.ones([5, 2])))
    expect(jaxpr).toMatch(/cond/)
    const [y, same] = jax.vmap(f, { outAxes: [0, null] })(jnp.ones([5, 2])) as unknown as [Tensor, Tensor]
    expect(y.shape).toEqual([5, 2])
    expect(same.toArray()).toEqual([1, 2])
  })
})
