/**
 * Pytrees: nested arrays and plain objects whose leaves are tensors (or numbers). Object keys
 * are visited in sorted order, as JAX sorts dict keys; `null`/`undefined` are empty subtrees.
 *
 * JAX: `jax.tree_util`.
 */
import { Tensor } from "./Tensor.js"

/**
 * The structure of a pytree without its leaves: a leaf, an empty subtree (`null`/`undefined`), an
 * array of subtrees, or an object's sorted keys and their subtrees. Two trees with equal `TreeDef`s
 * can be mapped together.
 *
 * JAX: `jax.tree_util.PyTreeDef`.
 */
export type TreeDef =
  | { readonly kind: "leaf" }
  | { readonly kind: "none"; readonly value: null | undefined }
  | { readonly kind: "array"; readonly children: ReadonlyArray<TreeDef> }
  | { readonly kind: "object"; readonly keys: ReadonlyArray<string>; readonly children: ReadonlyArray<TreeDef> }

const isPlainObject = (x: unknown): x is Record<string, unknown> => {
  if (x === null || typeof x !== "object") return false
  const proto = Object.getPrototypeOf(x)
  return proto === Object.prototype || proto === null
}

/** Is `x` a leaf (anything that is not an array, plain object or null)? */
export const isLeaf = (x: unknown): boolean => !(Array.isArray(x) || isPlainObject(x) || x === null || x === undefined)

/**
 * The leaves of `tree` in order (object keys sorted) and its structure; `unflatten(def, leaves)`
 * rebuilds it. `isLeafFn` may stop the descent early (a subtree it accepts is one leaf).
 *
 * JAX: `jax.tree.flatten`.
 *
 * @example
 * const [leaves, def] = jax.tree.flatten({ b: [jnp.ones([2]), jnp.zeros([3])], a: jnp.ones([1]) })
 * // leaves: [a, b[0], b[1]]
 * const doubled = jax.tree.unflatten(def, leaves.map((l) => jnp.multiply(l as Tensor, 2)))
 */
export const flatten = <L = unknown>(tree: unknown, isLeafFn?: (x: unknown) => boolean): [L[], TreeDef] => {
  const leaves: L[] = []
  const go = (x: unknown): TreeDef => {
    if (isLeafFn?.(x)) {
      leaves.push(x as L)
      return { kind: "leaf" }
    }
    if (x === null || x === undefined) return { kind: "none", value: x }
    if (Array.isArray(x)) return { kind: "array", children: x.map(go) }
    if (isPlainObject(x)) {
      const keys = Object.keys(x).sort()
      return { kind: "object", keys, children: keys.map((k) => go(x[k])) }
    }
    leaves.push(x as L)
    return { kind: "leaf" }
  }
  const def = go(tree)
  return [leaves, def]
}

export const numLeaves = (def: TreeDef): number =>
  def.kind === "leaf" ? 1 : def.kind === "none" ? 0 : def.children.reduce((s, c) => s + numLeaves(c), 0)

/**
 * The tree of structure `def` with `leaves` in the leaf positions, in `flatten`'s order. Fails if
 * the count differs from the structure's.
 *
 * JAX: `jax.tree.unflatten`.
 */
export const unflatten = <T = unknown>(def: TreeDef, leaves: ReadonlyArray<unknown>): T => {
  if (leaves.length !== numLeaves(def)) {
    throw new TypeError(`tree.unflatten: the structure has ${numLeaves(def)} leaves but ${leaves.length} were given.`)
  }
  let i = 0
  const go = (d: TreeDef): unknown => {
    switch (d.kind) {
      case "leaf":
        return leaves[i++]
      case "none":
        return d.value
      case "array":
        return d.children.map(go)
      case "object": {
        // a null-prototype object: keys such as "__proto__" stay plain data
        const out: Record<string, unknown> = Object.create(null)
        d.keys.forEach((k, j) => Object.defineProperty(out, k, { value: go(d.children[j]!), enumerable: true, writable: true, configurable: true }))
        return Object.setPrototypeOf(out, Object.prototype)
      }
    }
  }
  return go(def) as T
}

export const treeEqual = (a: TreeDef, b: TreeDef): boolean => {
  if (a.kind !== b.kind) return false
  if (a.kind === "leaf") return true
  if (a.kind === "none") return true
  if (a.kind === "array") return a.children.length === (b as typeof a).children.length && a.children.every((c, i) => treeEqual(c, (b as typeof a).children[i]!))
  const bo = b as typeof a
  return a.keys.length === bo.keys.length && a.keys.every((k, i) => k === bo.keys[i]) && a.children.every((c, i) => treeEqual(c, bo.children[i]!))
}

export const showTreeDef = (d: TreeDef): string => {
  switch (d.kind) {
    case "leaf":
      return "*"
    case "none":
      return String(d.value)
    case "array":
      return `[${d.children.map(showTreeDef).join(", ")}]`
    case "object":
      return `{${d.keys.map((k, i) => `${k}: ${showTreeDef(d.children[i]!)}`).join(", ")}}`
  }
}

/**
 * A tree of the same structure with `f` applied to each leaf; with more trees (which must have
 * the same structure), `f` gets the leaves at the same position of each.
 *
 * JAX: `jax.tree.map`.
 *
 * @example
 * const params = { linear: { w: jnp.ones([2, 2]), b: jnp.zeros([2]) } }
 * const grads = { linear: { w: jnp.ones([2, 2]), b: jnp.ones([2]) } }
 * const next = jax.tree.map((p: Tensor, g: Tensor) => jnp.subtract(p, jnp.multiply(0.1, g)), params, grads)
 */
export const map = (f: (...leaves: any[]) => unknown, tree: unknown, ...rest: unknown[]): any => {
  const [leaves, def] = flatten(tree)
  const others = rest.map((r) => {
    const [l, d] = flatten(r)
    if (!treeEqual(d, def)) throw new TypeError(`tree.map: structures differ: ${showTreeDef(def)} vs ${showTreeDef(d)}.`)
    return l
  })
  return unflatten(def, leaves.map((l, i) => f(l, ...others.map((o) => o[i]))))
}

/** The leaves of `tree`, in `flatten`'s order (object keys sorted). JAX: `jax.tree.leaves`. */
export const leaves = (tree: unknown): unknown[] => flatten(tree)[0]
/** The structure of `tree` (see {@link TreeDef}). JAX: `jax.tree.structure`. */
export const structure = (tree: unknown): TreeDef => flatten(tree)[1]

export const isTensorLeaf = (x: unknown): x is Tensor => x instanceof Tensor
