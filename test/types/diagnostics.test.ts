/**
 * The compile-time guarantee, pinned by the text of each diagnostic: the fixtures in
 * `test/types/fixtures/` are compiled with the TypeScript 7 API, and every line marked
 * `//~ text` must have an error whose first line contains each of its texts — so a regression to
 * a generic "not assignable" message, or an error landing on another argument, fails — while no
 * unmarked line may have an error (those are the cases that must keep compiling).
 */
import { relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { beforeAll, describe, expect, it } from "vitest"
import { apiDiagnostics, cliDiagnostics, markers, type Diagnostic } from "../support/diagnostics.js"

const repo = resolve(fileURLToPath(new URL("../..", import.meta.url)))
const tsconfig = resolve(repo, "test/types/fixtures/tsconfig.json")
const fixtures = ["basics.ts", "holes.ts"].map((f) => resolve(repo, "test/types/fixtures", f))

let diagnostics: Diagnostic[] = []
beforeAll(async () => {
  diagnostics = await apiDiagnostics(tsconfig, fixtures)
})

const show = (d: Diagnostic) => `${relative(repo, d.file)}:${d.line} TS${d.code}: ${d.text}`

describe.each(fixtures.map((file) => ({ file, name: relative(repo, file) })))("$name", ({ file }) => {
  const expected = markers(file)

  it("has cases (the markers parse)", () => {
    expect(expected.size).toBeGreaterThan(15)
  })

  it.each([...expected.entries()].map(([line, texts]) => ({ line, texts })))("line $line: the error's first line says $texts.0", ({ line, texts }) => {
    const here = diagnostics.filter((d) => d.file === file && d.line === line)
    expect(here.map(show), `no error on ${relative(repo, file)}:${line}`).not.toEqual([])
    for (const t of texts) expect(here.map((d) => d.text).join("\n"), `error at line ${line}`).toContain(t)
  })

  it("every message is printed in full: tsc elides no part of the error type (offendingServices included)", () => {
    const elided = diagnostics.filter((d) => d.file === file && d.text.includes("__hkError") && /\.\.\. \d+ more|\.\.\.'\.?$/.test(d.text))
    expect(elided.map(show)).toEqual([])
  })

  it("no unmarked line has an error", () => {
    const stray = diagnostics.filter((d) => d.file === file && !expected.has(d.line))
    expect(stray.map(show)).toEqual([])
  })
})

describe("the TypeScript API and the tsc command agree", () => {
  it("same errors (file, line, code, first line of text) from both", () => {
    const key = (d: Diagnostic) => `${d.file}:${d.line}:${d.code}:${d.text}`
    const cli = cliDiagnostics(repo, tsconfig).filter((d) => fixtures.includes(d.file))
    expect(cli.map(key).sort()).toEqual(diagnostics.map(key).sort())
    expect(cli.length).toBeGreaterThan(40)
  })
})
