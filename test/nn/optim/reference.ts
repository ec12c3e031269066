/** Float64 reference implementations of optax's update equations, over flat leaf lists. */
import { jax, type Tensor } from "../../../src/index.js"

/** The leaves of a tree as float64 arrays (sorted-key order, as jax.tree.leaves). */
export const leaves64 = (tree: unknown): Float64Array[] =>
  (jax.tree.leaves(tree) as Tensor[]).map((t) => Float64Array.from(t.toTypedArray() as ArrayLike<number>))

const zerosLike = (xs: Float64Array[]) => xs.map((x) => new Float64Array(x.length))

/** optax.sgd(lr, momentum, nesterov) in float64. */
export const sgdRef = (lr: number, momentum?: number, nesterov = false) => {
  let trace: Float64Array[] | null = null
  return (params: Float64Array[], grads: Float64Array[]): Float64Array[] => {
    if (momentum === undefined) return params.map((p, i) => p.map((x, j) => x - lr * grads[i]![j]!))
    trace ??= zerosLike(params)
    const next = trace.map((t, i) => t.map((x, j) => grads[i]![j]! + momentum * x))
    trace = next
    const u = nesterov ? next.map((t, i) => t.map((x, j) => grads[i]![j]! + momentum * x)) : next
    return params.map((p, i) => p.map((x, j) => x - lr * u[i]![j]!))
  }
}

/** optax.adam / optax.adamw in float64 (weightDecay 0 = adam). */
export const adamRef = (lr: number, o: { b1?: number; b2?: number; eps?: number; epsRoot?: number; weightDecay?: number } = {}) => {
  const { b1 = 0.9, b2 = 0.999, eps = 1e-8, epsRoot = 0, weightDecay = 0 } = o
  let mu: Float64Array[] | null = null
  let nu: Float64Array[] | null = null
  let count = 0
  return (params: Float64Array[], grads: Float64Array[]): Float64Array[] => {
    mu ??= zerosLike(params)
    nu ??= zerosLike(params)
    mu = mu.map((m, i) => m.map((x, j) => b1 * x + (1 - b1) * grads[i]![j]!))
    nu = nu.map((v, i) => v.map((x, j) => b2 * x + (1 - b2) * grads[i]![j]! ** 2))
    count++
    const c1 = 1 - b1 ** count
    const c2 = 1 - b2 ** count
    return params.map((p, i) =>
      p.map((x, j) => {
        const u = mu![i]![j]! / c1 / (Math.sqrt(nu![i]![j]! / c2 + epsRoot) + eps) + weightDecay * x
        return x - lr * u
      })
    )
  }
}
