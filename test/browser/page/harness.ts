/**
 * A framework-free harness shared by the browser page and the Node (Dawn) run: runs named
 * checks, times them, records which gpu.js kernel class ran, and returns plain JSON.
 */
import * as K from "../../../src/kernels/index.js"
import { runAsync } from "../../../src/kernels/asyncLaunch.js"
import { assertAllclose } from "../../support/assertAllclose.js"
import { OP_TABLE, flat } from "./opTable.js"

/** The outcome of one check. */
export interface CheckResult {
  readonly suite: string
  readonly name: string
  readonly ok: boolean
  readonly ms: number
  readonly kernelClass: string | null
  readonly detail?: string
}

/** The gpu.js kernel class each mode must run (a silent fallback fails the check). */
export const EXPECTED_CLASS: Record<string, string> = {
  "wasm-simd": "WasmSimdKernel",
  webasm: "WebAssemblyKernel",
  cpu: "CPUKernel",
  webgl2: "WebGL2Kernel",
  webgl: "WebGLKernel",
  webgpu: "WebGPUKernel"
}

const message = (e: unknown): string => {
  const err = e as { _tag?: string; message?: string }
  return `${err._tag ? `${err._tag}: ` : ""}${err.message ?? String(e)}`.slice(0, 1200)
}

/**
 * Runs an asynchronous `body` as one check in `mode`; the body awaits `runAsync` itself where
 * the mode needs it (webgpu), so it can measure what happens between calls.
 */
export const checkAsync = async (suite: string, name: string, mode: K.Mode, body: () => Promise<void>): Promise<CheckResult> => {
  const t0 = performance.now()
  const before = K.kernelLaunches()
  try {
    await body()
    const { lastKernelClass } = K.getBackend()
    if (K.kernelLaunches() > before && lastKernelClass !== EXPECTED_CLASS[mode]) {
      throw new Error(`ran as ${lastKernelClass}, expected ${EXPECTED_CLASS[mode]} (silent fallback)`)
    }
    return { suite, name, ok: true, ms: performance.now() - t0, kernelClass: lastKernelClass }
  } catch (e) {
    return { suite, name, ok: false, ms: performance.now() - t0, kernelClass: K.getBackend().lastKernelClass, detail: message(e) }
  }
}

/**
 * Runs `body` as one check in `mode`: synchronous modes call it directly, async modes
 * (webgpu) through `runAsync`. After it, the kernel class that ran must be the mode's.
 */
export const check = (suite: string, name: string, mode: K.Mode, body: () => void): Promise<CheckResult> =>
  checkAsync(suite, name, mode, async () => {
    if (mode === "webgpu") await runAsync(body)
    else body()
  })

/** The kernel op table in `mode`: one check per row. */
export const runOpTable = async (mode: K.Mode, filter?: (name: string) => boolean): Promise<CheckResult[]> => {
  K.setBackend(mode)
  const out: CheckResult[] = []
  for (const c of OP_TABLE) {
    if (filter && !filter(c.name)) continue
    const limit = c.knownLimit?.mode === mode ? c.knownLimit : undefined
    if (limit !== undefined) {
      const r = await check(`ops/${mode}`, `${c.family}: ${c.name}`, mode, () => void c.run())
      const ok = !r.ok && limit.error.test(r.detail ?? "")
      out.push({
        ...r,
        ok,
        name: `${r.name} — KNOWN LIMIT: fails with a clear error (${limit.why})`,
        detail: ok ? undefined : r.ok ? "ran without error: the known limit is lifted; check the result and remove knownLimit" : `failed with an unexpected error: ${r.detail}`
      })
      continue
    }
    out.push(
      await check(`ops/${mode}`, `${c.family}: ${c.name}`, mode, () => {
        assertAllclose(flat(c.run()), c.want(), c.tol)
      })
    )
  }
  return out
}
