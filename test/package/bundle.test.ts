/**
 * tanka in an application bundle (issue 12: after an ordinary esbuild bundle every op threw
 * `BackendUnavailableError: … ran as r`, because the kernel class was checked by its
 * constructor's name, which minifiers rename). A consumer file importing `"tanka"` is bundled with
 * esbuild's default options plus `minify` (no `keepNames`), for the browser — the bundle
 * `test/browser/run.ts` runs in Chromium on webgl2 — and run here in Node: the same browser bundle,
 * and one built for Node. The test also measures minified bundle sizes (printed; the README quotes
 * them) and checks the root entry bundles for the browser with no Node module.
 */
import * as esbuild from "esbuild"
import { mkdtempSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { pathToFileURL } from "node:url"
import { afterAll, describe, expect, it } from "vitest"
import { bundleApplication } from "../../scripts/browser/bundle.js"

const repo = resolve(import.meta.dirname, "..", "..")
const out = mkdtempSync(join(tmpdir(), "tanka-bundle-"))
afterAll(() => rmSync(out, { recursive: true, force: true }))

const bundleConsumer = bundleApplication

type Result = { mode: string; kernelClass: string; tan: number[]; grad: number[]; jit: number[]; linear: number[]; keysDiffer: boolean }

const runBundle = async (file: string, mode: string): Promise<Result> => {
  await import(pathToFileURL(file).href)
  return (globalThis as unknown as { tankaConsumer: { run: (m: string) => Result } }).tankaConsumer.run(mode)
}

const expectNumbers = (r: Result) => {
  expect(r.tan.map((v) => Number(v.toFixed(5)))).toEqual([0.5, 1, 2].map((v) => Number(Math.fround(Math.tan(v)).toFixed(5))))
  expect(r.grad).toEqual([1, 2, 4])
  expect(r.jit).toEqual([2, 0, 4, 5])
  expect(r.linear).toEqual([1.5, 1.5])
  expect(r.keysDiffer).toBe(true)
}

describe("a minified application bundle (esbuild defaults, no keepNames)", () => {
  const consumer = join(repo, "test", "package", "consumer", "main.ts")

  it("the browser bundle runs in Node on gpu.js webasm: the kernel class is recognised and the numbers are right", async () => {
    const file = join(out, "browser.mjs")
    await bundleConsumer(consumer, file, "browser")
    const r = await runBundle(file, "webasm")
    expect(r.mode).toBe("webasm")
    expect(r.kernelClass).toBe("WebAssemblyKernel")
    expectNumbers(r)
  }, 60_000)

  it("the Node bundle runs in wasm-simd and in webasm", async () => {
    const file = join(out, "node.mjs")
    await bundleConsumer(consumer, file, "node")
    for (const mode of ["wasm-simd", "webasm"]) {
      const r = await runBundle(file, mode)
      expect(r.mode).toBe(mode)
      expect(r.kernelClass).toBe("WebAssemblyKernel")
      expectNumbers(r)
    }
  }, 60_000)

  it("sizes: the root bundles for the browser with no node: module; {hk} and {jnp} minified sizes are printed", async () => {
    const sizes: Record<string, number> = {}
    for (const [name, code] of [
      ["hk", 'import { hk } from "tanka"; globalThis.x = hk'],
      ["jnp", 'import { jnp } from "tanka"; globalThis.x = jnp'],
      ["all", 'import * as t from "tanka"; globalThis.x = t']
    ] as const) {
      const entry = join(out, `${name}.ts`)
      await import("node:fs").then((fs) => fs.writeFileSync(entry, code))
      const result = await esbuild.build({ entryPoints: [entry], outfile: join(out, `${name}.js`), bundle: true, minify: true, format: "esm", platform: "browser", logLevel: "silent", alias: { tanka: join(repo, "src", "index.ts") }, metafile: true })
      const inputs = Object.keys(result.metafile.inputs)
      expect(inputs.filter((i) => i.startsWith("node:"))).toEqual([])
      sizes[name] = statSync(join(out, `${name}.js`)).size
    }
    // the peers, bundled the same way (the README quotes these beside tanka's)
    for (const [name, code] of [
      ["jax-js numpy", 'import { numpy } from "@jax-js/jax"; globalThis.x = numpy'],
      ["tfjs-core + wasm backend", 'import * as tf from "@tensorflow/tfjs-core"; import "@tensorflow/tfjs-backend-wasm"; globalThis.x = tf']
    ] as const) {
      const entry = join(repo, `.tmp-bundle-${process.pid}.mjs`)
      await import("node:fs").then((fs) => fs.writeFileSync(entry, code))
      try {
        await esbuild.build({ entryPoints: [entry], outfile: join(out, "peer.js"), bundle: true, minify: true, format: "esm", platform: "browser", logLevel: "silent" })
      } finally {
        rmSync(entry, { force: true })
      }
      sizes[name] = statSync(join(out, "peer.js")).size
    }
    console.log(`minified browser bundles: ${Object.entries(sizes).map(([k, v]) => `{ ${k} } ${(v / 1000).toFixed(0)} kB`).join(", ")}`)
    // tree shaking ("sideEffects": false) keeps a jnp-only bundle below the whole package
    expect(sizes["jnp"]!).toBeLessThan(sizes["all"]!)
  }, 60_000)
})
