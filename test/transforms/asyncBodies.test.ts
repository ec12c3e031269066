/**
 * Transforms trace their function synchronously, as JAX's do (issue 12): a function that
 * suspends asynchronously is an `AsyncBodyError` naming the transform and the fix (it was Effect's
 * `AsyncFiberError: An asynchronous Effect was executed with Effect.runSync`, though the user never
 * called runSync), in every raw and Haiku transform. Effects misplaced in a pytree get messages
 * that say whether they sat in the output or in the arguments.
 */
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { AsyncBodyError, TransformArgumentError, hk, jax, jnp, type Tensor } from "../../src/index.js"

/** The error `f` throws or its Effect dies with (run with runPromise: Effect itself may run async code). */
const caught = async (f: () => unknown): Promise<any> => {
  try {
    const out = f()
    if (Effect.isEffect(out)) await Effect.runPromise(out as Effect.Effect<unknown, unknown, never>)
  } catch (e) {
    return e
  }
  throw new Error("expected an error")
}

const sleepThen = <A>(a: A) => Effect.as(Effect.sleep("1 millis"), a)
const x = jnp.ones([3])
const xs = jnp.ones([2, 3])

describe("a function that suspends asynchronously is an AsyncBodyError naming the transform", () => {
  const raw: Array<[string, () => unknown]> = [
    ["jax.vmap", () => jax.vmap((v: Tensor) => sleepThen(v))(xs)],
    ["jax.grad", () => jax.grad((v: Tensor) => Effect.promise(() => Promise.resolve(jnp.sum(v))))(x)],
    ["jax.jit", () => jax.jit((v: Tensor) => sleepThen(v))(x)],
    ["jax.evalShape", () => jax.evalShape((v: Tensor) => sleepThen(v), x)],
    ["jax.lax.scan", () => jax.lax.scan((c: Tensor, v: Tensor) => sleepThen([c, v] as const), jnp.zeros([3]), xs)],
    ["jax.lax.cond", () => jax.lax.cond(true, (v: Tensor) => sleepThen(v), (v: Tensor) => Effect.succeed(v), x)]
  ]
  it.each(raw)("%s", async (name, run) => {
    const e = await caught(run)
    expect(e).toBeInstanceOf(AsyncBodyError)
    expect(e.transform).toBe(name)
    expect(e.message).toContain(`${name}: the function suspended asynchronously`)
    expect(e.message).toContain("pass the result in as a tensor argument")
  })

  const inTransform = (body: (v: Tensor) => Effect.Effect<unknown, unknown, any>) => () => (hk.transform(body as never) as unknown as { init: (k: unknown, v: Tensor) => Effect.Effect<unknown> }).init(jax.random.key(0), xs)
  const linear = (v: Tensor) => Effect.flatMap(hk.Linear(2), (l) => l(v))
  const hkCases: Array<[string, () => unknown]> = [
    ["hk.vmap", inTransform((v) => hk.vmap((y: Tensor) => Effect.andThen(Effect.sleep("1 millis"), linear(y)), { splitRng: false })(v))],
    ["hk.evalShape", inTransform((v) => hk.evalShape((y: Tensor) => Effect.andThen(Effect.sleep("1 millis"), linear(y)), v))],
    ["hk.grad", inTransform((v) => hk.grad((y: Tensor) => Effect.map(Effect.andThen(Effect.sleep("1 millis"), linear(y)), jnp.sum))(v))]
  ]
  it.each(hkCases)("%s", async (name, run) => {
    const e = await caught(run)
    expect(e).toBeInstanceOf(AsyncBodyError)
    expect(e.transform).toBe(name)
  })

  it("hk.transform itself runs asynchronous module code (it is an Effect, not a trace)", async () => {
    const net = (v: Tensor) => Effect.gen(function* () {
      yield* Effect.sleep("1 millis")
      return yield* linear(v)
    })
    const p = await Effect.runPromise(hk.transform(net).init(jax.random.key(0), xs))
    expect(Object.keys(p)).toEqual(["linear"])
  })
})

describe("Effects in the wrong place", () => {
  it("an Effect inside the returned pytree says it is in the output and how to build the structure inside the Effect", async () => {
    const e = await caught(() => jax.vmap((v: Tensor) => ({ out: Effect.succeed(v) }) as never)(xs))
    expect(e).toBeInstanceOf(TransformArgumentError)
    expect(e.message).toContain("jax.vmap: the function returned an Effect inside its output")
    expect(e.message).toContain("Effect.all({ out: net(x) })")
    expect(e.message).not.toContain("arguments")
  })

  it("an Effect among the arguments says so", async () => {
    const e = await caught(() => jax.vmap((v: Tensor) => v)(Effect.succeed(xs) as never))
    expect(e).toBeInstanceOf(TransformArgumentError)
    expect(e.message).toContain("jax.vmap: an argument is an Effect")
  })

  it("a non-tensor leaf of the output names the output, of the arguments the arguments", async () => {
    expect((await caught(() => jax.jit((v: Tensor) => ({ out: "text" }) as never)(x))).message).toContain("every leaf of the function's output must be a Tensor")
    expect((await caught(() => jax.jit((v: Tensor) => v)("text" as never))).message).toContain("every leaf of the arguments must be a Tensor")
  })
})
