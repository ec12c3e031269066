/**
 * tanka against real JAX: every case recorded by scripts/jax-reference/generate.py (JAX's
 * output for a call on stored inputs, or the error JAX raised) is replayed here. Outputs must
 * have JAX's shape and dtype and agree within the family's tolerance (integers and bools
 * exactly); where JAX raised, tanka must raise a tagged error whose message names the fix.
 */
import { describe, expect, it } from "vitest"
import { Tensor } from "../../src/index.js"
import { expectedOf, expectedValues, loadFixtures, TOLERANCES, type EncodedArray, type Expected, type FixtureCase } from "./fixtures.js"
import { runOp } from "./ops.js"
import { ERROR_EXPECTATIONS } from "./errors.js"

const files = loadFixtures()

/** Flattens tanka's result (a tensor or nested arrays/tuples of tensors) in the order of JAX's output. */
const flattenActual = (v: unknown): Tensor[] => {
  if (v instanceof Tensor) return [v]
  if (Array.isArray(v)) return v.flatMap(flattenActual)
  throw new Error(`tanka returned ${typeof v}, not tensors`)
}
const flattenExpected = (e: Expected): EncodedArray[] => (Array.isArray(e) ? e.flatMap(flattenExpected) : [e])

const compare = (c: FixtureCase, family: string, actual: unknown): void => {
  const expected = flattenExpected(expectedOf(c.out!))
  const got = flattenActual(actual)
  expect(got.length, `${c.id}: number of outputs`).toBe(expected.length)
  const tol = TOLERANCES[family] ?? { rtol: 0, atol: 0 }
  expected.forEach((e, k) => {
    const t = got[k]!
    expect([...t.shape], `${c.id}: shape of output ${k}`).toEqual(e.shape)
    expect(t.dtype, `${c.id}: dtype of output ${k}`).toBe(e.dtype)
    const want = expectedValues(e)
    const have = Float64Array.from(t.toTypedArray() as ArrayLike<number>)
    const exact = e.dtype !== "float32"
    for (let i = 0; i < want.length; i++) {
      const y = want[i]!
      const x = have[i]!
      const ok = Number.isNaN(y) ? Number.isNaN(x) : !Number.isFinite(y) || exact ? x === y : Math.abs(x - y) <= tol.atol + tol.rtol * Math.abs(y)
      if (!ok) {
        expect.fail(`${c.id}: output ${k} element ${i}: tanka ${x}, JAX ${y} (|diff| ${Math.abs(x - y)}; ${exact ? "must be exact" : `family ${family}: rtol ${tol.rtol}, atol ${tol.atol}`})`)
      }
    }
  })
}

describe("the fixtures", () => {
  it("exist for every family, recorded by real JAX", () => {
    const families = files.map((f) => f.family).sort()
    expect(families).toEqual(["elementwise", "errors", "linalg", "nn", "random", "reductions", "shapes", "sorting", "transforms"])
    for (const f of files) expect(f.jax, f.family).toMatch(/^\d+\.\d+/)
  })
  it("name a tolerance for every family with outputs, and an expectation for every error", () => {
    for (const f of files) if (f.family !== "errors") expect(TOLERANCES[f.family], f.family).toBeDefined()
    const errorIds = files.flatMap((f) => f.cases.filter((c) => c.error !== undefined).map((c) => c.id)).sort()
    expect(Object.keys(ERROR_EXPECTATIONS).sort()).toEqual(errorIds)
  })
})

for (const file of files) {
  const outputs = file.cases.filter((c) => c.out !== undefined)
  const errors = file.cases.filter((c) => c.error !== undefined)
  if (outputs.length > 0) {
    describe(`${file.family}: tanka computes what JAX ${file.jax} computes`, () => {
      it.each(outputs.map((c) => [c.id, c] as const))("%s", (_id, c) => {
        compare(c, file.family, runOp(c.op, c.args, c.kw))
      })
    })
  }
  if (errors.length > 0) {
    describe(`${file.family}: where JAX raises, tanka raises a tagged error naming the fix`, () => {
      it.each(errors.map((c) => [c.id, c] as const))("%s", (_id, c) => {
        const want = ERROR_EXPECTATIONS[c.id]!
        let thrown: unknown
        try {
          runOp(c.op, c.args, c.kw)
        } catch (e) {
          thrown = e
        }
        expect(thrown, `${c.id}: JAX raised "${c.error}", tanka returned normally`).toBeDefined()
        const err = thrown as { _tag?: string; message?: string }
        expect(want.tags, `${c.id}: JAX raised "${c.error}"; tanka threw ${err._tag ?? String(thrown)}: ${err.message}`).toContain(err._tag)
        expect(err.message, `${c.id}: JAX raised "${c.error}"`).toMatch(want.message)
      })
    })
  }
}
