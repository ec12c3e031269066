/**
 * Differential program fuzzing: random programs over the op table (`test/fuzz/program.ts`) inside
 * random transform stacks (`vmap`, `grad`, `jit`, `lax.scan`, `lax.cond`, `lax.whileLoop`), each
 * run on every CPU configuration, eager and under `jax.jit`, and abstractly by `jax.evalShape`,
 * against the float64 reference. Every run either agrees within the reference's error bound or,
 * for a program that is truly invalid, raises a typed tanka error; a wrong number or an untyped
 * exception fails. `FUZZ_RUNS=N` runs N programs (default 24), `FUZZ_SEED` changes the seed.
 */
import { afterAll, describe, expect, it } from "vitest"
import fc from "fast-check"
import { jax, type Tensor } from "../../src/index.js"
import { type RefCtx, Rnd, buildProgram, showProgram } from "./program.js"
import { compare, isTypedTankaError } from "./check.js"
import { type Fn, drawArgs, programFn, wrapRandom } from "./transforms.js"

const RUNS = Number(process.env.FUZZ_RUNS ?? 24)
const SEED = Number(process.env.FUZZ_SEED ?? 20261201)
const CPU_MODES = ["wasm-simd", "webasm", "cpu"] as const
const MODES = jax.availableModes().filter((m) => (CPU_MODES as ReadonlyArray<string>).includes(m))

const stats = { programs: 0, checked: 0, skipped: 0, typedErrors: 0, runs: 0, wrappers: new Map<string, number>() }

interface Outcome {
  readonly value?: Tensor[]
  readonly error?: Error & { _tag: string }
}
/** Run `f`; a typed tanka error is an outcome, anything else fails with the case's description. */
const attempt = (f: () => Tensor[], what: string): Outcome => {
  try {
    return { value: f() }
  } catch (e) {
    if (isTypedTankaError(e)) return { error: e }
    throw new Error(`${what}: untyped exception ${e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e)}`, { cause: e })
  }
}

/** Run one case everywhere; returns a description of the first disagreement, or throws. */
export const checkCase = (fn: Fn, expectError: string | null, argSeed: number, header: string): "checked" | "skipped" | "typed" => {
  const { tensors, refs } = drawArgs(fn.args, new Rnd(argSeed))
  const ctx: RefCtx = { ambiguousValue: false, ambiguousGrad: false }
  const want = expectError ? null : fn.ref(refs, ctx)
  if (ctx.ambiguousValue || (ctx.ambiguousGrad && fn.hasGrad)) return "skipped"
  const before = jax.getBackend().mode
  let typed = false
  try {
    // evalShape: no kernel runs, the reference's shapes
    const shapes = attempt(() => jax.evalShape((...xs: Tensor[]) => fn.tanka(...xs), ...tensors) as unknown as Tensor[], `${header}\njax.evalShape`)
    if (shapes.error) {
      if (!expectError) throw new Error(`${header}\njax.evalShape raised ${shapes.error._tag}: ${shapes.error.message}`)
      typed = true
    } else if (want) {
      const got = shapes.value!.map((s) => `${s.dtype}[${s.shape.join(",")}]`).join(" ")
      expect(got, `${header}\njax.evalShape`).toBe(want.map((w) => `float32[${w.shape.join(",")}]`).join(" "))
    }
    for (const mode of MODES) {
      jax.setBackend(mode)
      const jitted = jax.jit((...xs: Tensor[]) => fn.tanka(...xs))
      for (const [how, f] of [["eager", () => fn.tanka(...tensors)], ["jit", () => jitted(...tensors)]] as const) {
        stats.runs++
        const what = `${header}\n${mode} ${how}`
        const r = attempt(f, what)
        if (r.error) {
          if (!expectError) throw new Error(`${what}: raised ${r.error._tag} on a valid program: ${r.error.message}`)
          typed = true
          continue
        }
        if (expectError) throw new Error(`${what}: returned a value, but the program is invalid (${expectError}); expected a typed error`)
        compare(r.value!, want!, what)
      }
    }
  } finally {
    jax.setBackend(before)
  }
  return typed ? "typed" : "checked"
}

describe("differential program fuzzing", () => {
  afterAll(() => {
    const ws = [...stats.wrappers].map(([k, v]) => `${k} ${v}`).join(", ")
    console.log(
      `fuzz: tried ${stats.programs} programs (${stats.checked} checked against float64, ${stats.typedErrors} invalid ones raised typed errors, ${stats.skipped} skipped at a near-tie) ` +
        `in ${stats.runs} runs (eager and jit) on ${MODES.join(", ")}; wrappers: ${ws || "none"}`
    )
  })

  it("random programs under random transforms agree with float64 or raise a typed error, on every CPU configuration, eager and under jit", () => {
    expect(MODES.length).toBeGreaterThan(0)
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 2 }), (seed, steps, depth) => {
        const prog = buildProgram(seed, steps)
        const rnd = new Rnd(seed ^ 0x5bd1e995)
        const { fn, expectError } = wrapRandom(programFn(prog), rnd, depth)
        const header = `program (seed ${seed}, steps ${steps}, depth ${depth}):\n${showProgram(prog)}\nas ${fn.label}`
        stats.programs++
        for (const w of fn.label.match(/\b(vmap|grad|scan|cond|while|jit)\(/g) ?? []) stats.wrappers.set(w.slice(0, -1), (stats.wrappers.get(w.slice(0, -1)) ?? 0) + 1)
        const r = checkCase(fn, expectError, seed + 1, header)
        if (r === "skipped") stats.skipped++
        else if (r === "typed") stats.typedErrors++
        else stats.checked++
      }),
      { numRuns: RUNS, seed: SEED }
    )
  }, Math.max(60_000, RUNS * 500))
})
