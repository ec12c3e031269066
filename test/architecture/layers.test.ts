/**
 * The folders are the layers, and imports point down only:
 *
 *   kernels → transforms (core, raw, compile, numpy, random: pure JAX) → effects (services,
 *   frame, handlers, lift, wrapped hk.* transforms, interceptors) → nn (modules, nets,
 *   optimizers, checkpoints, data) → the entry (src/index.ts and the hk namespace, src/hk.ts)
 *
 * `src/jax.ts`, `src/jnp.ts` and `src/jax/` are the public faces of the transforms layer (they
 * re-export kernels and transforms only), so they sit in that layer and `nn` may use them.
 *
 * Every relative import of every file under src/ (static, type-only, re-exports and dynamic
 * `import()`) is resolved and checked: a file may import its own layer or a lower one, never a
 * higher one. A file in a folder that has no layer is an error too, so a new folder has to be
 * placed in the order before it can hold code.
 */
import { readdirSync, readFileSync, statSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const repo = resolve(fileURLToPath(new URL("../..", import.meta.url)))
const src = join(repo, "src")

/** The layers, lowest first; a path (relative to src/, with /) belongs to the first prefix it starts with. */
const LAYERS: ReadonlyArray<{ readonly name: string; readonly prefixes: ReadonlyArray<string> }> = [
  { name: "kernels", prefixes: ["kernels/"] },
  { name: "transforms", prefixes: ["transforms/", "jax/", "jax.ts", "jnp.ts"] },
  { name: "effects", prefixes: ["effects/"] },
  { name: "nn", prefixes: ["nn/"] },
  { name: "index", prefixes: ["index.ts", "hk.ts", "node.ts"] }
]

/** The layer index of a path under src/, or -1 if none fits (a folder or entry file that is not in the order). */
export const layerOf = (path: string): number =>
  LAYERS.findIndex((l) => l.prefixes.some((p) => (p.endsWith("/") ? path.startsWith(p) : path === p)))

/** The module specifiers a source file imports (comments removed first, so JSDoc examples do not count). */
export const importsOf = (source: string): string[] => {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "")
  const out: string[] = []
  for (const m of code.matchAll(/\b(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,]*?\s+from\s+)?["']([^"']+)["']/g)) out.push(m[1]!)
  for (const m of code.matchAll(/\bimport\s*\(\s*["']([^"']+)["']\s*\)/g)) out.push(m[1]!)
  return out
}

export interface Violation {
  readonly file: string
  readonly imports: string
  readonly why: string
}

/** The upward (or unplaced) imports among `files` (paths relative to src/ → source text). */
export const violations = (files: ReadonlyMap<string, string>): Violation[] => {
  const out: Violation[] = []
  for (const [file, source] of files) {
    const from = layerOf(file)
    if (from < 0) {
      out.push({ file, imports: "", why: `src/${file} is in a folder with no layer; add the folder to LAYERS (kernels → transforms → effects → nn → index)` })
      continue
    }
    for (const spec of importsOf(source)) {
      if (!spec.startsWith(".")) continue
      const target = relative(src, resolve(join(src, dirname(file)), spec)).split("\\").join("/").replace(/\.js$/, ".ts")
      if (target.startsWith("..")) continue // outside src (none today)
      const to = layerOf(target)
      if (to > from) out.push({ file, imports: target, why: `${LAYERS[from]!.name} imports ${LAYERS[to]!.name}` })
      if (to < 0) out.push({ file, imports: target, why: "the target is in a folder with no layer" })
    }
  }
  return out
}

const sources = (dir: string): Map<string, string> => {
  const out = new Map<string, string>()
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name)
      if (statSync(p).isDirectory()) walk(p)
      else if (/\.(ts|mts|cts)$/.test(name)) out.set(relative(dir, p).split("\\").join("/"), readFileSync(p, "utf8"))
    }
  }
  walk(dir)
  return out
}

describe("layering: kernels → transforms → effects → nn → index", () => {
  it("no file under src/ imports a higher layer", () => {
    const files = sources(src)
    expect(files.size).toBeGreaterThan(100)
    const found = violations(files).map((v) => `src/${v.file} → src/${v.imports}: ${v.why}`)
    expect(found).toEqual([])
  })

  it("the folders hold what the issue places there (Haiku-free transforms; modules in nn)", () => {
    const files = [...sources(src).keys()]
    expect(files.filter((f) => f.startsWith("transforms/hk/"))).toEqual([])
    expect(files.filter((f) => f.startsWith("effects/modules/"))).toEqual([])
    for (const f of ["effects/lift.ts", "effects/wrapped/vmap.ts", "effects/wrapped/scan.ts", "nn/modules/Linear.ts", "nn/nets/MLP.ts"]) expect(files).toContain(f)
  })

  it("the checker flags an upward import of every kind, and an unplaced folder", () => {
    const bad = new Map([
      ["transforms/core/x.ts", 'import { Params } from "../../effects/services.js"'],
      ["transforms/raw/y.ts", 'import type { Frame } from "../../effects/Frame.js"'],
      ["kernels/z.ts", 'export { relu } from "../transforms/numpy/nn.js"'],
      ["effects/w.ts", 'const m = await import("../nn/modules/Linear.js")'],
      ["effects/v.ts", 'import {\n  Linear,\n  type LinearOptions\n} from "../nn/modules/Linear.js"'],
      ["nn/u.ts", 'import { hk } from "../index.js"'],
      ["jnp.ts", 'export { Linear } from "./nn/modules/Linear.js"'],
      ["stray/t.ts", "export const t = 1"],
      ["extra.ts", "export const t = 1"]
    ])
    expect(violations(bad).map((v) => v.file)).toEqual(["transforms/core/x.ts", "transforms/raw/y.ts", "kernels/z.ts", "effects/w.ts", "effects/v.ts", "nn/u.ts", "jnp.ts", "stray/t.ts", "extra.ts"])
  })

  it("downward and same-layer imports, package imports and JSDoc examples pass", () => {
    const good = new Map([
      ["nn/modules/a.ts", 'import { Effect } from "effect"\nimport { getParameter } from "../../effects/getParameter.js"\nimport * as lax from "../../transforms/core/lax.js"'],
      ["effects/b.ts", '/**\n * @example\n * import { hk } from "../index.js"\n */\nimport { Frame } from "./Frame.js"'],
      ["hk.ts", 'export * as nets from "./nn/nets/index.js"'],
      ["nn/optim/c.ts", 'import * as jnp from "../../jnp.js"\nimport * as jax from "../../jax.js"']
    ])
    expect(violations(good)).toEqual([])
  })
})

/** Every file reached from `entry` by relative imports (paths relative to src/), with the non-relative specifiers each one imports. */
const reachable = (files: ReadonlyMap<string, string>, entry: string): Map<string, string[]> => {
  const out = new Map<string, string[]>()
  const todo = [entry]
  while (todo.length > 0) {
    const file = todo.pop()!
    if (out.has(file)) continue
    const source = files.get(file)
    if (source === undefined) throw new Error(`src/${file} is imported but does not exist`)
    const external: string[] = []
    for (const spec of importsOf(source)) {
      if (!spec.startsWith(".")) external.push(spec)
      else todo.push(relative(src, resolve(join(src, dirname(file)), spec)).split("\\").join("/").replace(/\.js$/, ".ts"))
    }
    out.set(file, external)
  }
  return out
}

describe("the root entry is platform-neutral (issue 12: a plain browser bundle failed on node:fs)", () => {
  it("nothing src/index.ts reaches imports a node: module; src/node.ts adds the file I/O", () => {
    const files = sources(src)
    const fromRoot = reachable(files, "index.ts")
    expect(fromRoot.size).toBeGreaterThan(100)
    const nodeImports = [...fromRoot].flatMap(([file, specs]) => specs.filter((s) => s.startsWith("node:")).map((s) => `src/${file} imports ${s}`))
    expect(nodeImports).toEqual([])
    const fromNode = [...reachable(files, "node.ts")].flatMap(([file, specs]) => specs.filter((s) => s.startsWith("node:")).map(() => file))
    expect(new Set(fromNode)).toEqual(new Set(["nn/checkpoint/loadCheckpoint.ts", "nn/checkpoint/writeFileAtomic.ts", "nn/data/mnist.ts"]))
  })
})

