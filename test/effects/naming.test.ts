/** Haiku's module naming rules. */
import { describe, expect, it } from "vitest"
import { Effect } from "effect"
import { hk, jnp, type Tensor } from "../../src/index.js"
import { thrown, run } from "../support/effects.js"

const names = (f: () => Effect.Effect<unknown, never, any>) => Object.keys(run(hk.transform(f as () => Effect.Effect<unknown, never, hk.Params | hk.Naming | hk.Rng>).init(0)))
const x = jnp.ones([1, 2])
const use = (m: (x: Tensor) => Effect.Effect<Tensor, never, any>) => m(x)

/** A user module with a child built in the constructor, one in __call__ and one in method "encode". */
const Parent = () =>
  hk.module("parent", (self) =>
    Effect.map(hk.Linear(1), (ctorChild) => ({
      call: (y: Tensor) => self.call(Effect.flatMap(hk.Linear(1), (callChild) => Effect.zip(ctorChild(y), callChild(y)))),
      encode: (y: Tensor) => self.method("encode", Effect.flatMap(hk.Linear(1), (c) => c(y)))
    }))
  )

describe("module naming", () => {
  it("repeated names get _1, _2 within one scope", () => {
    expect(names(() => Effect.all([hk.Linear(1), hk.Linear(1), hk.Linear(1)]).pipe(Effect.flatMap((ls) => Effect.forEach(ls, use))))).toEqual(["linear", "linear_1", "linear_2"])
  })

  it("explicit numbers are kept, advance the counter, and must be unique", () => {
    expect(names(() => Effect.all([hk.Linear(1, { name: "linear_3" }), hk.Linear(1)]).pipe(Effect.flatMap((ls) => Effect.forEach(ls, use))))).toEqual(["linear_3", "linear_4"])
    const e = thrown(() => names(() => Effect.all([hk.Linear(1, { name: "l_0" }), hk.Linear(1, { name: "l_0" })])))
    expect(e._tag).toBe("ModuleNameError")
    expect(e.message).toContain("Module name 'l_0' is not unique.")
  })

  it("invalid identifiers are rejected", () => {
    expect(thrown(() => names(() => hk.Linear(1, { name: "1x" }))).message).toContain("'1x' is not a valid module name")
  })

  it("children: parent/~/child (constructor), parent/child (__call__), parent/~encode/child (other method)", () => {
    const f = () => Effect.flatMap(Parent(), (p) => Effect.zip(p.call(x), p.encode(x)))
    expect(names(f).sort()).toEqual(["parent/linear", "parent/~/linear", "parent/~encode/linear"])
  })

  it("each call has fresh counters: a child built in __call__ gets the same name (and params) every call", () => {
    const f = () => Effect.flatMap(Parent(), (p) => Effect.zip(p.call(x), p.call(x)))
    expect(names(f).sort()).toEqual(["parent/linear", "parent/~/linear"])
  })

  it("nameScope prefixes params and modules; MLP layers are mlp/~/linear_i", () => {
    expect(names(() => hk.nameScope("a/b", hk.getParameter("w", [], jnp.zeros)))).toEqual(["a/b"])
    expect(names(() => Effect.flatMap(hk.nets.MLP([2, 2], { name: "tower" }), use))).toEqual(["tower/~/linear_0", "tower/~/linear_1"])
    expect(thrown(() => names(() => hk.nameScope("/a", Effect.void))).message).toContain("Name scopes must not start with /")
  })

  it("camelToSnake follows Haiku", () => {
    expect(["MLP", "BatchNorm", "Conv2D", "ResNet50", "LayerNorm"].map(hk.camelToSnake)).toEqual(["mlp", "batch_norm", "conv2_d", "res_net50", "layer_norm"])
  })

  it("a module created inside hk.vmap's body does not advance the outer counter (Haiku's copied counters)", () => {
    const f = (xs: Tensor) =>
      Effect.gen(function* () {
        yield* hk.vmap((y: Tensor) => Effect.flatMap(hk.Linear(1), (l) => l(y)), { splitRng: false })(xs)
        const l = yield* hk.Linear(1)
        return l.moduleName
      })
    const t = hk.transform(f)
    const p = run(t.init(0, jnp.ones([3, 2])))
    expect(Object.keys(p)).toEqual(["linear"])
    expect(run(t.apply(p, null, jnp.ones([3, 2])))).toBe("linear")
  })
})
