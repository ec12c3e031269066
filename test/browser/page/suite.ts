/**
 * Entry of the browser test page: exposes `window.tankaBrowserTests.run(mode, part)` for the
 * Playwright runner (`test/browser/run.ts`), returning plain JSON check results.
 */
import gpujs from "gpu.js"
import * as K from "../../../src/kernels/index.js"
import type { CheckResult } from "./harness.js"
import { runOpTable } from "./harness.js"
import { runLimits } from "./limits.js"
import { runTransforms } from "./transforms.js"
import { runThreads } from "./threads.js"

/** A part of the suite. */
export type Part = "ops" | "transforms" | "limits" | "threads"

const GPU = (gpujs as unknown as { GPU: { isWebGPUAvailable(): Promise<boolean>; isWebGL2Supported: boolean } }).GPU

const api = {
  /** What the page can run: gpu.js's own probes plus tanka's synchronous modes. */
  probe: async () => ({
    availableModes: K.availableModes(),
    webgl2: GPU.isWebGL2Supported,
    webgpu: await GPU.isWebGPUAvailable(),
    userAgent: navigator.userAgent
  }),
  run: async (mode: K.Mode, part: Part): Promise<CheckResult[]> => {
    try {
      switch (part) {
        case "ops":
          return await runOpTable(mode)
        case "transforms":
          return await runTransforms(mode)
        case "limits":
          return await runLimits(mode)
        case "threads":
          return await runThreads()
      }
    } catch (e) {
      return [{ suite: `${part}/${mode}`, name: "suite set-up", ok: false, ms: 0, kernelClass: null, detail: String((e as Error)?.message ?? e) }]
    }
  }
}

;(globalThis as unknown as { tankaBrowserTests: typeof api }).tankaBrowserTests = api
