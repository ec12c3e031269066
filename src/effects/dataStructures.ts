/**
 * Functions over Haiku's two-level trees (`{ [module]: { [name]: value } }`: params, state,
 * gradients, optimizer moments): split, filter, map, merge and walk them with the predicate
 * signature Haiku uses, `(moduleName, name, value)`. Every result is a new tree (sorted keys,
 * frozen); keys are data only (`"__proto__"` is an ordinary key).
 *
 * Haiku: `hk.data_structures`.
 *
 * @module
 */
import { Tensor } from "../transforms/core/Tensor.js"
import { defineKey } from "./Frame.js"
import { InvalidParamsError } from "./errors.js"

/** A two-level tree of `V` (a `ParamTree` when `V` is `Tensor`). */
export type Tree<V = Tensor> = { readonly [moduleName: string]: { readonly [name: string]: V } }
/** A two-level tree whose objects may be written to (see {@link toMutable}). */
export type MutableTree<V = Tensor> = { [moduleName: string]: { [name: string]: V } }

type LeafOf<T> = T extends { readonly [m: string]: { readonly [n: string]: infer V } } ? V : never
/** `T` with every leaf replaced by `U`, keeping its keys (typed keys stay typed). */
export type MapLeaves<T, U> = { readonly [M in keyof T]: { readonly [N in keyof T[M]]: U } }

const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k)

const checkTree = (api: string, tree: unknown): Tree<unknown> => {
  if (tree === null || typeof tree !== "object" || Array.isArray(tree)) {
    throw new InvalidParamsError({ message: `${api}: expected a two-level tree { [module]: { [name]: value } }, got ${tree === null ? "null" : Array.isArray(tree) ? "an array" : typeof tree}.` })
  }
  for (const m of Object.keys(tree)) {
    const b = (tree as Record<string, unknown>)[m]
    if (b === null || typeof b !== "object" || Array.isArray(b) || b instanceof Tensor) {
      throw new InvalidParamsError({ message: `${api}: the entry '${m}' must be an object { [name]: value }, got ${b instanceof Tensor ? "a Tensor" : b === null ? "null" : typeof b}; trees have two levels, module then name.` })
    }
  }
  return tree as Tree<unknown>
}

/** Build a frozen tree with sorted keys from `[module, name, value]` entries (later entries win). */
const build = <V>(entries: Iterable<readonly [string, string, V]>): Tree<V> => {
  const grouped = new Map<string, Map<string, V>>()
  for (const [m, n, v] of entries) {
    let b = grouped.get(m)
    if (!b) grouped.set(m, (b = new Map()))
    b.set(n, v)
  }
  const out: Record<string, Record<string, V>> = {}
  for (const m of [...grouped.keys()].sort()) {
    const inner: Record<string, V> = {}
    const b = grouped.get(m)!
    for (const n of [...b.keys()].sort()) defineKey(inner, n, b.get(n)!)
    defineKey(out, m, Object.freeze(inner))
  }
  return Object.freeze(out)
}

/**
 * Every `[moduleName, name, value]` of `tree`, modules and names in sorted order.
 *
 * Haiku: `hk.data_structures.traverse`.
 *
 * @example
 * for (const [m, n, v] of hk.data.traverse(params)) console.log(`${m}/${n}`, v.shape)
 */
export function* traverse<V>(tree: Tree<V>): Generator<[string, string, V]> {
  checkTree("hk.data.traverse", tree)
  for (const m of Object.keys(tree).sort()) {
    const bundle = tree[m]!
    for (const n of Object.keys(bundle).sort()) if (hasOwn(bundle, n)) yield [m, n, bundle[n]!]
  }
}

/**
 * Split `tree` in two: entries for which `predicate(moduleName, name, value)` holds, and the rest.
 *
 * Haiku: `hk.data_structures.partition`.
 *
 * @example
 * const [trainable, frozen] = hk.data.partition((m) => m.startsWith("mlp/~/linear_2"), params)
 */
export const partition = <V>(predicate: (moduleName: string, name: string, value: V) => boolean, tree: Tree<V>): [Tree<V>, Tree<V>] => {
  const [a, b] = partitionN((m, n, v: V) => (predicate(m, n, v) ? 0 : 1), tree, 2)
  return [a!, b!]
}

/**
 * Split `tree` into `n` trees: entry goes to tree `fn(moduleName, name, value)`, which must be an
 * integer in `[0, n)`.
 *
 * Haiku: `hk.data_structures.partition_n`.
 *
 * @example
 * const [encoder, decoder, rest] = hk.data.partitionN((m) => (m.startsWith("enc") ? 0 : m.startsWith("dec") ? 1 : 2), params, 3)
 */
export const partitionN = <V>(fn: (moduleName: string, name: string, value: V) => number, tree: Tree<V>, n: number): Array<Tree<V>> => {
  if (!Number.isInteger(n) || n < 1) throw new InvalidParamsError({ message: `hk.data.partitionN: n must be a positive integer, got ${n}.` })
  const buckets: Array<Array<[string, string, V]>> = Array.from({ length: n }, () => [])
  for (const [m, name, v] of traverse(tree)) {
    const i = fn(m, name, v)
    if (!Number.isInteger(i) || i < 0 || i >= n) {
      throw new InvalidParamsError({ message: `hk.data.partitionN: fn returned ${i} for '${m}/${name}', which must be in range [0, ${n}); return the index of the tree the entry goes to.` })
    }
    buckets[i]!.push([m, name, v])
  }
  return buckets.map((b) => build(b))
}

/**
 * The entries of `tree` for which `predicate(moduleName, name, value)` holds.
 *
 * Haiku: `hk.data_structures.filter`.
 *
 * @example
 * const weights = hk.data.filter((_, name) => name === "w", params)
 */
export const filter = <V>(predicate: (moduleName: string, name: string, value: V) => boolean, tree: Tree<V>): Tree<V> =>
  build([...traverse(tree)].filter(([m, n, v]) => predicate(m, n, v)))

/**
 * `tree` with every value replaced by `fn(moduleName, name, value)`; the keys (and their types) stay.
 *
 * Haiku: `hk.data_structures.map`.
 *
 * @example
 * const halved = hk.data.map((_, n, v) => (n === "w" ? jnp.multiply(v, 0.5) : v), params)
 */
export const map = <T extends Tree<any>, U>(fn: (moduleName: string, name: string, value: LeafOf<T>) => U, tree: T): MapLeaves<T, U> =>
  build([...traverse(tree as Tree<LeafOf<T>>)].map(([m, n, v]) => [m, n, fn(m, n, v)] as const)) as unknown as MapLeaves<T, U>

/** Options of {@link merge} (pass as the last argument). */
export interface MergeOptions {
  /** Throw if an entry appears in several trees with different shapes or dtypes (default false). */
  readonly checkDuplicates: boolean
}

const isOptions = (x: unknown): x is MergeOptions =>
  x !== null && typeof x === "object" && Object.keys(x).length === 1 && typeof (x as { checkDuplicates?: unknown }).checkDuplicates === "boolean"

const describe = (v: unknown) => (v instanceof Tensor ? v.aval.toString() : JSON.stringify(v))

/**
 * One tree with every entry of `trees`; where several have the same entry, the last wins.
 * With `{ checkDuplicates: true }` as the last argument, entries that differ in shape or dtype
 * are an error.
 *
 * Haiku: `hk.data_structures.merge`.
 *
 * @example
 * declare const trainable: hk.ParamTree, frozen: hk.ParamTree
 * const merged = hk.data.merge(trainable, frozen)
 */
export function merge<V>(...trees: Array<Tree<V>>): Tree<V>
export function merge<V>(...args: [...Array<Tree<V>>, MergeOptions]): Tree<V>
export function merge<V>(...args: Array<Tree<V> | MergeOptions>): Tree<V> {
  const last = args[args.length - 1]
  const options = args.length > 0 && isOptions(last) ? last : { checkDuplicates: false }
  const trees = (options === last ? args.slice(0, -1) : args) as Array<Tree<V>>
  const seen = new Map<string, V>()
  const out: Array<[string, string, V]> = []
  for (const t of trees) {
    for (const [m, n, v] of traverse(t)) {
      const k = `${m}\u0000${n}`
      if (options.checkDuplicates && seen.has(k)) {
        const prev = seen.get(k)
        const shaped = (x: unknown) => (x instanceof Tensor ? `${x.dtype}[${x.shape.join(",")}]` : null)
        if (shaped(prev) !== shaped(v)) {
          throw new InvalidParamsError({ message: `hk.data.merge: Duplicate array found with different shape/dtype for ${m}.${n}: ${describe(prev)} vs ${describe(v)}.` })
        }
      }
      seen.set(k, v)
      out.push([m, n, v])
    }
  }
  return build(out)
}

/**
 * Whether every `(moduleName, name)` of `subset` is in `superset` (values are not compared).
 *
 * Haiku: `hk.data_structures.is_subset`.
 *
 * @example
 * declare const trainable: hk.ParamTree
 * hk.data.isSubset({ subset: trainable, superset: params }) // true
 */
export const isSubset = ({ subset, superset }: { readonly subset: Tree<unknown>; readonly superset: Tree<unknown> }): boolean => {
  const sup = new Set([...traverse(superset)].map(([m, n]) => `${m}\u0000${n}`))
  return [...traverse(subset)].every(([m, n]) => sup.has(`${m}\u0000${n}`))
}

/**
 * A copy of `tree` whose objects may be written to (trees from `init` are frozen).
 *
 * Haiku: `hk.data_structures.to_mutable_dict`.
 *
 * @example
 * declare const newW: Tensor
 * const p = hk.data.toMutable(params); p["linear"]!["w"] = newW
 */
export const toMutable = <V>(tree: Tree<V>): MutableTree<V> => {
  const out: MutableTree<V> = {}
  for (const [m, n, v] of traverse(tree)) {
    if (!hasOwn(out, m)) defineKey(out, m, {} as Record<string, V>)
    defineKey(out[m]!, n, v)
  }
  return out
}

/**
 * A frozen copy of `tree` with sorted keys (what `init` returns).
 *
 * Haiku: `hk.data_structures.to_immutable_dict` / `to_haiku_dict`.
 *
 * @example
 * declare const edited: hk.ParamTree
 * const frozen = hk.data.toImmutable(edited)
 */
export const toImmutable = <V>(tree: Tree<V>): Tree<V> => build(traverse(tree))

/**
 * The number of elements in every tensor of `tree`.
 *
 * Haiku: `hk.data_structures.tree_size`.
 *
 * @example
 * hk.data.treeSize(params) // 266610 for MLP([300, 100, 10]) on 784 inputs
 */
export const treeSize = (tree: Tree<{ readonly shape: ReadonlyArray<number> }>): number =>
  [...traverse(tree)].reduce((s, [, , v]) => s + v.shape.reduce((a, b) => a * b, 1), 0)

/**
 * The bytes of every tensor of `tree` (4 per element for every tanka dtype but `bool`, 1).
 *
 * Haiku: `hk.data_structures.tree_bytes`.
 *
 * @example
 * hk.data.treeBytes(params) // 1066440
 */
export const treeBytes = (tree: Tree<{ readonly shape: ReadonlyArray<number>; readonly dtype: string }>): number =>
  [...traverse(tree)].reduce((s, [, , v]) => s + v.shape.reduce((a, b) => a * b, 1) * (v.dtype === "bool" ? 1 : 4), 0)
