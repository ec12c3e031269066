/**
 * The demo page under Playwright: a short MNIST run on the backend the page picks (webgl2 in
 * headless Chromium with SwiftShader). Checks that it chose a GPU backend and its kernel class
 * ran, that the loss falls and the test accuracy rises, and saves a screenshot.
 */
import { mkdirSync } from "node:fs"
import { dirname } from "node:path"
import type { Browser } from "playwright-core"
import type { DemoState } from "../../examples/browser/main.js"
import type { CheckResult } from "./page/harness.js"

/** Short-run settings: 60 steps of batch 64 on MLP([64, 10]), evaluated on 500 test digits. */
export const DEMO_QUERY = "?autostart=1&steps=60&hidden=64&batch=64&lr=0.003&evalEvery=30&testSize=500"

const mean = (xs: ReadonlyArray<number>): number => xs.reduce((a, b) => a + b, 0) / xs.length

export const runDemo = async (browser: Browser, url: string, screenshot: string): Promise<CheckResult[]> => {
  const suite = "demo/webgl2"
  const page = await browser.newPage({ viewport: { width: 1060, height: 480 } })
  const errors: string[] = []
  page.on("pageerror", (e) => errors.push(e.message))
  const t0 = performance.now()
  const results: CheckResult[] = []
  const add = (name: string, ok: boolean, detail?: string, kernelClass: string | null = null) =>
    results.push({ suite, name, ok, ms: performance.now() - t0, kernelClass, ...(detail === undefined ? {} : { detail }) })
  try {
    await page.goto(url + DEMO_QUERY)
    await page.waitForFunction(() => (globalThis as unknown as { demoState?: DemoState }).demoState?.done === true, undefined, { timeout: 150_000, polling: 500 })
    const s = await page.evaluate(() => (globalThis as unknown as { demoState: DemoState }).demoState)
    mkdirSync(dirname(screenshot), { recursive: true })
    await page.screenshot({ path: screenshot })
    const seconds = ((performance.now() - t0) / 1000).toFixed(1)
    add(`page trained without error (${s.losses.length} steps in ${seconds}s)`, s.error === null && errors.length === 0 && s.losses.length === 60, s.error ?? errors.join("; "))
    add(`picked a GPU backend and its kernels ran: ${s.backend} / ${s.kernelClass}`, s.backend === "webgl2" && s.kernelClass === "WebGL2Kernel", `backend ${s.backend}, kernel class ${s.kernelClass}`, s.kernelClass)
    const first = mean(s.losses.slice(0, 5))
    const last = mean(s.losses.slice(-5))
    add(`loss falls: mean of first 5 steps ${first.toFixed(3)} -> last 5 steps ${last.toFixed(3)} (must drop by ≥ 40%)`, last < 0.6 * first, `losses ${s.losses.map((l) => l.toFixed(2)).join(" ")}`)
    const acc = s.accuracies.map((a) => `${a.step}:${(100 * a.accuracy).toFixed(1)}%`).join(" ")
    const a0 = s.accuracies[0]?.accuracy ?? NaN
    const a1 = s.accuracies.at(-1)?.accuracy ?? NaN
    add(`test accuracy rises: ${acc} (final ≥ 70% and ≥ start + 40 points)`, a1 >= 0.7 && a1 >= a0 + 0.4, acc)
    add(`screenshot saved: ${screenshot}`, true)
  } catch (e) {
    add("demo page ran", false, String((e as Error)?.message ?? e))
    await page.screenshot({ path: screenshot }).catch(() => undefined)
  } finally {
    await page.close()
  }
  return results
}
