/**
 * The kernel op table, limits and transforms (with the residency checks) in Node through Dawn (`webgpu@0.6.2`, Google's WebGPU addon) on
 * SwiftShader's Vulkan driver from Debian's chromium package: a fast WGSL check with no
 * browser. gpu.js's webgpu backend uses only `navigator.gpu` and the `GPU*` globals, so the
 * addon is installed as those globals before tanka selects `webgpu`.
 *
 * Run: `npm run test:dawn` (sets VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json).
 * Needs the Vulkan loader: Debian's `libvulkan1`, or chromium's own copy via
 * LD_LIBRARY_PATH=/usr/lib/chromium.
 */
import type { CheckResult } from "./page/harness.js"

const t0 = performance.now()
const { create, globals } = (await import("webgpu")) as unknown as { create: (flags: string[]) => unknown; globals: Record<string, unknown> }
Object.assign(globalThis, globals)
Object.defineProperty(globalThis, "navigator", { value: { gpu: create([]) }, configurable: true })
const adapter = await (globalThis as unknown as { navigator: { gpu: { requestAdapter(): Promise<{ info?: { description?: string; architecture?: string } } | null> } } }).navigator.gpu.requestAdapter()
if (adapter === null) {
  console.error(`Dawn found no WebGPU adapter. Set VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json (apt: chromium) and install libvulkan1.`)
  process.exit(1)
}
console.log(`Dawn adapter: ${adapter.info?.description ?? "?"} (${adapter.info?.architecture ?? "?"})`)
const { runOpTable } = await import("./page/harness.js")
const { runLimits } = await import("./page/limits.js")
const { runTransforms } = await import("./page/transforms.js")
const results: CheckResult[] = [...(await runOpTable("webgpu")), ...(await runLimits("webgpu")), ...(await runTransforms("webgpu"))]
for (const r of results) {
  if (!r.ok || process.env["VERBOSE"]) console.log(`  ${r.ok ? "ok  " : "FAIL"} ${r.suite} ${r.name}  [${r.kernelClass ?? "-"}, ${r.ms.toFixed(0)} ms]${r.ok ? "" : `\n       ${r.detail}`}`)
}
const failed = results.filter((r) => !r.ok).length
console.log(`Dawn webgpu (Node): ${results.length - failed}/${results.length} checks passed in ${((performance.now() - t0) / 1000).toFixed(1)}s`)
process.exit(failed === 0 ? 0 : 1)
