/**
 * Every `@example` in the JSDoc of `src/**\/*.ts` type-checks (the convention examples follow is
 * in `./examples.ts`): the examples are written out as modules under `.tmp/examples` and checked
 * by one run of `tsc` with the project's compiler options, so a wrong name, argument or type in an
 * example fails this test with the example's file and line.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { describe, expect, it } from "vitest"
import { EXAMPLE_PATHS, exampleModule, extractExamples } from "./examples.js"
import { cliDiagnostics } from "../support/diagnostics.js"

const repo = resolve(import.meta.dirname, "..", "..")

/** Write `modules` under `dir` with a tsconfig extending the project's, type-check them, and return each module's errors. */
const check = (dir: string, modules: ReadonlyArray<string>) => {
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const files = modules.map((m, i) => {
    const f = join(dir, `example${String(i).padStart(3, "0")}.ts`)
    writeFileSync(f, m)
    return f
  })
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ extends: "../../tsconfig.json", compilerOptions: { paths: EXAMPLE_PATHS }, include: [], files: files.map((f) => f.slice(dir.length + 1)) }, null, 2))
  const diagnostics = cliDiagnostics(repo, join(dir, "tsconfig.json"))
  return files.map((f) => diagnostics.filter((d) => d.file === f))
}

describe("the @example blocks of the JSDoc", () => {
  const examples = extractExamples(repo)

  it("are found: every public entry point family has some", () => {
    expect(examples.length).toBeGreaterThan(200)
    for (const file of ["src/effects/transform.ts", "src/effects/lift.ts", "src/transforms/raw/control.ts", "src/transforms/raw/jit.ts", "src/transforms/core/tree.ts", "src/transforms/core/lax.ts"]) expect(examples.some((e) => e.file === file), file).toBe(true)
  })

  it("type-check, all of them in one compile", () => {
    const errors = check(join(repo, ".tmp", "examples"), examples.map(exampleModule))
    const failing = examples.flatMap((ex, i) => (errors[i]!.length === 0 ? [] : [`${ex.file}:${ex.line}\n${errors[i]!.map((d) => `  line ${d.line}: TS${d.code} ${d.text}`).join("\n")}\n${exampleModule(ex)}`]))
    expect(failing, failing.join("\n")).toEqual([])
  })

  it("a wrong example fails the check (the check can fail)", () => {
    const bad = [
      { file: "bad.ts", line: 1, code: `const y: number = jnp.ones([2])` },
      { file: "bad.ts", line: 2, code: `hk.noSuchFunction()` },
      { file: "good.ts", line: 3, code: `const z = jnp.add(x, jnp.ones([2]))` }
    ]
    const errors = check(join(repo, ".tmp", "examples-bad"), bad.map(exampleModule))
    expect(errors.map((e) => e.length > 0)).toEqual([true, true, false])
  })
})
