/**
 * What Haiku-as-Effect costs, for `npm run bench`: one `hk.getParameter` inside apply, and one
 * `apply` handler run (50 params; the MLP 784-300-100-10 forward at batch 128), each through
 * Effect (`hk.transform(f).apply`) next to the same math written as a plain function over the
 * param tree. Register with `{ group: "haiku", build: haiku }` in `workloads/index.ts`.
 *
 * Rows: `tanka-hk` (through Effect), `tanka-plain` (no Effect, the ratio baseline: ×tanka-plain
 * below 1 is the Effect overhead), and in the getParameter column `tanka-hk-floor` (an apply that
 * reads no parameter: the handler's own cost, to subtract).
 */
import { Effect } from "effect"
import { type Tensor, hk, jax, jnp } from "../tanka.js"
import type { hk as HK } from "../../src/index.js"
import { type AnyContestant, contestant, type Workload } from "../harness.js"
import { MLP_BATCH as B, MLP_SHAPES, type MlpParams, mlpForwardF64, mlpInput, mlpParams } from "../data.js"
import { budget, tankaRow, type BenchEnv, type WorkloadFactory } from "./common.js"

const GROUP = "haiku"
const TITLE = "haiku: Effect overhead of hk.getParameter and of one apply handler run (µs per op)"
const run = <A>(e: Effect.Effect<A, any, never>): A => Effect.runSync(e)
const perOp = (ops: number) => ({ label: "µs/op", fromMs: (ms: number) => (ms * 1e3) / ops, higherIsBetter: false })
const common = (env: BenchEnv) => ({ group: GROUP, groupTitle: TITLE, baseline: "tanka-plain", budgetMs: budget(env, 700), minSamples: env.quick ? 3 : 7, maxRounds: 80 })

// ---- one getParameter inside apply -------------------------------------------------------------

const GETS = 1000
const NAMES = Array.from({ length: 10 }, (_, i) => `p${i}`)
const LAST = (GETS - 1) % NAMES.length

const getParameter = (env: BenchEnv): Workload => {
  const params: HK.ParamTree = { "~": Object.fromEntries(NAMES.map((n, i) => [n, jnp.full([4], i)])) }
  // GETS reads of existing params (as in apply), chained with flatMap: no generator per call
  const reads = () => {
    let eff: Effect.Effect<Tensor | null, never, HK.Params> = Effect.succeed(null)
    for (let i = 0; i < GETS; i++) eff = Effect.flatMap(eff, () => hk.getParameter(NAMES[i % NAMES.length]!, [4]))
    return eff as Effect.Effect<Tensor, never, HK.Params>
  }
  const withReads = hk.transform(reads)
  const last = params["~"]![NAMES[LAST]!]!
  const floor = hk.transform(() => Effect.succeed(last))
  const cs: AnyContestant[] = [
    tankaRow(env.tanka.base, {
      name: "tanka-hk",
      note: `\`hk.transform(f).apply\` where f chains ${GETS} \`hk.getParameter\` reads of existing f32[4] params (µs per read)`,
      run: () => run(withReads.apply(params, null)).toTypedArray()
    }),
    tankaRow(env.tanka.base, {
      name: "tanka-hk-floor",
      note: "`hk.transform(f).apply` where f reads no parameter: the handler's own cost (per op = amortised over the same count)",
      run: () => run(floor.apply(params, null)).toTypedArray()
    }),
    tankaRow(env.tanka.base, {
      name: "tanka-plain",
      note: `${GETS} plain reads \`params[bundle][name]\` with the same shape check, no Effect`,
      run: () => {
        let v: Tensor | null = null
        for (let i = 0; i < GETS; i++) {
          v = params["~"]![NAMES[i % NAMES.length]!]!
          if (v.shape.length !== 1 || v.shape[0] !== 4) throw new Error("shape")
        }
        return v!.toTypedArray()
      }
    })
  ]
  return {
    ...common(env),
    id: "haiku-getparam",
    column: "getParameter",
    title: `one hk.getParameter inside apply (${GETS} reads per sample, µs per read)`,
    metric: perOp(GETS),
    reference: () => new Float64Array(4).fill(LAST),
    tolerance: 0,
    contestants: cs
  }
}

// ---- one apply: 50 params ----------------------------------------------------------------------

const N = 50

const fiftyParams = (env: BenchEnv): Workload => {
  const names = Array.from({ length: N }, (_, i) => `p${i}`)
  const params: HK.ParamTree = { "~": Object.fromEntries(names.map((n) => [n, jnp.ones([4])])) }
  const x = jnp.ones([4])
  const body = Effect.fnUntraced(function* (x: Tensor) {
    let acc = x
    for (const n of names) acc = jnp.add(acc, yield* hk.getParameter(n, [4], jnp.ones))
    return acc
  })
  const t = hk.transform(body)
  const plain = (p: HK.ParamTree, x: Tensor): Tensor => {
    let acc = x
    for (const n of names) acc = jnp.add(acc, p["~"]![n]!)
    return acc
  }
  return {
    ...common(env),
    id: "haiku-apply50",
    column: `apply, ${N} params`,
    title: `one apply: x + p0 + … + p${N - 1} over f32[4] params, read back (µs per apply)`,
    metric: perOp(1),
    reference: () => new Float64Array(4).fill(N + 1),
    tolerance: 0,
    contestants: [
      tankaRow(env.tanka.base, {
        name: "tanka-hk",
        note: `\`hk.transform(f).apply\`, f an \`Effect.fnUntraced\` with ${N} \`yield* hk.getParameter\` and ${N} \`jnp.add\``,
        run: () => run(t.apply(params, null, x)).toTypedArray()
      }),
      tankaRow(env.tanka.base, {
        name: "tanka-plain",
        note: `the same ${N} \`jnp.add\` over the param tree, as a plain function`,
        run: () => plain(params, x).toTypedArray()
      })
    ]
  }
}

// ---- one apply: MLP 784-300-100-10, batch 128 --------------------------------------------------

const mlpApply = (env: BenchEnv): Workload => {
  const P: MlpParams = mlpParams()
  const X = mlpInput()
  const sizes = [300, 100, 10]
  const layer = (i: number) => ({ w: `w${i + 1}` as keyof MlpParams, b: `b${i + 1}` as keyof MlpParams })
  const setup = () => {
    const t = (k: keyof MlpParams) => jnp.array(P[k], { shape: [...MLP_SHAPES[k]] })
    const params: HK.ParamTree = Object.fromEntries(sizes.map((_, i) => [`mlp/~/linear_${i}`, { w: t(layer(i).w), b: t(layer(i).b) }]))
    return { params, x: jnp.array(X, { shape: [B, 784] }) }
  }
  type Ctx = ReturnType<typeof setup>
  const t = hk.transform((x: Tensor) => Effect.flatMap(hk.nets.MLP(sizes), (m) => m(x)))
  const plain = (p: HK.ParamTree, x: Tensor): Tensor => {
    let out = x
    sizes.forEach((_, i) => {
      const l = p[`mlp/~/linear_${i}`]!
      out = jnp.add(jnp.matmul(out, l.w!), l.b!)
      if (i < sizes.length - 1) out = jax.nn.relu(out)
    })
    return out
  }
  return {
    ...common(env),
    id: "haiku-mlp",
    column: "apply, MLP 784-300-100-10 b128",
    title: "one apply: hk.nets.MLP([300, 100, 10]) forward at batch 128, logits read back (µs per apply)",
    metric: perOp(1),
    reference: () => mlpForwardF64(P, X),
    tolerance: 1e-4,
    budgetMs: budget(env, 1500),
    minSamples: env.quick ? 3 : 5,
    maxRounds: 40,
    contestants: [
      tankaRow(env.tanka.base, {
        name: "tanka-hk",
        note: "`hk.transform(f).apply(params, null, x)`, f builds `hk.nets.MLP([300, 100, 10])` and calls it (module naming, 6 getParameter)",
        setup,
        run: (c: Ctx) => run(t.apply(c.params, null, c.x)).toTypedArray()
      }),
      tankaRow(env.tanka.base, {
        name: "tanka-plain",
        note: "the same `matmul`/`add`/`relu` over the param tree, as a plain function",
        setup,
        run: (c: Ctx) => plain(c.params, c.x).toTypedArray()
      })
    ]
  }
}

/**
 * The Haiku-overhead rows of `npm run bench` (group `haiku`).
 *
 * @example
 * // bench/workloads/index.ts
 * import { haiku } from "../haiku.js"
 * export const GROUPS = [...existing, { group: "haiku", build: haiku }]
 */
export const haiku: WorkloadFactory = (env) => [getParameter(env), fiftyParams(env), mlpApply(env)]
