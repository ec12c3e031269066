/**
 * `tree.map` over trees an optimizer combines leaf by leaf (updates with its state, params with
 * updates), checked first: a key one tree has and the other lacks, or two leaves of different
 * shapes, is an `OptimizerError` naming the transform, the trees and the key path, instead of a
 * `TypeError` from `tree.map` or a broadcasting `ShapeError` that names no key.
 */
import { Tensor } from "../../transforms/core/Tensor.js"
import { flatten, type TreeDef, treeEqual, unflatten } from "../../transforms/core/tree.js"
import { OptimizerError } from "./errors.js"

/** `["linear"]["w"]`-style accessor text for a path of keys and indices. */
const show = (path: ReadonlyArray<string | number>): string => (path.length === 0 ? "(the root)" : path.map((k) => `[${typeof k === "number" ? k : JSON.stringify(k)}]`).join(""))

/** The first place where `a` and `b` differ, described from `a`'s side. */
const firstDifference = (a: TreeDef, b: TreeDef, aName: string, bName: string, path: Array<string | number> = []): string => {
  if (a.kind !== b.kind) {
    const what = (d: TreeDef) => (d.kind === "leaf" ? "a leaf" : d.kind === "none" ? String(d.value) : d.kind === "array" ? `an array of ${d.children.length}` : "an object")
    return `${aName}${show(path)} is ${what(a)} but ${bName}${show(path)} is ${what(b)}`
  }
  if (a.kind === "array" && b.kind === "array") {
    if (a.children.length !== b.children.length) return `${aName}${show(path)} has ${a.children.length} entries but ${bName}${show(path)} has ${b.children.length}`
    for (let i = 0; i < a.children.length; i++) if (!treeEqual(a.children[i]!, b.children[i]!)) return firstDifference(a.children[i]!, b.children[i]!, aName, bName, [...path, i])
  }
  if (a.kind === "object" && b.kind === "object") {
    const only = a.keys.find((k) => !b.keys.includes(k))
    if (only !== undefined) return `${aName}${show([...path, only])} has no counterpart in ${bName}`
    const extra = b.keys.find((k) => !a.keys.includes(k))
    if (extra !== undefined) return `${bName}${show([...path, extra])} has no counterpart in ${aName}`
    for (let i = 0; i < a.keys.length; i++) if (!treeEqual(a.children[i]!, b.children[i]!)) return firstDifference(a.children[i]!, b.children[i]!, aName, bName, [...path, a.keys[i]!])
  }
  return `${aName} and ${bName} differ`
}

/** The path of the `index`-th leaf of `def` (in flatten order). */
const leafPath = (def: TreeDef, index: number): Array<string | number> => {
  let i = 0
  const go = (d: TreeDef, path: Array<string | number>): Array<string | number> | undefined => {
    if (d.kind === "leaf") return i++ === index ? path : undefined
    if (d.kind === "none") return undefined
    for (let c = 0; c < d.children.length; c++) {
      const found = go(d.children[c]!, [...path, d.kind === "object" ? d.keys[c]! : c])
      if (found !== undefined) return found
    }
    return undefined
  }
  return go(def, []) ?? []
}

/** The advice when updates and an optimizer's state disagree. */
export const STATE_FIX =
  "The optimizer state was initialised for another params tree: call opt.init(params) again after adding, removing or reshaping parameters, and pass gradients of those same params."

const typeOf = (x: unknown): string => (x instanceof Tensor ? x.aval.toString() : typeof x === "number" ? "a number" : String(x))

/**
 * `f` over the leaves of trees that must have one structure and matching leaf shapes; the
 * result has the first tree's structure. `trees` are `[name, tree]` pairs (names for messages);
 * `fix` ends the message.
 *
 * @example
 * import { mapMatching } from "tanka/internal/nn/optim/matchTrees.js"
 * declare const updates: hk.ParamTree, traceState: { trace: hk.ParamTree }
 * mapMatching("trace", (g: Tensor, t: Tensor) => jnp.add(g, t), [["updates", updates], ["state.trace", traceState.trace]], "pass the state init returned for these params")
 */
export const mapMatching = <R>(
  transform: string,
  f: (...leaves: any[]) => R,
  trees: ReadonlyArray<readonly [string, unknown]>,
  fix: string
): any => {
  const [[firstName, first], ...rest] = trees as [readonly [string, unknown], ...Array<readonly [string, unknown]>]
  const [leaves, def] = flatten(first)
  const others = rest.map(([name, tree]) => {
    const [l, d] = flatten(tree)
    if (!treeEqual(def, d)) throw new OptimizerError({ transform, message: `${transform}: ${firstDifference(def, d, firstName, name)}. ${fix}` })
    return l
  })
  for (let i = 0; i < leaves.length; i++) {
    const a = leaves[i]
    if (!(a instanceof Tensor)) continue
    for (let j = 0; j < others.length; j++) {
      const b = others[j]![i]
      if (b instanceof Tensor && (a.shape.length !== b.shape.length || a.shape.some((n, k) => n !== b.shape[k]))) {
        const path = show(leafPath(def, i))
        throw new OptimizerError({ transform, message: `${transform}: ${firstName}${path} is ${typeOf(a)} but ${rest[j]![0]}${path} is ${typeOf(b)}. ${fix}` })
      }
    }
  }
  return unflatten(def, leaves.map((l, i) => f(l, ...others.map((o) => o[i]))))
}
