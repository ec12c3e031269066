/** `reduce_prod`: product over axes; JVP without dividing by x (exact at zeros). JAX: `lax.reduce_prod_p`. */
import { range } from "../shape.js"
import type { PrimitiveDef } from "../primitive.js"
import type { Tensor } from "../Tensor.js"
import { bind1 } from "../trace.js"
import * as lax from "../lax.js"
import { nonlinear } from "./families.js"
import { AxesParams, make } from "./reduce.js"

export const reduce_prod: PrimitiveDef<AxesParams> = make(
  "reduce_prod",
  "prod",
  ([x], [t], params) => {
    const y = bind1(reduce_prod, [x!], params)
    if (!t) return [[y], [null]]
    // d(prod) = sum_i t_i * prod_{j != i} x_j, computed without dividing by x (exact at zeros)
    const axes = params.axes.map((a) => (a < 0 ? a + x!.ndim : a))
    const n = axes.reduce((s, a) => s * x!.shape[a]!, 1)
    let acc: Tensor | null = null
    const flatShape = [...x!.shape.filter((_, i) => !axes.includes(i)), n]
    const perm = [...range(x!.ndim).filter((i) => !axes.includes(i)), ...axes]
    const xf = lax.reshape(lax.transpose(x!, perm), flatShape)
    const tf = lax.reshape(lax.transpose(t, perm), flatShape)
    const last = flatShape.length - 1
    for (let i = 0; i < n; i++) {
      const start = flatShape.map(() => 0)
      const limit = [...flatShape]
      start[last] = i
      limit[last] = i + 1
      const ti = lax.reshape(lax.slice(tf, start, limit), flatShape.slice(0, last))
      const others: Tensor[] = []
      if (i > 0) others.push(lax.slice(xf, flatShape.map(() => 0), [...flatShape.slice(0, last), i]))
      if (i < n - 1) others.push(lax.slice(xf, [...flatShape.slice(0, last).map(() => 0), i + 1], flatShape))
      const rest = others.length === 0 ? lax.onesLike(ti) : lax.reduceProd(lax.concatenate(others, last), [last])
      const term = lax.mul(ti, rest)
      acc = acc === null ? term : lax.add(acc, term)
    }
    return [[y], [acc]]
  },
  nonlinear
)
