/**
 * `sort`: sort one or more operands along a dimension by the first `numKeys` of them
 * (lexicographically, stably; NaN last, -0 equal to 0), permuting the rest alike. The JVP
 * sorts an iota along to learn the permutation and gathers the tangents with it.
 * JAX: `lax.sort_p`.
 */
import { ShapedArray } from "../aval.js"
import { shapeError } from "../errors.js"
import type { PrimitiveDef, BatchDim } from "../primitive.js"
import { bind } from "../trace.js"
import * as lax from "../lax.js"
import { takeAlongAxis } from "../lowered.js"
import * as K from "../../../kernels/index.js"
import { moveBatchToFront, nonlinear, wrap } from "./families.js"

export type SortParams = { dimension: number; isStable: boolean; numKeys: number }

export const sort: PrimitiveDef<SortParams> = {
  name: "sort",
  impl: (ops, { dimension, numKeys }) => {
    const perm = K.sortPermutation(ops.slice(0, numKeys).map((o) => o.host), dimension, "ascending")
    return ops.map((o) => wrap(K.takeAlongAxis(o.host, perm, dimension)))
  },
  abstractEval: (avals, { dimension, numKeys }) => {
    if (avals.length === 0) throw shapeError("sort", "needs at least one operand.")
    const first = avals[0]!
    if (avals.some((a) => a.ndim !== first.ndim || a.shape.some((d, i) => d !== first.shape[i]))) {
      throw shapeError("sort", `operands must have equal shapes, got ${avals.map(String).join(", ")}; broadcast them first.`)
    }
    if (first.ndim === 0) throw shapeError("sort", `cannot sort a scalar ${first.toString()}; sort arrays of rank >= 1.`)
    if (!Number.isInteger(dimension) || dimension < 0 || dimension >= first.ndim) throw shapeError("sort", `dimension ${dimension} is out of range for ${first.toString()}.`)
    if (!Number.isInteger(numKeys) || numKeys < 1 || numKeys > avals.length) {
      throw shapeError("sort", `numKeys=${numKeys} must be between 1 and the number of operands (${avals.length}).`)
    }
    return avals.map((a) => new ShapedArray(a.shape, a.dtype))
  },
  jvp: (primals, tangents, params) => {
    const first = primals[0]!
    const outs = bind(sort, [...primals, lax.iota("int32", first.shape, params.dimension)], params)
    const perm = outs.pop()!
    return [outs, tangents.map((t) => (t ? takeAlongAxis(t, perm, params.dimension) : null))]
  },
  transpose: nonlinear,
  batch: (vals, dims, params, axisSize) => [
    bind(sort, vals.map((v, i) => moveBatchToFront(v, dims[i]!, axisSize)), { ...params, dimension: params.dimension + 1 }),
    vals.map(() => 0 as BatchDim)
  ],
  printParams: (p) => `dimension=${p.dimension} is_stable=${p.isStable ? "True" : "False"} num_keys=${p.numKeys}`
}
