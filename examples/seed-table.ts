/**
 * The seed page's summary table ("Limitations of Nesting JAX Functions and Haiku Modules"),
 * computed live by tanka: each row runs its code and reports ✔ or ✖ with the error produced.
 *
 * Run: `npx tsx examples/seed-table.ts`
 */
import { Effect } from "effect"
import { hk, jax, jnp, type Tensor } from "../src/index.js"

/** One row of the table. */
export interface SeedRow {
  readonly case: string
  readonly code: string
  /** Whether the row's code ran without error. */
  readonly ok: boolean
  /** The result (shapes) or the error's tag and message. */
  readonly detail: string
}

const net = (x: Tensor) => Effect.flatMap(hk.nets.MLP([8, 4]), (mlp) => mlp(x))
const xs = () => jnp.ones([3, 5])
const key = () => jax.random.key(0)
const shapes = (t: hk.ParamTree) => Object.entries(t).map(([m, b]) => `${m} {${Object.entries(b).map(([n, v]) => `${n}: [${v.shape.join(",")}]`).join(", ")}}`).join("; ")

const row = (c: string, code: string, run: () => string): SeedRow => {
  try {
    return { case: c, code, ok: true, detail: run() }
  } catch (e) {
    const err = e as { _tag?: string; message?: string }
    return { case: c, code, ok: false, detail: `${err._tag ?? "Error"}: ${err.message ?? String(e)}` }
  }
}

/** The five rows, each computed by running its code. */
export const seedTable = async (): Promise<Array<SeedRow>> => [
  row("vmapping outside a hk.transform", "jax.vmap(hk.transform(net).apply, { inAxes: [null, null, 0] })", () => {
    const { init, apply } = hk.transform(net)
    const params = Effect.runSync(init(key(), jnp.ones([5])))
    const out = Effect.runSync(jax.vmap(apply, { inAxes: [null, null, 0] })(params, null, xs()))
    return `output [${out.shape.join(",")}]`
  }),
  row("vmapping inside a hk.transform", "hk.transform(x => jax.vmap(net)(x))   (a compile error in TypeScript; this is what a plain-JS caller gets)", () => {
    // a compile error in TypeScript (see test/types/purity.test.ts); a plain-JS caller gets this:
    const { init } = hk.transform((x: Tensor) => (jax.vmap as any)(net)(x) as Effect.Effect<Tensor>)
    Effect.runSync(init(key(), xs()))
    return "ran"
  }),
  row("vmapping a nested hk.transform (without lift)", "hk.transform(x => jax.vmap(hk.transform(net).init, { inAxes: [null, 0] })(key, x))", () => {
    const { init } = hk.transform((x: Tensor) => jax.vmap(hk.transform(net).init, { inAxes: [null, 0] })(key(), x))
    Effect.runSync(init(key(), xs()))
    return "ran (inner params silently dropped)"
  }),
  row("vmapping a nested hk.transform (with lift)", 'hk.lift(hk.transform(net).init, { name: "inner" }), then jax.vmap(inner.apply, …)', () => {
    const f = (x: Tensor) =>
      Effect.gen(function* () {
        const inner = hk.transform(net)
        const params = yield* hk.lift(inner.init, { name: "inner" })(yield* hk.nextRngKey(), x)
        return yield* jax.vmap(inner.apply, { inAxes: [null, null, 0] })(params, null, x)
      })
    const { init, apply } = hk.transform(f)
    const params = Effect.runSync(init(key(), xs()))
    const out = Effect.runSync(apply(params, key(), xs()))
    return `output [${out.shape.join(",")}]; params ${shapes(params)}`
  }),
  row("using hk.vmap", "hk.transform(x => hk.vmap(net, { splitRng: false })(x))", () => {
    const { init, apply } = hk.transform((x: Tensor) => hk.vmap(net, { splitRng: false })(x))
    const params = Effect.runSync(init(key(), xs()))
    const out = Effect.runSync(apply(params, null, xs()))
    return `output [${out.shape.join(",")}]; params ${shapes(params)}`
  })
]

const main = async () => {
  for (const r of await seedTable()) console.log(`${r.ok ? "✔" : "✖"} ${r.case}\n    ${r.code}\n    → ${r.detail}`)
}

if (import.meta.url === `file://${process.argv[1]}`) void main()
