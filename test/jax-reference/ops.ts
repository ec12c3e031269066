/**
 * How each recorded JAX call is made in tanka: `op` names JAX's function ("jnp.cumsum",
 * "random.choice", ...); positional arguments pass through, keyword arguments become tanka's
 * camelCase options object (or positional arguments where tanka takes them positionally).
 */
import { jax, jnp, type Tensor } from "../../src/index.js"
import { camelKw, decode, type Encoded } from "./fixtures.js"
import { PROGRAMS } from "./programs.js"

type Args = unknown[]
type Kw = Record<string, unknown>
type Call = (args: Args, kw: Kw) => unknown

const camel = (s: string): string => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())
const withKw = (args: Args, kw: Kw): Args => (Object.keys(kw).length > 0 ? [...args, kw] : args)
const lookup = (ns: Record<string, unknown>, name: string, where: string): ((...a: unknown[]) => unknown) => {
  const f = ns[camel(name)] ?? ns[name]
  if (typeof f !== "function") throw new Error(`tanka has no ${where}.${camel(name)} (fixture op ${where}.${name})`)
  return f as (...a: unknown[]) => unknown
}

/** Calls that do not follow the default `(…args, options)` mapping. */
const SPECIAL: Record<string, Call> = {
  "jnp.linalg.norm": ([x], kw) => jnp.linalg.norm(x as Tensor, kw),
  "jnp.var": ([x], kw) => jnp.var(x as Tensor, kw),
  "nn.swish": ([x]) => jax.nn.swish(x as Tensor),
  "lax.top_k": ([x, k], kw) => jax.lax.topK(x as Tensor, k as number, kw),
  "lax.sort": ([ops], kw) => jax.lax.sort(ops as Tensor[], kw),
  "lax.dynamic_slice": ([x, s, z]) => jax.lax.dynamicSlice(x as Tensor, s as number[], z as number[]),
  "lax.dynamic_update_slice": ([x, u, s]) => jax.lax.dynamicUpdateSlice(x as Tensor, u as Tensor, s as number[]),
  "random.choice": ([key, a, shape], kw) => jax.random.choice(key as never, a as number, shape as number[], kw),
  "init.truncated_normal": ([ctor, key, shape], kw) =>
    jax.nn.initializers.truncatedNormal(...(ctor as number[]), kw.lower as number | undefined, kw.upper as number | undefined)(key as never, shape as number[])
}

const byKind: Record<string, (name: string) => Call> = {
  jnp: (name) => (args, kw) => lookup(jnp as unknown as Record<string, unknown>, name, "jnp")(...withKw(args, kw)),
  nn: (name) => (args, kw) => lookup(jax.nn as unknown as Record<string, unknown>, name, "jax.nn")(...withKw(args, kw)),
  lax: (name) => (args, kw) => lookup(jax.lax as unknown as Record<string, unknown>, name, "jax.lax")(...withKw(args, kw)),
  random: (name) => (args, kw) => lookup(jax.random as unknown as Record<string, unknown>, name, "jax.random")(...withKw(args, kw)),
  init: (name) => ([ctor, key, shape], kw) => {
    const make = lookup(jax.nn.initializers as unknown as Record<string, unknown>, name, "jax.nn.initializers")
    const init = name === "zeros" || name === "ones" ? make : (make(...withKw(ctor as unknown[], kw)) as (...a: unknown[]) => unknown)
    return init(key, shape)
  },
  at: (name) => ([x, index, values], kw) => {
    const ref = jnp.at(x as Tensor, ...(index as jnp.IndexSpec[]))
    if (name === "get") return ref.get()
    if (name === "mul") return ref.mul(values as Tensor, kw)
    return ref[name as "set" | "add"](values as Tensor)
  },
  program: (name) => (args) => {
    const p = PROGRAMS[name]
    if (!p) throw new Error(`no tanka program ${name} (test/jax-reference/programs.ts)`)
    return p(...(args as Tensor[]))
  }
}

/** Runs one fixture call in tanka. */
export const runOp = (op: string, args: Encoded[], kw: Record<string, Encoded>): unknown => {
  const a = args.map(decode)
  const k = camelKw(kw)
  const special = SPECIAL[op]
  if (special) return special(a, k)
  const dot = op.indexOf(".")
  const kind = op.slice(0, dot)
  const name = op.slice(dot + 1)
  const make = byKind[kind]
  if (!make) throw new Error(`unknown fixture op kind ${kind} in ${op}`)
  return make(name)(a, k)
}
