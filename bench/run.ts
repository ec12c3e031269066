/**
 * `npm run bench`: tanka next to tfjs-wasm, jax-js, hand-written gpu.js kernels and plain JS,
 * interleaved in one process (method: ../shared/notes/perf-anchors.md, here in harness.ts).
 * Writes the results block of BENCHMARKS.md. Not part of `npm test`.
 */
import { execFileSync } from "node:child_process"
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { cpus, loadavg, release, totalmem } from "node:os"
import { performance } from "node:perf_hooks"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import { TANKA_BUILD, jax } from "./tanka.js"
import { runWorkload, type WorkloadResult } from "./harness.js"
import { closePeers, loadPeers } from "./peers.js"
import { merge, mergeReadme, readmeSummary, resultsMarkdown, type RunMeta } from "./report.js"
import { tankaConfigs } from "./workloads/common.js"
import { GROUPS } from "./workloads/index.js"

const usage = `Usage: npm run bench -- [options]

Measures tanka, tfjs-wasm, jax-js, hand-written gpu.js kernels and plain JS, interleaved,
and writes the results block of BENCHMARKS.md.

Options:
  --quick         smoke run: reduced sizes (matmul 256, conv batch 1, a reduced ResNet at 64x64,
                  training step at batch 128) and small budgets; does not write BENCHMARKS.md
                  unless --out is given
  --only LIST     comma-separated groups or workload ids (${GROUPS.map((g) => g.group).join(", ")}, or e.g. matmul-512)
  --out PATH      markdown file to update (default BENCHMARKS.md for a full run, which also
                  updates the generated summary in README.md's Benchmarks section)
  --no-write      print only, write no markdown
  --json PATH     also write the raw results as JSON
  --render PATH   measure nothing: render a run saved with --json (e.g. after changing the report
                  code), writing as that run would have
  --help          show this text

Environment: TANKA_BACKEND and TANKA_THREADS select the configuration of the \`tanka\` rows (default:
wasm-simd with one thread per core); the \`-1t\` rows use one thread, the \`-gpujs\` rows gpu.js webasm.
Exit status 1 if any contestant errored or gave a result outside its tolerance.
`

const root = fileURLToPath(new URL("..", import.meta.url))

const args = (() => {
  try {
    return parseArgs({
      options: {
        quick: { type: "boolean", default: false },
        only: { type: "string" },
        out: { type: "string" },
        "no-write": { type: "boolean", default: false },
        json: { type: "string" },
        render: { type: "string" },
        help: { type: "boolean", default: false }
      },
      strict: true,
      allowPositionals: false
    }).values
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n\n${usage}`)
    process.exit(2)
  }
})()
if (args.help) {
  process.stdout.write(usage)
  process.exit(0)
}

const only = (args.only ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "")
const known = new Set(GROUPS.map((g) => g.group))
const badOnly = only.filter((o) => !known.has(o) && !/^[a-z]+-/.test(o))
if (badOnly.length > 0) {
  process.stderr.write(`error: --only ${badOnly.join(",")}: not a group (${[...known].join(", ")}) or workload id\n`)
  process.exit(2)
}

const git = (...a: string[]): string => {
  try {
    return execFileSync("git", a, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim()
  } catch {
    return ""
  }
}

const log = (line: string) => process.stdout.write(`${line}\n`)

/** Runs the selected workloads; a number is an exit status (nothing matched). */
const measure = async (): Promise<{ meta: RunMeta; results: WorkloadResult[] } | number> => {
  const t0 = performance.now()
  const loadStart = loadavg()
  const quick = args.quick === true
  // tanka's default configuration, read before any row sets its own
  const tanka = tankaConfigs()
  const peers = await loadPeers()
  log(`tanka bench${quick ? " (--quick)" : ""}: load average ${loadStart.map((x) => x.toFixed(2)).join(" ")}`)
  log(`  tanka: ${tanka.base.describe} (rows \`tanka*\`), ${tanka.oneThread.describe} (\`*-1t*\`), ${tanka.gpujs.describe} (\`*-gpujs*\`)`)
  for (const [name, p] of Object.entries(peers)) log(`  peer ${name}: ${p.info}`)
  const env = { quick, peers, tanka }
  const results: WorkloadResult[] = []
  for (const g of GROUPS) {
    if (only.length > 0 && !only.includes(g.group) && !only.some((o) => o.startsWith(`${g.group}-`))) continue
    for (const w of g.build(env)) {
      if (only.length > 0 && !only.includes(g.group) && !only.includes(w.id)) continue
      results.push(await runWorkload(w, { log }))
    }
  }
  await closePeers(peers)
  if (results.length === 0) {
    process.stderr.write(`error: --only ${only.join(",")} matched no workload\n`)
    return 2
  }

  // a thread count asked for is reported as 1 where worker threads failed to start
  jax.setThreads(tanka.base.threads)
  const threadsAtEnd = jax.getThreads()
  const commit = git("rev-parse", "--short", "HEAD")
  const dirty = git("status", "--porcelain", "--", "src") !== ""
  const cpu = cpus()
  const meta: RunMeta = {
    date: new Date(),
    quick,
    commit: (commit === "" ? "an unknown commit" : `commit ${commit}${dirty ? " with uncommitted changes in src/" : ""}`) + `, measured from ${TANKA_BUILD}`,
    machine: `${cpu.length} × ${cpu[0]?.model.trim() ?? "unknown CPU"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${release()}`,
    node: `Node ${process.version} (V8 ${process.versions.v8})`,
    loadavgStart: loadStart,
    loadavgEnd: loadavg(),
    wallMs: performance.now() - t0,
    tanka:
      `rows \`tanka\`, \`tanka-jit\`, …: ${tanka.base.describe}` +
      `${process.env["TANKA_BACKEND"] ? ` (TANKA_BACKEND=${process.env["TANKA_BACKEND"]})` : ""}${process.env["TANKA_THREADS"] ? ` (TANKA_THREADS=${process.env["TANKA_THREADS"]})` : ""}` +
      `${process.env["TANKA_BACKEND"] || process.env["TANKA_THREADS"] ? "" : ", the default"}; rows \`tanka-1t*\`: ${tanka.oneThread.describe}; rows \`tanka-gpujs*\`: ${tanka.gpujs.describe} (pure gpu.js); ` +
      `threads available at the end of the run: ${threadsAtEnd}`,
    tankaConfig: { mode: tanka.base.mode, threads: tanka.base.threads },
    peers: [peers.tf.info, peers.jax.info, peers.gpu.info].map((s, i) => `${["tfjs-wasm", "jax-js", "gpu.js (hand-written kernels)"][i]}: ${s}`)
  }
  return { meta, results }
}

/** A run saved with `--json`, to render again (after a change to the report code) without measuring. */
const load = (path: string): { meta: RunMeta; results: WorkloadResult[] } => {
  const saved = JSON.parse(readFileSync(path, "utf8")) as { meta: RunMeta & { date: string }; results: WorkloadResult[] }
  return { meta: { ...saved.meta, date: new Date(saved.meta.date) }, results: saved.results }
}

const main = async (): Promise<number> => {
  const got = args.render !== undefined ? load(args.render) : await measure()
  if (typeof got === "number") return got
  const { meta, results } = got
  const quick = meta.quick
  if (args.render !== undefined) log(`rendering the run of ${meta.date.toISOString()} saved in ${args.render} (nothing measured)`)
  const block = resultsMarkdown(meta, results)
  log(`\n${block}`)

  const out = args["no-write"] ? undefined : (args.out ?? (quick ? undefined : "BENCHMARKS.md"))
  if (out !== undefined) {
    const path = new URL(out, `file://${process.cwd()}/`)
    const existing = existsSync(path) ? readFileSync(path, "utf8") : null
    writeFileSync(path, merge(existing, block))
    log(`\nwrote ${fileURLToPath(path)}`)
    const summary = readmeSummary(meta, results)
    const readme = new URL("README.md", `file://${root}`)
    if (args.out === undefined && summary !== null && existsSync(readme)) {
      const text = readFileSync(readme, "utf8")
      const next = mergeReadme(text, summary)
      if (next !== text) {
        writeFileSync(readme, next)
        log(`wrote ${fileURLToPath(readme)} (summary)`)
      }
    }
  }
  if (args.json !== undefined && args.render === undefined) {
    writeFileSync(args.json, `${JSON.stringify({ meta, results }, null, 1)}\n`)
    log(`wrote ${args.json}`)
  }

  const bad = results.flatMap((r) => r.rows.filter((row) => row.error !== null || (row.check !== null && !row.check.ok)).map((row) => `${r.id}/${row.name}`))
  if (bad.length > 0) {
    log(`\nFAILED (error or wrong result): ${bad.join(", ")}`)
    return 1
  }
  return 0
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
    process.exit(1)
  }
)
