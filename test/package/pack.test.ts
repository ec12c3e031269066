/**
 * The published package works for a separate TypeScript project: `npm pack` (whose `prepack`
 * builds dist/), install the tarball into a scratch consumer, type-check a consumer file with
 * `strict` and NodeNext resolution against the shipped `.d.ts`, run it with node, check its output.
 *
 * The pack runs in a copy of the project (node_modules symlinked), so the build starts from an
 * empty dist/ (no stale files from deleted sources get shipped) and concurrent test runs never
 * write the working tree's dist/.
 */
import { spawnSync } from "node:child_process"
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { basename, join, relative, resolve, sep } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const repo = resolve(fileURLToPath(new URL("../..", import.meta.url)))
const tsc = join(repo, "node_modules", ".bin", "tsc")

/** Environment without the npm_* variables of an enclosing `npm test` (npm_config_local_prefix etc. would point nested npm commands at this repo). */
const cleanEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== "INIT_CWD") env[k] = v
  return { ...env, CI: "true", NO_UPDATE_NOTIFIER: "1" }
}

const run = (cmd: string, args: ReadonlyArray<string>, cwd: string): string => {
  const r = spawnSync(cmd, args, { cwd, env: cleanEnv(), encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 })
  if (r.error) throw r.error
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} (in ${cwd}) exited ${r.status}\n--- stdout\n${r.stdout.slice(-6000)}\n--- stderr\n${r.stderr.slice(-6000)}`)
  }
  return r.stdout
}

const CONSUMER_MAIN = `import { jax, jnp, type Tensor } from "tanka"

const f = (x: Tensor): Tensor => jnp.sum(jnp.multiply(x, x))
const x: Tensor = jnp.array(new Float32Array([1, 2, 3]), { shape: [3] })
const g = jax.grad(f)(x)
const y = jax.jit((a: Tensor, b: Tensor) => jax.nn.relu(jnp.add(jnp.matmul(a, b), 1)))(
  jnp.array([[1, -2], [3, 4]]),
  jnp.array([[1, 0], [0, 1]])
)

// The shipped types are real types, not \`any\`: a Tensor is not a number.
// @ts-expect-error Tensor is not assignable to number
const notANumber: number = jnp.array([1])
void notANumber

console.log("grad=" + Array.from(g.toTypedArray()).join(","))
console.log("jit=" + Array.from(y.toTypedArray()).join(","))
console.log("shape=" + JSON.stringify(y.shape))
console.log("mode=" + jax.getBackend().mode)
console.log("kernel=" + jax.getBackend().lastKernelClass)
`

let work = ""
let tarball = ""
let packedFiles: string[] = []

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "tanka-pack-"))
  // 1. a copy of the project without build output or installed modules
  const project = join(work, "project")
  const skip = new Set(["node_modules", "dist", ".git", "scratch", "checkpoints", ".tmp", ".ci"])
  cpSync(repo, project, {
    recursive: true,
    filter: (src) => {
      const rel = relative(repo, src)
      return rel === "" || (!skip.has(rel.split(sep)[0]!) && !rel.endsWith(".tgz"))
    }
  })
  symlinkSync(join(repo, "node_modules"), join(project, "node_modules"), "dir")
  // 2. npm pack: prepack builds dist/ from src/ (once), then the tarball is written to work/
  const stdout = run("npm", ["pack", "--json", "--pack-destination", work], project)
  // the JSON report is the last thing on stdout (a lifecycle script may print before it)
  const json = stdout.slice(Math.max(0, stdout.search(/^\[\s*$/m)))
  const packed = JSON.parse(json) as Array<{ filename: string; files: Array<{ path: string }> }>
  tarball = join(work, basename(packed[0]!.filename))
  packedFiles = packed[0]!.files.map((f) => f.path)
}, 240_000)

afterAll(() => {
  if (work !== "") rmSync(work, { recursive: true, force: true })
})

describe("npm pack", () => {
  it("ships dist/ with declarations, the README and package.json, and no sources or tests", () => {
    expect(existsSync(tarball)).toBe(true)
    expect(packedFiles).toContain("package.json")
    expect(packedFiles).toContain("dist/index.js")
    expect(packedFiles).toContain("dist/index.d.ts")
    const stray = packedFiles.filter((p) => !p.startsWith("dist/") && !["package.json", "README.md", "LICENSE"].includes(p))
    expect(stray).toEqual([])
    expect(packedFiles.filter((p) => p.endsWith(".ts") && !p.endsWith(".d.ts"))).toEqual([])
  })

  it("installs into a strict NodeNext TypeScript project, type-checks, and runs", () => {
    const consumer = join(work, "consumer")
    mkdirSync(join(consumer, "src"), { recursive: true })
    writeFileSync(
      join(consumer, "package.json"),
      JSON.stringify({ name: "tanka-consumer", version: "0.0.0", private: true, type: "module" }, null, 2)
    )
    writeFileSync(
      join(consumer, "tsconfig.json"),
      JSON.stringify(
        {
          compilerOptions: {
            target: "ES2022",
            lib: ["ES2023"],
            module: "NodeNext",
            moduleResolution: "NodeNext",
            types: ["node"],
            strict: true,
            skipLibCheck: true, // as `tsc --init` writes it; the declarations get their own check below
            outDir: "out",
            rootDir: "src"
          },
          include: ["src"]
        },
        null,
        2
      )
    )
    // The same program with every declaration file checked, ours included. lib.dom only because
    // effect 4's crypto declarations name WebCrypto's CryptoKey / JsonWebKey.
    writeFileSync(
      join(consumer, "tsconfig.declarations.json"),
      JSON.stringify({ extends: "./tsconfig.json", compilerOptions: { skipLibCheck: false, lib: ["ES2023", "DOM"], noEmit: true } }, null, 2)
    )
    writeFileSync(join(consumer, "src", "main.ts"), CONSUMER_MAIN)
    // A consumer does not inherit tanka's `overrides` (npm applies only the root project's), so
    // gpu.js's optional `gl` would be fetched and built here: prebuild-install, then a ~5 minute
    // node-gyp build, or a quiet failure without libxi-dev. `--omit=optional` skips it with no
    // file of ours needed (vendor/gl-absent is not in the tarball): the same choice a user makes,
    // and gpu.js treats a missing `gl` exactly like our stub (headlessgl unsupported).
    // @types/node is what a Node TypeScript project has anyway; it resolves from the npm cache.
    const typesNode = (JSON.parse(readFileSync(join(repo, "node_modules", "@types", "node", "package.json"), "utf8")) as { version: string }).version
    run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--omit=optional", tarball, `@types/node@${typesNode}`], consumer)

    const installed = JSON.parse(readFileSync(join(consumer, "node_modules", "tanka", "package.json"), "utf8")) as { name: string }
    expect(installed.name).toBe("tanka")
    expect(existsSync(join(consumer, "node_modules", "gl"))).toBe(false)

    run(tsc, ["-p", "tsconfig.json"], consumer)
    run(tsc, ["-p", "tsconfig.declarations.json"], consumer)
    const out = run(process.execPath, [join(consumer, "out", "main.js")], consumer)
    expect(out).toContain("grad=2,4,6")
    expect(out).toContain("jit=2,0,4,5")
    expect(out).toContain("shape=[2,2]")
    expect(out).toContain("mode=wasm-simd")
    expect(out).toMatch(/kernel=(WasmSimdKernel|WebAssemblyKernel)/)
  }, 300_000)
})
