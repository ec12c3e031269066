/**
 * Bundles browser entry points of tanka with esbuild (ESM, unminified, default names).
 *
 * - `gpu.js` resolves through its package.json `browser` field to `dist/gpu-browser.js`, the
 *   UMD build that already contains every backend. tanka identifies the kernel class that ran by
 *   identity with gpu.js's exported classes, so renamed or minified classes are fine.
 * - The entry points import tanka's platform-neutral root (`src/index.ts`), which imports no
 *   `node:*` module; a `node:*` import reaching the bundle is an esbuild error.
 */
import * as esbuild from "esbuild"
import { mkdirSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..")

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
    logLevel: "warning",
    define: { "process.env.NODE_ENV": '"production"' },
    metafile: true
  })
  return Object.keys(result.metafile.outputs).filter((f) => f.endsWith(".js"))
}

/**
 * Bundles an application file that imports `"tanka"` the way a consumer's build would: esbuild's
 * defaults plus `minify` (no `keepNames`), with `tanka` resolved as its exports map resolves it —
 * the platform-neutral root for browsers, the root plus file I/O (`src/node.ts`) for Node.
 * Returns the bundle's size in bytes.
 */
export const bundleApplication = async (entry: string, outfile: string, platform: "browser" | "node"): Promise<number> => {
  mkdirSync(dirname(outfile), { recursive: true })
  const result = await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: true,
    format: "esm",
    platform,
    logLevel: "warning",
    alias: { tanka: join(ROOT, "src", platform === "node" ? "node.ts" : "index.ts") },
    metafile: true
  })
  return result.metafile.outputs[Object.keys(result.metafile.outputs)[0]!]!.bytes
}

