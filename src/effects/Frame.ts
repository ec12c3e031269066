/**
 * Haiku's frame: the per-run values of a transformed function (params, state as
 * `{initial, current}`, the rng stack) kept apart from bookkeeping (frozen?, name counters).
 * Only handlers (`hk.transform*`) and `hk.*` wrappers build or replace frames.
 *
 * Haiku: `haiku._src.base.Frame`.
 */
import { Tensor } from "../transforms/core/Tensor.js"
import * as lax from "../transforms/core/lax.js"
import { currentLevel } from "../transforms/core/trace.js"
import * as random from "../transforms/random/random.js"
import type { Key } from "../transforms/random/random.js"
import { InvalidKeyError } from "./errors.js"

/**
 * Parameters as a plain two-level object `{ [modulePath]: { [name]: Tensor } }`; top-level
 * parameters live under `"~"`. Keys are data only (`"__proto__"` is an ordinary key).
 *
 * Haiku: `hk.Params`.
 */
export type ParamTree = { readonly [modulePath: string]: { readonly [name: string]: Tensor } }

/** State in the same two-level layout as {@link ParamTree}. Haiku: `hk.State`. */
export type StateTree = ParamTree

/** A key argument of `init`/`apply`: a key, an integer seed, or `null` for "no randomness". */
export type KeyLike = Key | number | null

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k)

/** Set `o[k] = v` as an own data property, whatever `k` is (never touches a prototype). */
export const defineKey = <V>(o: Record<string, V>, k: string, v: V): void => {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true })
}

/** Read `tree[bundle][name]` through own properties only. */
export const readTree = (tree: ParamTree, bundle: string, name: string): Tensor | undefined => {
  if (!hasOwn(tree, bundle)) return undefined
  const b = tree[bundle]
  return b !== null && typeof b === "object" && hasOwn(b, name) ? b[name] : undefined
}

/** A frozen, sorted two-level tree from `[bundle, name, value]` entries. */
export const buildTree = (entries: Iterable<readonly [string, string, Tensor]>): ParamTree => {
  const grouped = new Map<string, Map<string, Tensor>>()
  for (const [b, n, v] of entries) {
    let m = grouped.get(b)
    if (!m) grouped.set(b, (m = new Map()))
    m.set(n, v)
  }
  const out: Record<string, Record<string, Tensor>> = {}
  for (const b of [...grouped.keys()].sort()) {
    const inner: Record<string, Tensor> = {}
    const m = grouped.get(b)!
    for (const n of [...m.keys()].sort()) defineKey(inner, n, m.get(n)!)
    defineKey(out, b, Object.freeze(inner))
  }
  return Object.freeze(out)
}

/** Every `[bundle, name, value]` of a two-level tree, own keys only. */
export const treeEntries = (tree: ParamTree): Array<[string, string, Tensor]> => {
  const out: Array<[string, string, Tensor]> = []
  for (const b of Object.keys(tree)) {
    const inner = tree[b]
    if (inner === null || typeof inner !== "object") continue
    for (const n of Object.keys(inner)) out.push([b, n, inner[n]!])
  }
  return out
}

const row = (keys: Tensor, i: number): Key => lax.reshape(lax.slice(keys, [i, 0], [i + 1, 2]), [2]) as Key

/**
 * An iterator over keys: `reserve(n)` splits the internal key into `n + 1` and keeps the
 * tail; `next()` pops one, reserving one more when empty. So the first key drawn from
 * `PRNGSequence(k)` is `split(k, 2)[1]`.
 *
 * Haiku: `hk.PRNGSequence`.
 */
export class PRNGSequence {
  /** A sequence at `key` with `subkeys` already split off (use {@link PRNGSequence.from} to validate a key). */
  constructor(
    public key: Key,
    public subkeys: Key[] = []
  ) {}

  /** A sequence from a key or integer seed, validating the key. */
  static from(key: Key | number, what = "The key"): PRNGSequence {
    if (typeof key === "number") {
      if (!Number.isInteger(key)) throw new InvalidKeyError({ message: `${what} must be a key or an integer seed, got ${key}. Use jax.random.key(seed).` })
      return new PRNGSequence(random.key(key))
    }
    if (!(key instanceof Tensor) || key.dtype !== "uint32" || key.ndim !== 1 || key.shape[0] !== 2) {
      const shown = key instanceof Tensor ? key.aval.toString() : typeof key
      throw new InvalidKeyError({
        message: `Provided key did not have expected shape and/or dtype: expected=u32[2], actual=${shown}. Make one with jax.random.key(seed), or pass a number seed.`
      })
    }
    return new PRNGSequence(key)
  }

  /** Splits `n` more subkeys off the key now, so later `next`/`take` calls split nothing. Haiku: `PRNGSequence.reserve`. */
  reserve(n: number): void {
    if (n <= 0) return
    const keys = random.split(this.key, n + 1)
    this.key = row(keys, 0)
    for (let i = 1; i <= n; i++) this.subkeys.push(row(keys, i))
  }

  /** The next key of the sequence (the same keys in the same order for the same starting key). Haiku: `next(seq)`. */
  next(): Key {
    if (this.subkeys.length === 0) this.reserve(1)
    return this.subkeys.shift()!
  }

  /** The next `n` keys of the sequence. Haiku: `PRNGSequence.take`. */
  take(n: number): Key[] {
    this.reserve(Math.max(n - this.subkeys.length, 0))
    return this.subkeys.splice(0, n)
  }

  /** An independent copy at the same position: it yields the keys this sequence would yield next. */
  clone(): PRNGSequence {
    return new PRNGSequence(this.key, [...this.subkeys])
  }

  /** The sequence's tensors `[key, ...subkeys]` (for threading through a raw transform). */
  tensors(): Key[] {
    return [this.key, ...this.subkeys]
  }

  /** The sequence whose `tensors()` were `ts` (the inverse of `tensors`). */
  static fromTensors(ts: ReadonlyArray<Tensor>): PRNGSequence {
    return new PRNGSequence(ts[0] as Key, ts.slice(1) as Key[])
  }
}

/** Module-name bookkeeping for one scope: how often each name was used, and which are taken. */
export class NameTable {
  constructor(
    readonly counters: Map<string, number> = new Map(),
    readonly used: Set<string> = new Set()
  ) {}
  clone(): NameTable {
    return new NameTable(new Map(this.counters), new Set(this.used))
  }
}

/** A parameter store: own entries over an optional base (the outer frame's store or the apply tree). */
export class ParamStore {
  readonly own = new Map<string, Map<string, Tensor>>()
  constructor(readonly base: ParamStore | ParamTree | null) {}
  get(bundle: string, name: string): Tensor | undefined {
    const v = this.own.get(bundle)?.get(name)
    if (v !== undefined) return v
    if (this.base === null) return undefined
    return this.base instanceof ParamStore ? this.base.get(bundle, name) : readTree(this.base, bundle, name)
  }
  set(bundle: string, name: string, value: Tensor): void {
    let m = this.own.get(bundle)
    if (!m) this.own.set(bundle, (m = new Map()))
    m.set(name, value)
  }
  hasBundle(bundle: string): boolean {
    if (this.own.has(bundle)) return true
    if (this.base === null) return false
    return this.base instanceof ParamStore ? this.base.hasBundle(bundle) : hasOwn(this.base, bundle)
  }
  /** Every entry visible here (own entries shadow the base). */
  entries(): Array<[string, string, Tensor]> {
    const seen = new Map<string, [string, string, Tensor]>()
    const baseEntries = this.base === null ? [] : this.base instanceof ParamStore ? this.base.entries() : treeEntries(this.base)
    for (const e of baseEntries) seen.set(`${e[0]}\u0000${e[1]}`, e)
    for (const [b, m] of this.own) for (const [n, v] of m) seen.set(`${b}\u0000${n}`, [b, n, v])
    return [...seen.values()]
  }
  ownEntries(): Array<[string, string, Tensor]> {
    const out: Array<[string, string, Tensor]> = []
    for (const [b, m] of this.own) for (const [n, v] of m) out.push([b, n, v])
    return out
  }
}

/** One state value: what `init` returns (`initial`) and what `apply` returns (`current`). Haiku: `StatePair`. */
export interface StatePair {
  readonly initial: Tensor
  readonly current: Tensor
}

/** A state store: own pairs over an optional base store. */
export class StateStore {
  readonly own = new Map<string, Map<string, StatePair>>()
  constructor(readonly base: StateStore | null) {}
  get(bundle: string, name: string): StatePair | undefined {
    return this.own.get(bundle)?.get(name) ?? this.base?.get(bundle, name)
  }
  set(bundle: string, name: string, pair: StatePair): void {
    let m = this.own.get(bundle)
    if (!m) this.own.set(bundle, (m = new Map()))
    m.set(name, pair)
  }
  /** Haiku's `set_state`: keep `initial` if the value exists, else `initial = current = value`. */
  setCurrent(bundle: string, name: string, value: Tensor): void {
    const prev = this.get(bundle, name)
    this.set(bundle, name, { initial: prev ? prev.initial : value, current: value })
  }
  entries(): Array<[string, string, StatePair]> {
    const seen = new Map<string, [string, string, StatePair]>()
    for (const e of this.base?.entries() ?? []) seen.set(`${e[0]}\u0000${e[1]}`, e)
    for (const [b, m] of this.own) for (const [n, v] of m) seen.set(`${b}\u0000${n}`, [b, n, v])
    return [...seen.values()]
  }
  ownEntries(): Array<[string, string, StatePair]> {
    const out: Array<[string, string, StatePair]> = []
    for (const [b, m] of this.own) for (const [n, v] of m) out.push([b, n, v])
    return out
  }
  static fromTree(tree: StateTree): StateStore {
    const s = new StateStore(null)
    for (const [b, n, v] of treeEntries(tree)) s.set(b, n, { initial: v, current: v })
    return s
  }
}

let frameIds = 0

/**
 * The values and bookkeeping of one run of a transformed function (or one wrapped-transform body).
 *
 * Haiku: `haiku._src.base.Frame`.
 */
export class Frame {
  readonly id = frameIds++
  /**
   * The trace level the frame was built at. Haiku operations run only at this level: a deeper
   * level means a raw transform is tracing the caller (its values would leak into the frame as
   * tracers), whatever the fiber context says. Haiku: `Frame.jax_trace_stack`.
   */
  readonly level = currentLevel()
  /** `true` while the handler that built the frame is running its function. */
  active = false
  constructor(
    /** `true` in apply: parameters can be read, never created. */
    readonly frozen: boolean,
    readonly params: ParamStore,
    /** `null` under `hk.transform` (state is not allowed there). */
    readonly state: StateStore | null,
    readonly rngStack: Array<PRNGSequence | null>,
    /** Top-level module-name counters. */
    readonly names: NameTable,
    /** The handler that built the frame, for messages (`hk.transform`, `hk.vmap`, …). */
    readonly handler: string
  ) {}

  get rng(): PRNGSequence | null {
    return this.rngStack[this.rngStack.length - 1] ?? null
  }
}

/** A sequence from a `KeyLike` (`null` stays `null`). */
export const toSequence = (key: KeyLike, what: string): PRNGSequence | null => {
  if (key === null || key === undefined) return null
  if (typeof key !== "number" && !(key instanceof Tensor)) {
    throw new InvalidKeyError({
      message: `${what} The object was of type ${typeof key}: ${String(key)}. Pass jax.random.key(seed), a number seed, or null.`
    })
  }
  return PRNGSequence.from(key, "The key")
}
