/**
 * Parameter trees typed by their paths: where TypeScript can know a parameter's full name (stock
 * nets, hk.Linear, hk.module with a literal name, top-level hk.getParameter), init's result has
 * exactly those keys in its type and a misspelt key does not compile; elsewhere it is the general
 * ParamTree, never `any`. Each `@ts-expect-error` fails the type check if the error disappears.
 */
import { describe, expect, expectTypeOf, it } from "vitest"
import { Effect } from "effect"
import { hk, jnp, type Tensor } from "../../src/index.js"
import { run } from "../support/effects.js"

const x = jnp.ones([2, 3])

describe("typed parameter paths", () => {
  it("nets.MLP([4, 2]): keys mlp/~/linear_0 and mlp/~/linear_1 with w and b; a typo does not compile", () => {
    const params = run(hk.transform((v: Tensor) => Effect.flatMap(hk.nets.MLP([4, 2]), (m) => m(v))).init(0, x))
    expectTypeOf(params).toEqualTypeOf<{ readonly "mlp/~/linear_0": { readonly w: Tensor; readonly b: Tensor }; readonly "mlp/~/linear_1": { readonly w: Tensor; readonly b: Tensor } }>()
    expect(Object.keys(params)).toEqual(["mlp/~/linear_0", "mlp/~/linear_1"])
    expect(params["mlp/~/linear_1"].w.shape).toEqual([4, 2])
    const typeOnly = () => {
      // @ts-expect-error the letter O, not the digit 0
      void params["mlp/~/linear_O"]
      // @ts-expect-error there are two layers
      void params["mlp/~/linear_2"]
      // @ts-expect-error Linear has w and b
      void params["mlp/~/linear_0"].kernel
    }
    expect(typeof typeOnly).toBe("function")
    // still a ParamTree: it goes wherever one does
    expectTypeOf(params).toExtend<hk.ParamTree>()
  })

  it("names and options are followed: a named MLP without biases, a Linear, top-level getParameter", () => {
    const f = (v: Tensor) =>
      Effect.gen(function* () {
        const enc = yield* hk.nets.MLP([3], { name: "encoder", withBias: false })
        const head = yield* hk.Linear(1, { name: "head" })
        const t = yield* hk.getParameter("temperature", [], jnp.ones)
        return jnp.multiply(yield* head(yield* enc(v)), t)
      })
    const params = run(hk.transform(f).init(0, x))
    expectTypeOf(params).toEqualTypeOf<{
      readonly "encoder/~/linear_0": { readonly w: Tensor }
      readonly head: { readonly w: Tensor; readonly b: Tensor }
      readonly "~": { readonly temperature: Tensor }
    }>()
    expect(Object.keys(params).sort()).toEqual(["encoder/~/linear_0", "head", "~"])
    expect(Object.keys(params["encoder/~/linear_0"])).toEqual(["w"])
    const typeOnly = () => {
      // @ts-expect-error withBias: false: no b
      void params["encoder/~/linear_0"].b
    }
    expect(typeof typeOnly).toBe("function")
  })

  it("hk.module with a literal name types the parameters its methods create", () => {
    const Scale = hk.module("scale", (self) => (v: Tensor) => self.call(Effect.map(hk.getParameter("s", [], jnp.ones), (s) => jnp.multiply(v, s))))
    const params = run(hk.transform((v: Tensor) => Effect.flatMap(Scale, (m) => m(v))).init(0, x))
    expectTypeOf(params).toEqualTypeOf<{ readonly scale: { readonly s: Tensor } }>()
    expect(params.scale.s.toArray()).toBe(1)
  })

  it("where a path cannot be known the tree is ParamTree, never any: untyped modules, a module inside hk.module, a name scope, a layer stack", () => {
    const conv = run(hk.transform((v: Tensor) => Effect.flatMap(hk.Conv1D(2, { kernelShape: 1 }), (c) => c(v))).init(0, jnp.ones([1, 2, 3])))
    expectTypeOf(conv).toEqualTypeOf<hk.ParamTree>()
    expectTypeOf(conv).not.toBeAny()
    const Block = hk.module("block", (self) => Effect.map(hk.Linear(2), (lin) => (v: Tensor) => self.call(lin(v))))
    const nested = run(hk.transform((v: Tensor) => Effect.flatMap(Block, (b) => b(v))).init(0, x))
    expectTypeOf(nested).toEqualTypeOf<hk.ParamTree>()
    expect(Object.keys(nested)).toEqual(["block/~/linear"])
    const scoped = run(hk.transform((v: Tensor) => hk.nameScope("enc", Effect.flatMap(hk.Linear(2), (l) => l(v)))).init(0, x))
    expectTypeOf(scoped).toEqualTypeOf<hk.ParamTree>()
    const stacked = run(hk.transform((v: Tensor) => hk.layerStack(2)((h: Tensor) => Effect.flatMap(hk.Linear(3), (l) => l(h)))(v)).init(0, x))
    expectTypeOf(stacked).toEqualTypeOf<hk.ParamTree>()
    const mixed = run(hk.transform((v: Tensor) => Effect.flatMap(Effect.zip(hk.Linear(2), hk.Conv1D(2, { kernelShape: 1 })), ([l, c]) => Effect.andThen(l(v), c(jnp.ones([1, 2, 3]))))).init(0, x))
    expectTypeOf(mixed).toEqualTypeOf<hk.ParamTree>()
  })
})
