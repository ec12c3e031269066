import { describe, expect, it } from "vitest"
import { spawnSync } from "node:child_process"

const run = (...args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", "examples/main.ts", ...args], { encoding: "utf8", timeout: 60_000 })

describe("npm start flags", () => {
  it("--help prints the usage and exits 0", () => {
    const r = run("--help")
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/--epochs N/)
    expect(r.stdout).toMatch(/--batch-size N/)
  })

  it.each([
    [["--bogus"], /Unknown option '--bogus'/],
    [["--epochs", "0"], /--epochs must be a positive integer, got "0"/],
    [["--lr", "fast"], /--lr must be a positive number/],
    [["--backend", "metal"], /--backend/],
    [["extra"], /positional/]
  ])("bad flags %j give a usage message and exit code 2", (args, message) => {
    const r = run(...args)
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(message)
    expect(r.stderr).toMatch(/Usage: npm start/)
  })
})
