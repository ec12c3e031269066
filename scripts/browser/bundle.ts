/**
 * Bundles browser entry points of tanka with esbuild (ESM, unminified).
 *
 * - `gpu.js` resolves through its package.json `browser` field to `dist/gpu-browser.js`, the
 *   UMD build that already contains every backend. The unminified build is used on purpose:
 *   `src/kernels/backend.ts` checks the constructor name of the kernel that ran
 *   (`WebGL2Kernel`, `WebGPUKernel`), and `gpu-browser.min.js` mangles those names.
 * - `node:*` imports (the MNIST loader and checkpoint file I/O, which browsers cannot use) are
 *   replaced by stubs that throw a clear error if called; the rest of tanka is platform-free.
 */
import * as esbuild from "esbuild"
import { mkdirSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..")

const NODE_STUB = `
const unavailable = (name) => () => { throw new Error(name + " is not available in a browser build of tanka (it needs Node's file system); load data with fetch and pass arrays instead.") }
export const createRequire = unavailable("node:module createRequire")
export const existsSync = unavailable("node:fs existsSync")
export const readFileSync = unavailable("node:fs readFileSync")
export const writeFileSync = unavailable("node:fs writeFileSync")
export const promises = { open: unavailable("node:fs promises.open"), readFile: unavailable("node:fs promises.readFile") }
export const join = (...p) => p.join("/")
export const dirname = (p) => p.replace(/\\/[^/]*$/, "")
export const basename = (p) => p.replace(/^.*\\//, "")
export default {}
`

const stubNode: esbuild.Plugin = {
  name: "stub-node-builtins",
  setup(build) {
    build.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path, namespace: "node-stub" }))
    build.onLoad({ filter: /.*/, namespace: "node-stub" }, () => ({ contents: NODE_STUB, loader: "js" }))
  }
}

/** Bundles `entries` (name -> source path relative to the root) into `outDir`. Returns the output paths. */
export const bundle = async (entries: Record<string, string>, outDir: string): Promise<string[]> => {
  mkdirSync(outDir, { recursive: true })
  const result = await esbuild.build({
    entryPoints: Object.fromEntries(Object.entries(entries).map(([name, src]) => [name, join(ROOT, src)])),
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    outdir: outDir,
    sourcemap: "linked",
    keepNames: true,
    logLevel: "warning",
    plugins: [stubNode],
    define: { "process.env.NODE_ENV": '"production"' },
    metafile: true
  })
  return Object.keys(result.metafile.outputs).filter((f) => f.endsWith(".js"))
}
