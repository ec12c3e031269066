/**
 * `jnp.einsum`, lowered to `dot_general`, `reduce_sum`, `transpose` and (for repeated labels in
 * one operand) a diagonal mask, so grad, vmap and jit need no rules of their own.
 */
import { Tensor } from "../core/Tensor.js"
import * as lax from "../core/lax.js"
import { shapeError } from "../core/errors.js"
import { range } from "../core/shape.js"
import { promoteArgs, type ArrayLike } from "./promote.js"

/** A label: a subscript letter, or one dimension covered by `...` (named `…0`, `…1`, ... from the left of the widest ellipsis). */
type Label = string

interface Term {
  readonly labels: Label[]
  readonly tensor: Tensor
}

const LETTER = /^[a-zA-Z]$/

const bad = (message: string) => shapeError("einsum", message)

/** Splits one term into letters and the ellipsis position; throws on any other character. */
const parseTerm = (term: string, where: string): { letters: string[]; ellipsisAt: number | null } => {
  const letters: string[] = []
  let ellipsisAt: number | null = null
  for (let i = 0; i < term.length; ) {
    if (term.startsWith("...", i)) {
      if (ellipsisAt !== null) throw bad(`subscript '${term}' of ${where} has more than one ellipsis '...'; use at most one per term.`)
      ellipsisAt = letters.length
      i += 3
    } else if (LETTER.test(term[i]!)) {
      letters.push(term[i]!)
      i++
    } else {
      throw bad(`character '${term[i]}' in subscript '${term}' of ${where} is not a valid label; use letters a-z, A-Z and '...'.`)
    }
  }
  return { letters, ellipsisAt }
}

/** Numpy's implicit output: ellipsis dims first, then the letters used exactly once, in character-code order. */
const implicitOutput = (inputs: ReadonlyArray<{ letters: string[] }>): string[] => {
  const counts = new Map<string, number>()
  for (const t of inputs) for (const l of t.letters) counts.set(l, (counts.get(l) ?? 0) + 1)
  return [...counts].filter(([, c]) => c === 1).map(([l]) => l).sort()
}

/** Takes the diagonal of every label repeated within one operand (`ii->i`). */
const diagonals = (term: Term): Term => {
  let { labels, tensor } = term
  for (;;) {
    const q = labels.findIndex((l, i) => labels.indexOf(l) !== i)
    if (q < 0) return { labels, tensor }
    const p = labels.indexOf(labels[q]!)
    if (tensor.shape[p] !== tensor.shape[q]) {
      throw bad(`label '${labels[p]}' repeats in one operand with sizes ${tensor.shape[p]} and ${tensor.shape[q]}; a repeated label takes a diagonal, which needs equal sizes.`)
    }
    // keep x where the two coordinates agree, then sum the second axis away (one nonzero term: exact)
    const on = lax.eq(lax.iota("int32", tensor.shape, p), lax.iota("int32", tensor.shape, q))
    tensor = lax.reduceSum(lax.selectN(on, lax.zerosLike(tensor), tensor), [q])
    labels = labels.filter((_, i) => i !== q)
  }
}

/** Sums away the labels of `term` that are not in `keep`. */
const sumExcept = (term: Term, keep: ReadonlySet<Label>): Term => {
  const axes = term.labels.flatMap((l, i) => (keep.has(l) ? [] : [i]))
  if (axes.length === 0) return term
  return { labels: term.labels.filter((l) => keep.has(l)), tensor: lax.reduceSum(term.tensor, axes) }
}

/** Contracts two terms with one dot_general: shared labels still needed are batch dims, the others contract. */
const contract = (a: Term, b: Term, needed: ReadonlySet<Label>): Term => {
  const shared = a.labels.filter((l) => b.labels.includes(l))
  const batch = shared.filter((l) => needed.has(l))
  const contracting = shared.filter((l) => !needed.has(l))
  const tensor = lax.dotGeneral(a.tensor, b.tensor, {
    lhsContracting: contracting.map((l) => a.labels.indexOf(l)),
    rhsContracting: contracting.map((l) => b.labels.indexOf(l)),
    lhsBatch: batch.map((l) => a.labels.indexOf(l)),
    rhsBatch: batch.map((l) => b.labels.indexOf(l))
  })
  const free = (t: Term) => t.labels.filter((l) => !shared.includes(l))
  return { labels: [...batch, ...free(a), ...free(b)], tensor }
}

/**
 * Einstein summation: `"ij,jk->ik"` is a matrix product, `"ii->i"` a diagonal, `"...ij,...jk"`
 * a batched product over broadcast leading axes. Without `->` the output is the labels used
 * once, in alphabetical order (after any `...` axes). Operands are contracted left to right.
 *
 * JAX: `jnp.einsum`.
 *
 * @example
 * declare const q: Tensor, k: Tensor
 * jnp.einsum("bqd,bkd->bqk", q, k)
 */
export const einsum = (subscripts: string, ...operands: ArrayLike[]): Tensor => {
  if (typeof subscripts !== "string") throw bad(`the first argument must be a subscripts string such as "ij,jk->ik", got ${typeof subscripts}.`)
  if (operands.length === 0) throw bad("needs at least one operand after the subscripts.")
  const spec = subscripts.replace(/\s+/g, "")
  const arrow = spec.indexOf("->")
  if (arrow >= 0 && spec.indexOf("->", arrow + 1) >= 0) throw bad(`subscripts '${subscripts}' contain more than one '->'.`)
  const lhs = arrow >= 0 ? spec.slice(0, arrow) : spec
  const terms = lhs.split(",")
  if (terms.length !== operands.length) {
    throw bad(`subscripts '${subscripts}' name ${terms.length} operand(s) but ${operands.length} were given; give one comma-separated term per operand.`)
  }
  const tensors = promoteArgs("einsum", ...operands)
  const parsed = terms.map((t, k) => parseTerm(t, `operand ${k}`))
  // ellipsis dims are labelled right-aligned across operands, so they broadcast like numpy
  const ellipsisRanks = parsed.map((p, k) => {
    const rank = tensors[k]!.ndim - p.letters.length
    if (p.ellipsisAt === null ? rank !== 0 : rank < 0) {
      throw bad(`Einstein sum subscript '${terms[k]}' does not contain the correct number of indices for operand ${k} (${tensors[k]!.aval}); give one label per axis, or '...' for the leading ones.`)
    }
    return rank
  })
  const width = Math.max(0, ...ellipsisRanks)
  const dots = range(width).map((i) => `…${i}`)
  let inputs: Term[] = parsed.map((p, k) => {
    const e = p.ellipsisAt === null ? [] : dots.slice(width - ellipsisRanks[k]!)
    const labels = p.ellipsisAt === null ? [...p.letters] : [...p.letters.slice(0, p.ellipsisAt), ...e, ...p.letters.slice(p.ellipsisAt)]
    return { labels, tensor: tensors[k]! }
  })
  let output: Label[]
  if (arrow >= 0) {
    const out = parseTerm(spec.slice(arrow + 2), "the output")
    for (const l of out.letters) if (!parsed.some((p) => p.letters.includes(l))) throw bad(`Output character '${l}' did not appear in the input; every output label must label an input axis.`)
    const seen = new Set<string>()
    for (const l of out.letters) {
      if (seen.has(l)) throw bad(`output subscript '${spec.slice(arrow + 2)}' repeats '${l}'; an output label may appear once.`)
      seen.add(l)
    }
    if (out.ellipsisAt === null && width > 0) {
      throw bad(`the output '${spec.slice(arrow + 2)}' has no '...' but the inputs' '...' cover axes; add '...' to the output to keep them.`)
    }
    output = out.ellipsisAt === null ? [...out.letters] : [...out.letters.slice(0, out.ellipsisAt), ...dots, ...out.letters.slice(out.ellipsisAt)]
  } else output = [...dots, ...implicitOutput(parsed)]
  // every label has one size; size-1 axes broadcast to it
  const sizes = new Map<Label, number>()
  inputs.forEach((t, k) =>
    t.labels.forEach((l, i) => {
      const n = t.tensor.shape[i]!
      const prev = sizes.get(l)
      if (prev === undefined || prev === 1) sizes.set(l, n)
      else if (n !== prev && n !== 1) {
        const name = l.startsWith("…") ? "an axis covered by '...'" : `label '${l}'`
        throw bad(`Size of ${name} for operand ${k} (${n}) does not match previous terms (${prev}); make the sizes equal (or 1 to broadcast).`)
      }
    })
  )
  inputs = inputs.map((t) => {
    const shape = t.labels.map((l) => sizes.get(l)!)
    return t.tensor.shape.every((n, i) => n === shape[i]) ? t : { labels: t.labels, tensor: lax.broadcastInDim(t.tensor, shape, range(shape.length)) }
  })
  inputs = inputs.map(diagonals)
  const neededAfter = (k: number): Set<Label> => new Set([...output, ...inputs.slice(k + 1).flatMap((t) => t.labels)])
  let acc = sumExcept(inputs[0]!, new Set([...neededAfter(0)]))
  for (let k = 1; k < inputs.length; k++) {
    const needed = neededAfter(k)
    const b = sumExcept(inputs[k]!, new Set([...needed, ...acc.labels]))
    acc = contract(sumExcept(acc, new Set([...needed, ...b.labels])), b, needed)
  }
  acc = sumExcept(acc, new Set(output))
  return lax.transpose(acc.tensor, output.map((l) => acc.labels.indexOf(l)))
}
