/**
 * The published package works for a separate TypeScript project: `npm pack` (whose `prepack`
 * builds dist/), install the tarball into a scratch consumer beside the consumer's own `effect`
 * (a peer dependency: one copy) with the README's `overrides` stub for gpu.js's `gl`, type-check a
 * consumer file with `strict` and NodeNext resolution against the shipped `.d.ts` (the root's
 * `node` condition gives file I/O, as does `tanka/node`), run it with node, check its output.
 *
 * The pack runs in a copy of the project (node_modules symlinked), so the build starts from an
 * empty dist/ (no stale files from deleted sources get shipped) and concurrent test runs never
 * write the working tree's dist/.
 */
import { spawnSync } from "node:child_process"
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
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

const CONSUMER_MAIN = `import { Effect } from "effect"
import { hk, jax, jnp, saveCheckpoint, loadCheckpoint, type Tensor } from "tanka"
import { loadCheckpoint as loadFromSubpath } from "tanka/node"
import { tmpdir } from "node:os"
import { join } from "node:path"

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

// Node resolves "tanka" with the node condition: file I/O is there, and in "tanka/node"
const net = (v: Tensor) => Effect.flatMap(hk.Linear(2), (l) => l(v))
const params = Effect.runSync(hk.transform(net).init(jax.random.key(0), jnp.ones([1, 3])))
const file = join(tmpdir(), "tanka-consumer-" + process.pid + ".safetensors")
await Effect.runPromise(saveCheckpoint(file, params))
const back = await Effect.runPromise(loadCheckpoint(file, { like: params }))
const again = await Effect.runPromise(loadFromSubpath(file))
console.log("checkpoint=" + Object.keys(back).join(",") + ":" + Object.keys(again).join(","))
const [k1, k2] = jax.random.split(jax.random.key(1))
console.log("split=" + k1!.shape.join("x") + "," + k2!.shape.join("x"))
`

/** The two files of the gl stub a consumer adds (README, "Installing tanka in another project"). */
const GL_STUB_PACKAGE = JSON.stringify({ name: "gl", version: "0.0.0-absent", main: "index.js", license: "MIT" }, null, 2)
const GL_STUB_INDEX = "module.exports = function createContext() { return null; };\n"

/** Every installed copy of the `effect` package under `dir` (node_modules trees, nested ones too). */
const effectCopies = (dir: string): string[] => {
  const out: string[] = []
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name)
      if (name.startsWith("@")) walk(p)
      else if (name === "effect" && existsSync(join(p, "package.json"))) out.push(p)
      if (existsSync(join(p, "node_modules"))) walk(join(p, "node_modules"))
    }
  }
  walk(dir)
  return out.sort()
}

/** Total size of `dir`, and of its three largest packages. */
const footprint = (dir: string): string => {
  const size = (p: string): number => {
    const st = lstatSync(p)
    return st.isDirectory() ? readdirSync(p).reduce((s, n) => s + size(join(p, n)), 0) : st.size
  }
  const pkgs = readdirSync(dir).flatMap((n) => (n.startsWith("@") ? readdirSync(join(dir, n)).map((m) => `${n}/${m}`) : n.startsWith(".") ? [] : [n]))
  const sized = pkgs.map((n) => [n, size(join(dir, n))] as const).sort((a, b) => b[1] - a[1])
  const mb = (b: number) => `${(b / 1e6).toFixed(0)} MB`
  return `${mb(size(dir))} in node_modules; largest ${sized.slice(0, 3).map(([n, b]) => `${n} ${mb(b)}`).join(", ")}`
}

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
    expect(packedFiles).toContain("dist/node.js")
    expect(packedFiles).toContain("LICENSE")
    const stray = packedFiles.filter((p) => !p.startsWith("dist/") && !["package.json", "README.md", "LICENSE"].includes(p))
    expect(stray).toEqual([])
    expect(packedFiles.filter((p) => p.endsWith(".ts") && !p.endsWith(".d.ts"))).toEqual([])
  })

  it("installs into a strict NodeNext TypeScript project, type-checks, and runs", () => {
    const consumer = join(work, "consumer")
    mkdirSync(join(consumer, "src"), { recursive: true })
    // the consumer-side stub for gpu.js's optional native `gl`, as the README recommends
    mkdirSync(join(consumer, "vendor", "gl-absent"), { recursive: true })
    writeFileSync(join(consumer, "vendor", "gl-absent", "package.json"), GL_STUB_PACKAGE)
    writeFileSync(join(consumer, "vendor", "gl-absent", "index.js"), GL_STUB_INDEX)
    writeFileSync(
      join(consumer, "package.json"),
      JSON.stringify({ name: "tanka-consumer", version: "0.0.0", private: true, type: "module", overrides: { gl: "file:./vendor/gl-absent" } }, null, 2)
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
    // without its own override npm would fetch and build gpu.js's optional `gl` (prebuild-install,
    // then a ~5 minute node-gyp build, or a quiet failure without libxi-dev). The consumer's
    // override to a two-file stub persists in its package.json, unlike `--omit=optional`.
    // `effect` is a peer dependency: the app installs its own, and tanka uses that copy.
    // @types/node is what a Node TypeScript project has anyway; both resolve from the npm cache.
    const typesNode = (JSON.parse(readFileSync(join(repo, "node_modules", "@types", "node", "package.json"), "utf8")) as { version: string }).version
    const effectVersion = (JSON.parse(readFileSync(join(repo, "node_modules", "effect", "package.json"), "utf8")) as { version: string }).version
    run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", tarball, `effect@${effectVersion}`, `@types/node@${typesNode}`], consumer)

    const installed = JSON.parse(readFileSync(join(consumer, "node_modules", "tanka", "package.json"), "utf8")) as { name: string }
    expect(installed.name).toBe("tanka")
    // gl is the stub (no native build), and there is one copy of effect, the app's
    expect((JSON.parse(readFileSync(join(consumer, "node_modules", "gl", "package.json"), "utf8")) as { version: string }).version).toBe("0.0.0-absent")
    expect(existsSync(join(consumer, "node_modules", "gl", "build"))).toBe(false)
    expect(effectCopies(join(consumer, "node_modules"))).toEqual([join(consumer, "node_modules", "effect")])
    console.log(`install footprint: ${footprint(join(consumer, "node_modules"))}`)

    run(tsc, ["-p", "tsconfig.json"], consumer)
    run(tsc, ["-p", "tsconfig.declarations.json"], consumer)
    const out = run(process.execPath, [join(consumer, "out", "main.js")], consumer)
    expect(out).toContain("grad=2,4,6")
    expect(out).toContain("jit=2,0,4,5")
    expect(out).toContain("shape=[2,2]")
    expect(out).toContain("mode=wasm-simd")
    expect(out).toMatch(/kernel=(WasmSimdKernel|WebAssemblyKernel)/)
    expect(out).toContain("checkpoint=linear:linear")
    expect(out).toContain("split=2,2")
  }, 300_000)
})
