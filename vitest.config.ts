import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    reporters: ["default", "json"],
    // the JSON report lets .ci/run print a plain "N passed, N failed" closing line
    outputFile: { json: ".tmp/vitest-report.json" }
  }
})
