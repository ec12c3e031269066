/**
 * The `@example` blocks of `src/**\/*.ts`, as TypeScript modules that a type check can read.
 *
 * The convention (for writers of examples):
 * - An example is the text after `@example` up to the next tag or the end of the comment; a
 *   ```ts fence around it is optional.
 * - It is a snippet of a program: its `import` and `declare` lines are module-level, the rest is
 *   the body of an `Effect.gen(function* () { … })`, so it may `yield*` Effects (a module body, an
 *   `hk.transform`ed function) as well as run them with `Effect.runSync`.
 * - Without an import from `"tanka"` or `"tanka/node"` it gets
 *   `import { Effect } from "effect"` and `import { Tensor, hk, jax, jnp, optax, data } from "tanka"`
 *   (an example that imports from tanka names what it uses; `Effect` is added when not imported).
 * - These names are declared for every example, so it may use them as given values: `x`, `y`, `xs`
 *   (tensors), `key` (a PRNG key), `params`, `grads` (param trees), `state` (a state tree). Any other
 *   name it uses but does not define comes from a `declare` line of its own
 *   (`declare const net: (x: Tensor) => Effect.Effect<Tensor, never, hk.Params>`).
 * - An example of an internal module (one the public entries do not export) imports it as
 *   `tanka/internal/<path under src>` (`import * as K from "tanka/internal/kernels/index.js"`).
 * - Examples are type-checked, not run.
 */
import { readFileSync, readdirSync, statSync } from "node:fs"
import { join, relative } from "node:path"

/** One `@example`: where it is and its text (comment stars removed). */
export interface Example {
  readonly file: string
  /** 1-based line of the `@example` tag. */
  readonly line: number
  readonly code: string
}

const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? walk(p) : p.endsWith(".ts") ? [p] : []
  })

/** Every `@example` block in the JSDoc of the `.ts` files under `srcDir`. */
export const extractExamples = (repo: string, srcDir = "src"): Example[] => {
  const out: Example[] = []
  for (const path of walk(join(repo, srcDir)).sort()) {
    const text = readFileSync(path, "utf8")
    const comment = /\/\*\*[\s\S]*?\*\//g
    for (let m = comment.exec(text); m !== null; m = comment.exec(text)) {
      const startLine = text.slice(0, m.index).split("\n").length
      const lines = m[0]
        .replace(/^\/\*\*/, "")
        .replace(/\*\/$/, "")
        .split("\n")
        .map((l) => l.replace(/^\s*\* ?/, ""))
      for (let i = 0; i < lines.length; i++) {
        const tag = /^\s*@example\b(.*)$/.exec(lines[i]!)
        if (tag === null) continue
        const body: string[] = tag[1]!.trim() === "" ? [] : [tag[1]!.trim()]
        let j = i + 1
        for (; j < lines.length && !/^\s*@\w+/.test(lines[j]!); j++) body.push(lines[j]!)
        const code = body
          .filter((l) => !/^\s*```/.test(l))
          .join("\n")
          .trim()
        out.push({ file: relative(repo, path), line: startLine + i, code })
        i = j - 1
      }
    }
  }
  return out
}

/** The values every example may use without declaring them (unless it declares them itself). */
const GIVEN: ReadonlyArray<readonly [string, string]> = [
  ["x", `import("tanka").Tensor`],
  ["y", `import("tanka").Tensor`],
  ["xs", `import("tanka").Tensor`],
  ["key", `import("tanka").Key`],
  ["params", `import("tanka").hk.ParamTree`],
  ["grads", `import("tanka").hk.ParamTree`],
  ["state", `import("tanka").hk.StateTree`]
]

/** `paths` for the examples' tsconfig (relative to a directory two levels below the repository). */
export const EXAMPLE_PATHS = {
  tanka: ["../../src/index.ts"],
  "tanka/node": ["../../src/node.ts"],
  "tanka/internal/*": ["../../src/*"]
}

/** The names an example's own `declare` lines declare (`declare const a: T, b: (x: U) => V` declares a and b). */
const declaredNames = (head: string): Set<string> => {
  const names = new Set<string>()
  for (const line of head.split("\n")) {
    if (!/^declare\s/.test(line)) continue
    let flat = line
    for (let prev = ""; prev !== flat; ) {
      prev = flat
      flat = flat.replace(/\([^()]*\)|<[^<>]*>|\{[^{}]*\}|\[[^[\]]*\]/g, "")
    }
    for (const m of flat.matchAll(/(?:^declare\s+(?:const|let|var|function)\s+|,\s*)(\w+)/g)) names.add(m[1]!)
  }
  return names
}

/** The module the type check reads for `ex` (see the convention above). */
export const exampleModule = (ex: Example): string => {
  const lines = ex.code.split("\n")
  const head: string[] = []
  const body: string[] = []
  // an import may span lines: keep everything up to its `from "…"`
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!
    if (/^(import|declare)\b/.test(l)) {
      head.push(l)
      if (/^import\b/.test(l) && !/from\s+["']/.test(l)) {
        while (++i < lines.length) {
          head.push(lines[i]!)
          if (/from\s+["']/.test(lines[i]!)) break
        }
      }
    } else body.push(l)
  }
  const src = head.join("\n")
  const prelude: string[] = []
  if (!/from\s+["']effect["']/.test(src) || !/\bEffect\b/.test(src.split("\n").filter((l) => /from\s+["']effect["']/.test(l)).join("\n"))) prelude.push(`import { Effect } from "effect"`)
  if (!/from\s+["']tanka(\/node)?["']/.test(src)) prelude.push(`import { Tensor, hk, jax, jnp, optax, data } from "tanka"`)
  return [
    `// ${ex.file}:${ex.line}`,
    ...prelude,
    src,
    ...GIVEN.filter(([name]) => !declaredNames(src).has(name)).map(([name, type]) => `declare const ${name}: ${type}`),
    `export const example = Effect.gen(function* () {`,
    ...body.map((l) => `  ${l}`),
    `})`,
    ``
  ].join("\n")
}
