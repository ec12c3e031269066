/**
 * Compiler diagnostics for compile-time tests, with their text: from the TypeScript 7 API
 * (`typescript/unstable/sync`, which drives the native compiler), or by running `tsc` and
 * parsing its output. `@ts-expect-error` accepts any error; these let a test pin the message.
 */
import { spawnSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { join, resolve } from "node:path"

/** One error: where it starts (1-based line), its code and its first line of text (the head of the message chain). */
export interface Diagnostic {
  readonly file: string
  readonly line: number
  readonly code: number
  readonly text: string
}

const lineOf = (source: string, pos: number): number => {
  let line = 1
  for (let i = 0; i < pos && i < source.length; i++) if (source.charCodeAt(i) === 10) line++
  return line
}

/** The semantic and syntactic errors of `files` in the project `tsconfig`, through the TypeScript 7 API. */
export const apiDiagnostics = async (tsconfig: string, files: ReadonlyArray<string>): Promise<Diagnostic[]> => {
  const { API } = await import("typescript/unstable/sync")
  const api = new API({ cwd: resolve(tsconfig, "..") })
  try {
    const snapshot = api.updateSnapshot({ openProjects: [tsconfig] })
    const project = snapshot.getProject(tsconfig) ?? snapshot.getProjects()[0]
    if (project === undefined) throw new Error(`the TypeScript API opened no project for ${tsconfig}`)
    return files.flatMap((file) => {
      const source = readFileSync(file, "utf8")
      return [...project.program.getSyntacticDiagnostics(file), ...project.program.getSemanticDiagnostics(file)]
        .filter((d) => d.category === 1)
        .map((d) => ({ file, line: lineOf(source, d.pos), code: d.code, text: d.text }))
    })
  } finally {
    api.close()
  }
}

/** The same, by running `tsc -p tsconfig --noEmit --pretty false` and parsing `file(line,col): error TSn: text` lines. */
export const cliDiagnostics = (repo: string, tsconfig: string): Diagnostic[] => {
  const r = spawnSync(join(repo, "node_modules", ".bin", "tsc"), ["-p", tsconfig, "--noEmit", "--pretty", "false"], { cwd: repo, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 })
  if (r.error) throw r.error
  const out: Diagnostic[] = []
  for (const l of r.stdout.split("\n")) {
    const m = /^(.+?)\((\d+),(\d+)\): error TS(\d+): (.*)$/.exec(l)
    if (m) out.push({ file: resolve(repo, m[1]!), line: Number(m[2]), code: Number(m[4]), text: m[5]! })
  }
  return out
}

/** A fixture's expectations: for each line preceded by `//~ text` comments, the texts its first error must contain. */
export const markers = (file: string): Map<number, string[]> => {
  const lines = readFileSync(file, "utf8").split("\n")
  const expected = new Map<number, string[]>()
  let pending: string[] = []
  lines.forEach((l, i) => {
    const m = /^\s*\/\/~ (.*)$/.exec(l)
    if (m) pending.push(m[1]!)
    else if (pending.length > 0) {
      expected.set(i + 1, pending)
      pending = []
    }
  })
  return expected
}
