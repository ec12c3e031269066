/**
 * `hk.summary`: a table of the module calls a function makes — module, kind and options, the
 * parameters it owns, input and output shapes, parameter count and bytes (with submodules) —
 * computed by abstract evaluation (`jax.evalShape` over init then apply: no kernel runs), and
 * returned as data that prints as a grid. It records the calls with a method interceptor, as
 * Haiku's does.
 *
 * Haiku: `hk.experimental.tabulate` / `hk.experimental.eval_summary`.
 */
import { Effect } from "effect"
import { Tensor } from "../transforms/core/Tensor.js"
import { evalShape as rawEvalShape } from "../transforms/raw/jit.js"
import * as random from "../transforms/random/random.js"
import type { ParamTree } from "./Frame.js"
import { interceptMethods, type MethodInterceptor, type ModuleInfo } from "./interceptors.js"
import { transformWithState } from "./transform.js"
import type { HaikuServices } from "./services.js"

/** The shape and dtype of a value (what `jax.evalShape` gives for a Tensor). */
export interface Spec {
  readonly shape: ReadonlyArray<number>
  readonly dtype: string
}

/** One module method call. Haiku: `hk.experimental.MethodInvocation`. */
export interface SummaryRow {
  /** The module's full name, e.g. `"mlp/~/linear_0"`. */
  readonly module: string
  /** Its kind (Haiku's class name), e.g. `"Linear"`, if the module names one. */
  readonly kind: string | undefined
  /** `"__call__"` or the method's name. */
  readonly method: string
  /** The constructor options the module reported, if any. */
  readonly config: Readonly<Record<string, unknown>> | undefined
  /** The modules whose methods were running when this one was called, innermost first. */
  readonly callStack: ReadonlyArray<string>
  /** Each argument as `f32[8,784]` (other values as JSON). */
  readonly inputs: ReadonlyArray<string>
  /** The result, tensors as `f32[8,10]`. */
  readonly output: string
  /** The parameters this module owns (its own bundle), name → spec. */
  readonly ownedParams: Readonly<Record<string, Spec>>
  /** Elements in this module's parameters and its submodules'. */
  readonly paramCount: number
  /** Bytes of those parameters. */
  readonly paramBytes: number
}

/** A summary: the rows, the totals, and `toString()` for the grid. */
export interface Summary {
  readonly rows: ReadonlyArray<SummaryRow>
  /** Elements in every parameter of the function. */
  readonly totalParams: number
  /** Bytes of every parameter. */
  readonly totalBytes: number
  /** The parameter tree's shapes. */
  readonly params: Readonly<Record<string, Readonly<Record<string, Spec>>>>
  /** The rows as a grid table (Haiku's `tabulate` format). */
  toString(): string
}

/** Options of {@link summary}. */
export interface SummaryOptions {
  /** Keep only calls that return a value (default true; Haiku's `has_output`). */
  readonly hasOutput?: boolean
  /** Keep only modules with parameters (default false; Haiku's `has_params`). */
  readonly hasParams?: boolean
}

const DTYPE: Record<string, string> = { float32: "f32", int32: "s32", uint32: "u32", bool: "bool" }
const specString = (s: Spec) => `${DTYPE[s.dtype] ?? s.dtype}[${s.shape.join(",")}]`
const sizeOf = (s: Spec) => s.shape.reduce((a, b) => a * b, 1)
const bytesOf = (s: Spec) => sizeOf(s) * (s.dtype === "bool" ? 1 : 4)

/** A value with tensors shown as `f32[2,3]`. */
const show = (v: unknown, depth = 0): string => {
  if (v instanceof Tensor) return v.aval.toString()
  if (v === undefined) return "undefined"
  if (v === null || typeof v === "number" || typeof v === "boolean" || typeof v === "string") return JSON.stringify(v)
  if (typeof v === "function") return (v as { name?: string }).name ? `<${(v as { name: string }).name}>` : "<function>"
  if (depth > 3) return "…"
  if (Array.isArray(v)) return `[${v.map((x) => show(x, depth + 1)).join(", ")}]`
  if (typeof v === "object") return `{${Object.entries(v as object).map(([k, x]) => `${k}: ${show(x, depth + 1)}`).join(", ")}}`
  return String(v)
}

const formatBytes = (n: number): string => (n < 1e3 ? `${n} B` : n < 1e6 ? `${(n / 1e3).toFixed(2)} KB` : n < 1e9 ? `${(n / 1e6).toFixed(2)} MB` : `${(n / 1e9).toFixed(2)} GB`)

const configString = (row: SummaryRow): string => {
  if (row.kind === undefined) return ""
  const entries = Object.entries(row.config ?? {}).filter(([, v]) => v !== undefined && typeof v !== "function")
  return `${row.kind}(${entries.map(([k, v]) => `${k}=${show(v)}`).join(", ")})`
}

/** Rows as a grid: `+---+` rules, `+===+` under the header, cells split on newlines. */
export const grid = (headers: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>, align: ReadonlyArray<"left" | "right">): string => {
  const cells = [headers, ...rows].map((r) => r.map((c) => c.split("\n")))
  const widths = headers.map((_, j) => Math.max(...cells.map((r) => Math.max(...r[j]!.map((l) => l.length)))))
  const rule = (ch: string) => `+${widths.map((w) => ch.repeat(w + 2)).join("+")}+`
  const line = (r: string[][]) => {
    const height = Math.max(...r.map((c) => c.length))
    return Array.from({ length: height }, (_, k) => `|${r.map((c, j) => ` ${align[j] === "right" ? (c[k] ?? "").padStart(widths[j]!) : (c[k] ?? "").padEnd(widths[j]!)} `).join("|")}|`).join("\n")
  }
  const out = [rule("-"), line(cells[0]!), rule("=")]
  for (const r of cells.slice(1)) out.push(line(r), rule("-"))
  return out.join("\n")
}

const render = (rows: ReadonlyArray<SummaryRow>, totalParams: number, totalBytes: number): string => {
  if (rows.length === 0) return "No modules matching filters."
  const body = rows.map((r) => [
    [`${r.module}${r.kind ? ` (${r.kind}${r.method === "__call__" ? "" : `.${r.method}`})` : r.method === "__call__" ? "" : ` (.${r.method})`}`, ...r.callStack.map((m) => ` └ ${m}`)].join("\n"),
    configString(r),
    Object.entries(r.ownedParams)
      .sort(([a, x], [b, y]) => sizeOf(y) - sizeOf(x) || a.localeCompare(b))
      .map(([n, s]) => `${n}: ${specString(s)}`)
      .join("\n"),
    r.inputs.join(", "),
    r.output,
    r.paramCount.toLocaleString("en-US"),
    formatBytes(r.paramBytes)
  ])
  const table = grid(["Module", "Config", "Module params", "Input", "Output", "Param count", "Param bytes"], body, ["left", "left", "left", "left", "left", "right", "right"])
  return `${table}\nTotal: ${totalParams.toLocaleString("en-US")} parameters, ${formatBytes(totalBytes)}`
}

interface Pending {
  readonly info: ModuleInfo
  readonly method: string
  readonly callStack: ReadonlyArray<string>
  readonly inputs: ReadonlyArray<string>
  output?: string
}

type Fn = (...args: any[]) => any

/**
 * `summary(f)(...args)` evaluates `f` abstractly (init, then apply with the module calls
 * recorded) on `args` — Tensors or `{ shape, dtype }` specs — and gives a {@link Summary}: one
 * row per module method call, printable as Haiku's table. No kernel runs and no parameter is
 * materialised, so it works for networks too big to initialise here.
 *
 * Haiku: `hk.experimental.tabulate(f)(*args)` (the rows: `hk.experimental.eval_summary`).
 *
 * @example
 * const mlp = (x: Tensor) => Effect.flatMap(hk.nets.MLP([300, 100, 10]), (m) => m(x))
 * const s = Effect.runSync(hk.summary(mlp)({ shape: [8, 784], dtype: "float32" }))
 * console.log(String(s))   // mlp (MLP) … 266,610 … 1.07 MB; mlp/~/linear_0 (Linear) …
 */
export const summary =
  <F extends Fn>(f: F, options: SummaryOptions = {}) =>
  (...args: ReadonlyArray<Tensor | Spec | unknown>): Effect.Effect<Summary, unknown> =>
    Effect.suspend(() => {
      const calls: Pending[] = []
      const stack: string[] = []
      const logger: MethodInterceptor = (next, a, ctx) => {
        const entry: Pending = { info: ctx.module, method: ctx.methodName, callStack: [...stack].reverse(), inputs: a.map((x) => show(x)) }
        calls.push(entry)
        stack.push(ctx.module.moduleName)
        return Effect.ensuring(
          Effect.map(next(...a), (out) => {
            entry.output = show(out)
            return out
          }),
          Effect.sync(() => stack.pop())
        )
      }
      const call = (...a: unknown[]) => {
        const out = f(...a)
        return (Effect.isEffect(out) ? out : Effect.succeed(out)) as Effect.Effect<unknown, unknown, HaikuServices>
      }
      const plain = transformWithState(call)
      const logged = transformWithState((...a: unknown[]) => interceptMethods(logger, call(...a)))
      const both = (k1: random.Key, k2: random.Key, ...a: unknown[]) =>
        Effect.flatMap(plain.init(k1, ...a), ([p, s]) =>
          Effect.as(logged.apply(p, s, k2, ...a), p)
        )
      const evalShape = rawEvalShape as unknown as (g: Fn, ...a: unknown[]) => Effect.Effect<Record<string, Record<string, Spec>>, unknown>
      return Effect.map(evalShape(both, random.key(42), random.key(43), ...args), (params) => {
        const bundles = Object.entries(params)
        const within = (m: string) => bundles.filter(([b]) => b === m || b.startsWith(`${m}/`)).flatMap(([, b]) => Object.values(b))
        const all = bundles.flatMap(([, b]) => Object.values(b))
        const rows: SummaryRow[] = calls
          .filter((c) => (options.hasOutput ?? true ? c.output !== "undefined" && c.output !== "null" : true))
          .map((c) => {
            const mine = within(c.info.moduleName)
            return {
              module: c.info.moduleName,
              kind: c.info.kind,
              method: c.method,
              config: c.info.config,
              callStack: c.callStack,
              inputs: c.inputs,
              output: String(c.output),
              ownedParams: { ...(params[c.info.moduleName] ?? {}) },
              paramCount: mine.reduce((s, v) => s + sizeOf(v), 0),
              paramBytes: mine.reduce((s, v) => s + bytesOf(v), 0)
            }
          })
          .filter((r) => !(options.hasParams ?? false) || r.paramCount > 0)
        const totalParams = all.reduce((s, v) => s + sizeOf(v), 0)
        const totalBytes = all.reduce((s, v) => s + bytesOf(v), 0)
        return { rows, totalParams, totalBytes, params: params as ParamTree as unknown as Summary["params"], toString: () => render(rows, totalParams, totalBytes) }
      })
    })

