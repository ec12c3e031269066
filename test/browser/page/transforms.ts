/**
 * A few transform and Haiku cases on the shader paths, through the public entry: grad against
 * its closed form in float64, vmap against a loop, the MLP loss gradient under jit against the
 * same computation in webasm, and the seed page's hk.lift example.
 */
import { Effect } from "effect"
import { FloatingPointError, hk, jax, jnp, optax, type Tensor } from "../../../src/index.js"
import * as K from "../../../src/kernels/index.js"
import { assertAllclose } from "../../support/assertAllclose.js"
import { check, checkAsync, type CheckResult } from "./harness.js"

const randn = (seed: number, shape: ReadonlyArray<number>, scale = 1): Tensor => {
  let s = (seed * 2654435761) >>> 0
  const n = shape.reduce((a, b) => a * b, 1)
  const data = new Float32Array(n)
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    data[i] = ((s / 4294967296) * 2 - 1) * scale
  }
  return jnp.array(data, { shape })
}
const values = (t: Tensor): number[] => Array.from(t.toTypedArray() as ArrayLike<number>, Number)
const expectEqual = (actual: unknown, expected: unknown, what: string): void => {
  const a = JSON.stringify(actual)
  const e = JSON.stringify(expected)
  if (a !== e) throw new Error(`${what}: got ${a}, expected ${e}`)
}

/** Runs `f` in webasm (the reference backend, same page), outside any check, and returns to `mode`. */
const inWebasm = <T>(mode: K.Mode, f: () => T): T => {
  K.setBackend("webasm")
  try {
    return f()
  } finally {
    K.setBackend(mode)
  }
}

const mlpInputs = () => ({ x: randn(4, [8, 12]), labels: jnp.array(Int32Array.from([0, 3, 9, 1, 1, 5, 7, 2]), { shape: [8] }) })
const mlpRun = (params: hk.ParamTree): number[] => {
  const { x, labels } = mlpInputs()
  const [l, g] = Effect.runSync(jax.jit(jax.valueAndGrad(mlpLoss))(params, x, labels))
  return [l.item(), ...Object.values(g).flatMap((b) => Object.values(b).flatMap(values))]
}

const liftNet = (x: Tensor) => Effect.flatMap(hk.nets.MLP([8, 4]), (m) => m(x))
const liftF = (x: Tensor) =>
  Effect.gen(function* () {
    const inner = hk.transform(liftNet)
    const params = yield* hk.lift(inner.init, { name: "inner" })(yield* hk.nextRngKey(), x)
    return yield* jax.vmap(inner.apply, { inAxes: [null, null, 0] })(params, null, x)
  })
const liftRun = () => {
  const { init, apply } = hk.transform(liftF)
  const xs = jnp.ones([3, 5])
  const params = Effect.runSync(init(jax.random.key(0), xs))
  const y = Effect.runSync(apply(params, jax.random.key(0), xs))
  const shapes = Object.fromEntries(Object.entries(params).map(([m, b]) => [m, Object.fromEntries(Object.entries(b).map(([n, v]) => [n, [...v.shape]]))]))
  return { shapes, yShape: [...y.shape], y: values(y) }
}

const mlp = hk.withoutApplyRng(hk.transform((x: Tensor) => Effect.flatMap(hk.nets.MLP([16, 10]), (m) => m(x))))
const mlpLoss = (params: hk.ParamTree, x: Tensor, labels: Tensor) =>
  Effect.map(mlp.apply(params, x), (logits) => jnp.negative(jnp.mean(jnp.sum(jnp.multiply(jax.nn.logSoftmax(logits), jax.nn.oneHot(labels, 10)), { axis: -1 }))))

/** The transform/Haiku checks in `mode`. */
export const runTransforms = async (mode: K.Mode): Promise<CheckResult[]> => {
  K.setBackend(mode)
  const suite = `transforms/${mode}`
  const out: CheckResult[] = []

  out.push(
    await check(suite, "grad(sum∘tanh)(x) equals 1 - tanh(x)^2 (float64), atol 2e-6", mode, () => {
      const x = randn(1, [4, 9], 2)
      const g = jax.grad((t: Tensor) => jnp.sum(jnp.tanh(t)))(x)
      assertAllclose(values(g), values(x).map((v) => 1 - Math.tanh(v) ** 2), { atol: 2e-6 })
    })
  )

  out.push(
    await check(suite, "vmap(x => tanh(W·x))(xs) equals stack(xs.map(f)) and the float64 reference", mode, () => {
      const w = randn(2, [6, 5])
      const xs = randn(3, [7, 5])
      const f = (x: Tensor) => jnp.tanh(jnp.matmul(w, x))
      const batched = jax.vmap(f)(xs)
      expectEqual(batched.shape, [7, 6], "shape")
      const looped = jnp.stack(Array.from({ length: 7 }, (_, i) => f(jnp.array(values(xs).slice(5 * i, 5 * i + 5), { shape: [5] }))))
      assertAllclose(values(batched), values(looped), { atol: 1e-6 })
      const W = values(w)
      const X = values(xs)
      const want: number[] = []
      for (let i = 0; i < 7; i++) for (let r = 0; r < 6; r++) want.push(Math.tanh(W.slice(5 * r, 5 * r + 5).reduce((s, v, k) => s + v * X[5 * i + k]!, 0)))
      assertAllclose(values(batched), want, { atol: 2e-6 })
    })
  )

  // params are initialised in webasm so both modes start from the same numbers
  const [params, mlpWant] = inWebasm(mode, () => {
    const p = Effect.runSync(mlp.init(jax.random.key(0), mlpInputs().x))
    return [p, mlpRun(p)] as const
  })
  out.push(
    await check(suite, "jit(valueAndGrad(MLP loss)) agrees with webasm (atol 1e-5, rtol 1e-5)", mode, () => {
      assertAllclose(mlpRun(params), mlpWant, { atol: 1e-5, rtol: 1e-5 })
    })
  )

  out.push(...(await residencyChecks(suite, mode)))

  const liftWant = inWebasm(mode, liftRun)
  const liftName = "seed hk.lift example: inner params under inner/, output [3,4], equal to webasm"
  out.push(
    await check(suite, liftName, mode, () => {
      const got = liftRun()
      expectEqual(Object.keys(got.shapes).sort(), ["inner/mlp/~/linear_0", "inner/mlp/~/linear_1"], "lifted param names")
      const l0 = got.shapes["inner/mlp/~/linear_0"]!
      expectEqual([l0["w"], l0["b"]], [[5, 8], [8]], "inner/mlp/~/linear_0 shapes [w, b]")
      expectEqual(got.yShape, [3, 4], "output shape")
      assertAllclose(got.y, liftWant.y, { atol: 1e-5, rtol: 1e-5 })
    })
  )
  return out
}

/**
 * Device residency (GL modes and webgpu): a jitted training step keeps params, optimizer state
 * and every intermediate on the GPU. After warm-up, one step uploads its batch (images and
 * one-hot labels) and downloads its loss (read with item()), nothing else — with adam too, whose
 * int32 step counter stays on the device under a proven bound (see `intBound`). Int arithmetic
 * whose bound passes 2^24 comes back to the host and is checked there, as before. On webgpu each
 * step is one `runAsync` call, as a training loop there would be written.
 */
const residencyChecks = async (suite: string, mode: K.Mode): Promise<CheckResult[]> => {
  if (mode !== "webgl2" && mode !== "webgl" && mode !== "webgpu") return []
  // webgpu computations run through runAsync; the GL modes synchronously
  const exec = <T>(f: () => T): Promise<T> => (mode === "webgpu" ? jax.runAsync(f) : Promise.resolve(f()))
  const net = hk.withoutApplyRng(hk.transform((x: Tensor) => Effect.flatMap(hk.nets.MLP([32, 10]), (m) => m(x))))
  const loss = (p: hk.ParamTree, x: Tensor, y: Tensor) => Effect.map(net.apply(p, x), (logits) => jnp.negative(jnp.mean(jnp.sum(jnp.multiply(jax.nn.logSoftmax(logits), y), { axis: -1 }))))
  // the batch comes from the host, as a data loader's would: images and one-hot labels
  const batch = (i: number) => {
    const y = new Float32Array(16 * 10)
    for (let k = 0; k < 16; k++) y[k * 10 + ((k * 7 + i) % 10)] = 1
    return { x: randn(100 + i, [16, 12]), y: jnp.array(y, { shape: [16, 10] }) }
  }
  // params start from webasm's initialisation, so every mode trains the same numbers
  const init = inWebasm(mode, () => Effect.runSync(net.init(jax.random.key(0), batch(0).x)))
  const measure = async (opt: optax.GradientTransformation<any>, run: <T>(f: () => T) => Promise<T>) => {
    let params: hk.ParamTree = init
    let state = await run(() => opt.init(params))
    const step = jax.jit(jax.valueAndGrad(loss))
    const update = jax.jit((p: hk.ParamTree, s: unknown, g: hk.ParamTree) => {
      const [u, next] = opt.update(g, s as never, p)
      return [optax.applyUpdates(p, u), next] as const
    })
    const losses: number[] = []
    const one = async (i: number) => {
      const { x, y } = batch(i)
      const [l, next] = await run(() => {
        const [l, g] = Effect.runSync(step(params, x, y))
        const next = update(params, state, g) as unknown as [hk.ParamTree, unknown]
        return [l.item(), next] as const
      })
      params = next[0]
      state = next[1] as typeof state
      losses.push(l)
    }
    for (let i = 0; i < 3; i++) await one(i)
    const before = K.transferStats()
    await one(3)
    const after = K.transferStats()
    const final = await run(() => Object.values(params).flatMap((b) => Object.values(b).flatMap(values)))
    return { uploads: after.uploads - before.uploads, downloads: after.downloads - before.downloads, losses, final }
  }
  const onHost = <T>(f: () => T): Promise<T> => Promise.resolve(f())
  const sgd = () => optax.sgd(0.1, { momentum: 0.9 })
  K.setBackend("webasm")
  const reference = await measure(sgd(), onHost)
  const adamReference = await measure(optax.adam(0.01), onHost)
  K.setBackend(mode)
  return [
    await checkAsync(suite, "jitted training step (sgd with momentum): params, state and intermediates stay on the GPU; one step uploads its batch (2 arrays) and downloads its loss, nothing else", mode, async () => {
      const r = await measure(sgd(), exec)
      expectEqual([r.uploads, r.downloads], [2, 1], "[uploads, downloads] of one step")
      // and the numbers are those of the host path: four steps' losses and the final params
      assertAllclose(r.losses, reference.losses, { atol: 1e-5, rtol: 1e-5 })
      assertAllclose(r.final, reference.final, { atol: 1e-5, rtol: 1e-5 })
    }),
    await checkAsync(suite, "jitted training step (adam, the main job's optimizer): batch in (2 arrays), loss out, nothing else; the int32 step counter stays on the GPU", mode, async () => {
      const r = await measure(optax.adam(0.01), exec)
      expectEqual([r.uploads, r.downloads], [2, 1], "[uploads, downloads] of one step")
      assertAllclose(r.losses, adamReference.losses, { atol: 1e-5, rtol: 1e-5 })
      assertAllclose(r.final, adamReference.final, { atol: 1e-5, rtol: 1e-5 })
    }),
    await checkAsync(suite, "int32 arithmetic under a proven bound < 2^24 stays on the GPU and reads back exact; past the bound it is checked on the host (IntegerRangeError)", mode, async () => {
      const x = jnp.array(new Int32Array([4000, -7, 0, 1234]), { shape: [4] })
      const f = jax.jit((v: Tensor) => jnp.subtract(jnp.add(jnp.multiply(v, v), jnp.negative(v)), 3))
      await exec(() => f(jnp.array(new Int32Array([1, 2, 3, 4]), { shape: [4] })).toTypedArray()) // warm-up: the constant 3 goes up once
      const before = K.transferStats()
      const [y, mid] = await exec(() => [f(x), K.transferStats()] as const)
      expectEqual([mid.uploads - before.uploads, mid.downloads - before.downloads], [1, 0], "[uploads, downloads] before the read")
      expectEqual(y.dtype, "int32", "dtype")
      const got = await exec(() => Array.from(y.toTypedArray()))
      expectEqual(got, [16_000_000 - 4000 - 3, 49 + 7 - 3, -3, 1234 * 1234 - 1234 - 3], "values")
      // 4000² + 10^6 may pass 2^24 (it does: 17,000,000): the sum is checked on the host and refused
      let caught: unknown
      try {
        await exec(() => jnp.add(jnp.multiply(x, x), 1_000_000).toTypedArray())
      } catch (e) {
        caught = e
      }
      if (!(caught instanceof K.IntegerRangeError)) throw new Error(`expected IntegerRangeError, got ${String(caught)}`)
    }),
    await checkAsync(suite, "debugNans on the GPU: a NaN from log(-1) eagerly and one inside jit name their primitive (FloatingPointError), a NaN-free jitted step is unchanged", mode, async () => {
      const x = jnp.array(new Float32Array([1, -1, 2]), { shape: [3] })
      const f = jax.jit((v: Tensor) => jnp.sum(jnp.sqrt(jnp.multiply(v, 3))))
      const clean = jax.jit((v: Tensor) => jnp.sum(jnp.exp(v)))
      const expectFpe = async (run: () => unknown, primitive: string) => {
        let caught: unknown
        try {
          await exec(run)
        } catch (e) {
          caught = e
        }
        if (!(caught instanceof FloatingPointError) || caught.primitive !== primitive || caught.kind !== "nan") {
          jax.setDebugNans(false)
          const got = await exec(() => Array.from(jnp.log(x).toTypedArray() as Float32Array))
          throw new Error(`expected a FloatingPointError naming ${primitive}, got ${String(caught)}; log(x) = ${got}`)
        }
      }
      jax.setDebugNans(true)
      try {
        await expectFpe(() => jnp.log(x), "log")
        await expectFpe(() => f(x).item(), "sqrt")
        const v = await exec(() => clean(x).item())
        assertAllclose([v], [Math.E + Math.exp(-1) + Math.exp(2)], { atol: 1e-4, rtol: 1e-6 })
      } finally {
        jax.setDebugNans(false)
      }
      const off = await exec(() => f(x).item())
      if (!Number.isNaN(off)) throw new Error(`with debugNans off the same jitted sum is NaN, got ${off}`)
    }),
    ...(mode === "webgpu" ? [await checkAsync(suite, "a webgpu result read outside runAsync is a BackendUnavailableError naming runAsync; read inside runAsync it comes back, and stays readable after", mode, async () => {
      const y = await exec(() => jnp.exp(jnp.array(new Float32Array([0, 1]), { shape: [2] })))
      let caught: unknown
      try {
        y.toTypedArray()
      } catch (e) {
        caught = e
      }
      if (!(caught instanceof K.BackendUnavailableError) || !/runAsync/.test(caught.message)) throw new Error(`expected BackendUnavailableError naming runAsync, got ${String(caught)}`)
      const v = await exec(() => values(y))
      assertAllclose(v, [1, Math.E], { atol: 1e-6, rtol: 1e-6 })
      assertAllclose(values(y), [1, Math.E], { atol: 1e-6, rtol: 1e-6 })
    })] : [])
  ]
}
