/**
 * Killed saves leave no debris behind for long (issue 12: 60 kills left 20 temporary files,
 * 132 MB). A child process saves two checkpoints alternately to one path; it is SIGKILLed at
 * random points, again and again, and after every kill the previous checkpoint loads bit for bit
 * and at most one temporary file (the killed writer's) is in the directory. `KILL_RUNS=N` for a
 * longer run; the test prints how many kills it made and how many landed mid-write.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import { Effect } from "effect"
import * as esbuild from "esbuild"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { jnp } from "../../../src/index.js"
import { decodeSafetensors, encodeSafetensors, loadCheckpoint, removeStaleTemporaries, writeFileAtomic } from "../../../src/nn/checkpoint/index.js"

const KILLS = Number(process.env["KILL_RUNS"] ?? 20)

let work: string
let child: string
beforeAll(async () => {
  work = fs.mkdtempSync(nodePath.join(os.tmpdir(), "tanka-kill-"))
  // bundled once, so each child starts in a fraction of a second
  child = nodePath.join(work, "saveLoop.mjs")
  await esbuild.build({ entryPoints: [nodePath.join(import.meta.dirname, "fixtures", "saveLoop.mts")], bundle: true, platform: "node", format: "esm", outfile: child, logLevel: "warning" })
})
afterAll(() => fs.rmSync(work, { recursive: true, force: true }))

const temporaries = (dir: string): string[] => fs.readdirSync(dir).filter((n) => n.endsWith(".tmp"))

/** A small seeded generator, so a failing run can be repeated (the seed is printed). */
const rng = (seed: number) => () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32)

const started = (c: ChildProcess): Promise<void> =>
  new Promise((resolve, reject) => {
    let out = ""
    c.stdout!.on("data", (d) => {
      out += String(d)
      if (out.includes("ready")) resolve()
    })
    c.once("exit", (code) => reject(new Error(`the saving child exited (${code}) before it started: ${out}`)))
  })
const exited = (c: ChildProcess): Promise<void> => new Promise((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve() : c.once("exit", () => resolve())))

describe("killed saves", () => {
  it(`a saving child killed ${KILLS} times at random points: the previous checkpoint always loads, at most one temporary file is left`, async () => {
    const dir = nodePath.join(work, "ckpt")
    fs.mkdirSync(dir)
    const path = nodePath.join(dir, "model.safetensors")
    // two 8 MB checkpoints, so a kill lands inside a write most of the time
    const version = (v: number) => encodeSafetensors({ "mlp/~/linear_0": { w: jnp.full([2_000_000], v) } })
    const versions = [version(1), version(2)]
    const files = versions.map((bytes, i) => {
      const f = nodePath.join(work, `v${i}.safetensors`)
      fs.writeFileSync(f, bytes)
      return f
    })
    await Effect.runPromise(writeFileAtomic(path, versions[0]!))

    const seed = Number(process.env["KILL_SEED"] ?? Date.now() % 100_000)
    const random = rng(seed)
    let midWrite = 0
    for (let k = 0; k < KILLS; k++) {
      const c = spawn(process.execPath, [child, path, files[0]!, files[1]!], { stdio: ["ignore", "pipe", "inherit"] })
      await started(c)
      await new Promise((r) => setTimeout(r, random() * 150))
      c.kill("SIGKILL")
      await exited(c)
      const left = temporaries(dir)
      if (left.length > 0) midWrite++
      expect(left.length, `kill ${k} (seed ${seed}): ${left.join(", ")}`).toBeLessThanOrEqual(1)
      const bytes = new Uint8Array(fs.readFileSync(path))
      expect(versions.some((v) => Buffer.compare(Buffer.from(v), Buffer.from(bytes)) === 0), `kill ${k} (seed ${seed}): the checkpoint is neither version`).toBe(true)
      const params = await Effect.runPromise(loadCheckpoint(path))
      expect(params["mlp/~/linear_0"]!["w"]!.shape).toEqual([2_000_000])
    }
    console.log(`killed a saving child ${KILLS} times (seed ${seed}); ${midWrite} kills left a temporary file, each removed by the next save`)
    expect(midWrite).toBeGreaterThan(0)
    // the next save, in this process, removes the last killed writer's file
    await Effect.runPromise(writeFileAtomic(path, versions[1]!))
    expect(fs.readdirSync(dir)).toEqual(["model.safetensors"])
    expect(decodeSafetensors(new Uint8Array(fs.readFileSync(path))).params["mlp/~/linear_0"]!["w"]!.shape).toEqual([2_000_000])
  }, 120_000)
})

describe("removeStaleTemporaries", () => {
  it("removes a dead writer's file and never a live one's: this process, a running process, another machine", async () => {
    const dir = nodePath.join(work, "stale")
    fs.mkdirSync(dir)
    const path = nodePath.join(dir, "m.safetensors")
    // a pid that no longer runs: a child that has exited
    const dead = spawn(process.execPath, ["-e", ""])
    await exited(dead)
    const running = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"])
    try {
      const host = `h-${os.hostname().replace(/[^A-Za-z0-9-]/g, "").slice(0, 40)}`
      const names = {
        dead: `.m.safetensors.${dead.pid}.${host}.abc123.tmp`,
        deadOldFormat: `.m.safetensors.${dead.pid}.def456.tmp`,
        self: `.m.safetensors.${process.pid}.${host}.ghi789.tmp`,
        running: `.m.safetensors.${running.pid}.${host}.jkl012.tmp`,
        otherMachine: `.m.safetensors.${dead.pid}.h-elsewhere.mno345.tmp`,
        otherFile: `.n.safetensors.${dead.pid}.${host}.pqr678.tmp`,
        unrelated: "notes.txt"
      }
      for (const n of Object.values(names)) fs.writeFileSync(nodePath.join(dir, n), "x")
      const removed = await removeStaleTemporaries(path)
      expect(removed.sort()).toEqual([names.dead, names.deadOldFormat].sort())
      expect(fs.readdirSync(dir).sort()).toEqual([names.self, names.running, names.otherMachine, names.otherFile, names.unrelated].sort())
    } finally {
      running.kill("SIGKILL")
      await exited(running)
    }
  })
})
