/**
 * Launches Debian's Chromium through playwright-core with SwiftShader behind WebGL2 and
 * WebGPU (flags from the shared notes `gpu-paths.md`). Never downloads a browser.
 */
import { existsSync } from "node:fs"
import { chromium, type Browser } from "playwright-core"

/** The Chromium binary: `$CHROMIUM_PATH`, else Debian's `/usr/bin/chromium`. */
export const CHROMIUM = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium"

/**
 * Explicit flags, so that a future Chromium dropping its implicit SwiftShader fallback cannot
 * quietly change what is tested: ANGLE on SwiftShader for WebGL, and WebGPU on SwiftShader.
 */
export const CHROMIUM_ARGS: ReadonlyArray<string> = [
  "--no-sandbox",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
  "--use-angle=swiftshader",
  "--use-gl=angle",
  "--enable-unsafe-swiftshader",
  "--enable-unsafe-webgpu",
  "--enable-features=Vulkan",
  "--use-vulkan=swiftshader",
  "--use-webgpu-adapter=swiftshader"
]

/** Launches headless Chromium, or throws naming the install command. */
export const launchChromium = async (): Promise<Browser> => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}. Install Debian's package: \`apt-get install -y --no-install-recommends chromium\` (or set CHROMIUM_PATH).`)
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS] })
}
