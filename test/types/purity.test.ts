/**
 * Compile-time laws: a raw jax.* transform rejects a function whose Effect needs a Haiku
 * service (the message names the fix); hk.transform rejects state; hk.vmap requires splitRng.
 * Each `@ts-expect-error` fails the type check (`npm test` runs tsc over test/) if the error disappears.
 */
import { describe, expectTypeOf, it } from "vitest"
import { Effect } from "effect"
import { hk, jax, jnp, type Tensor } from "../../src/index.js"

const usesParams = (x: Tensor) => Effect.map(hk.getParameter("w", [2, 2], jnp.ones), (w) => jnp.matmul(w, x))
const usesRng = (x: Tensor) => Effect.map(hk.nextRngKey(), () => x)
const usesState = (x: Tensor) => Effect.as(hk.setState("s", x), x)
const pureEffect = (x: Tensor) => Effect.succeed(jnp.sin(x))
const plain = (x: Tensor) => jnp.sin(x)
declare const unknownR: (x: Tensor) => Effect.Effect<Tensor, never, unknown>
declare const anyOut: (x: Tensor) => any
declare const net: hk.nets.MLP
const x = jnp.ones([2, 2])

describe("raw transforms reject Haiku-effectful functions at compile time", () => {
  it("jax.vmap / jax.evalShape / jax.grad / jax.valueAndGrad / jax.jvp / jax.jit of a Params-using function do not type-check", () => {
    const typeOnly = () => {
      // @ts-expect-error jax.vmap: f uses Haiku state … Use hk.vmap(f, { splitRng }) …
      jax.vmap(usesParams)
      // @ts-expect-error jax.vmap of an Rng-using function
      jax.vmap(usesRng)
      // @ts-expect-error jax.vmap of a State-using function
      jax.vmap(usesState)
      // @ts-expect-error the seed's first failing example: jax.evalShape(net, x) inside a transform
      jax.evalShape(usesParams, x)
      // @ts-expect-error the seed's MLP example: jax.evalShape over a module
      jax.evalShape(net, x)
      // @ts-expect-error jax.grad
      jax.grad(usesParams)
      // @ts-expect-error jax.valueAndGrad
      jax.valueAndGrad(usesParams)
      // @ts-expect-error jax.jvp
      jax.jvp(usesParams, [x], [x])
      // @ts-expect-error jax.vjp
      jax.vjp(usesParams, x)
      // @ts-expect-error jax.jit
      jax.jit(usesParams)
      // @ts-expect-error R = unknown cannot rule out Haiku services
      jax.vmap(unknownR)
      // @ts-expect-error an `any` return cannot rule out Haiku services
      jax.vmap(anyOut)
      // @ts-expect-error the seed table, row 2: vmapping inside a transform
      hk.transform((y: Tensor) => jax.vmap(net)(y))
    }
    void typeOnly
  })

  it("pure functions and pure Effects are accepted, with precise result types", () => {
    expectTypeOf(jax.vmap(plain)).returns.toEqualTypeOf<Tensor>()
    expectTypeOf(jax.vmap(pureEffect)).returns.toEqualTypeOf<Effect.Effect<Tensor, never, never>>()
    expectTypeOf(jax.grad(plain)).returns.toEqualTypeOf<Tensor>()
    expectTypeOf(jax.grad(jax.grad(plain))).returns.toEqualTypeOf<Tensor>()
    const t = hk.transform(usesParams)
    expectTypeOf(jax.vmap(t.apply)).returns.toEqualTypeOf<Effect.Effect<Tensor, hk.ApplyError, never>>()
  })
})

describe("handlers remove what they provide", () => {
  it("hk.transform(f).init/apply need nothing for a Haiku-only function, and fail only with errors their arguments cause", () => {
    const t = hk.transform(usesParams)
    // init's result is typed by path: usesParams creates "w" at the top level ("~")
    expectTypeOf(t.init).returns.toEqualTypeOf<Effect.Effect<hk.TypedParams<hk.ParamSlot<"~self", "w">>, hk.InitError, never>>()
    expectTypeOf(t.apply).returns.toEqualTypeOf<Effect.Effect<Tensor, hk.ApplyError, never>>()
  })

  it("hk.transform of a state-using function does not type-check; hk.transformWithState does", () => {
    const typeOnly = () => {
      // @ts-expect-error hk.transform: f uses hk.State … use hk.transformWithState(f)
      hk.transform(usesState)
    }
    void typeOnly
    const t = hk.transformWithState(usesState)
    expectTypeOf(t.apply).returns.toEqualTypeOf<Effect.Effect<readonly [Tensor, hk.StateTree], hk.ApplyWithStateError, never>>()
  })

  it("non-Haiku services pass through a handler", () => {
    const t = hk.transform((y: Tensor) => Effect.as(hk.getParameter("w", [], jnp.zeros), y) as Effect.Effect<Tensor, never, hk.Params | "Other">)
    expectTypeOf(t.apply).returns.toEqualTypeOf<Effect.Effect<Tensor, hk.ApplyError, "Other">>()
  })
})

describe("effects name the service they need", () => {
  it("getParameter with a constant init needs Params (the slot naming the parameter); with a random init Params | Rng", () => {
    expectTypeOf(hk.getParameter("w", [2], jnp.zeros)).toEqualTypeOf<Effect.Effect<Tensor, never, hk.ParamSlot<"~self", "w">>>()
    expectTypeOf(hk.getParameter("w", [2], jnp.zeros)).toExtend<Effect.Effect<Tensor, never, hk.Params>>()
    expectTypeOf(hk.getParameter("w", [2], hk.initializers.TruncatedNormal(1))).toEqualTypeOf<Effect.Effect<Tensor, never, hk.ParamSlot<"~self", "w"> | hk.Rng>>()
    expectTypeOf(hk.nextRngKey()).toEqualTypeOf<Effect.Effect<jax.random.Key, never, hk.Rng>>()
    expectTypeOf(hk.setState("s", x)).toEqualTypeOf<Effect.Effect<void, never, hk.State>>()
    expectTypeOf(hk.nets.MLP([3])).toEqualTypeOf<Effect.Effect<hk.nets.MLP<"mlp", readonly [3], "w" | "b">, never, hk.Naming>>()
  })
})

describe("hk.vmap requires splitRng", () => {
  it("omitting splitRng does not type-check", () => {
    const typeOnly = () => {
      // @ts-expect-error splitRng is required
      hk.vmap(usesParams, {})
      // @ts-expect-error the options (with splitRng) are required
      hk.vmap(usesParams)
    }
    void typeOnly
    expectTypeOf(hk.vmap(usesParams, { splitRng: false })).returns.toEqualTypeOf<Effect.Effect<Tensor, never, hk.ParamSlot<"~self", "w">>>()
  })
})
