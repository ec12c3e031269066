/**
 * The transform programs of scripts/jax-reference/programs.py, written the same way in tanka:
 * grad, valueAndGrad, vmap (with inAxes/outAxes), jvp, Hessian-vector products, jit, and their
 * compositions over the new ops. Each name here must compute what the Python program computes.
 */
import { jax, jnp, type Tensor } from "../../src/index.js"

type T = Tensor
const IDX = jnp.array([1, 3, 1, 0], { dtype: "int32" })
const W8 = jnp.arange(1, 9, 1, "float32")
const w = (n: number) => jnp.slice(W8, [0, n])
const sum = (x: T) => jnp.sum(x)

const mlpLoss = (w1: T, b1: T, w2: T, b2: T, x: T, labels: T): T => {
  const h = jax.nn.relu(jnp.add(jnp.matmul(x, w1), b1))
  const logits = jnp.add(jnp.matmul(h, w2), b2)
  return jnp.negative(jnp.mean(jnp.sum(jnp.multiply(jax.nn.logSoftmax(logits), jax.nn.oneHot(labels, 3)), { axis: -1 })))
}

const cubeTanh = (x: T): T => sum(jnp.multiply(jnp.multiply(jnp.multiply(x, x), x), jnp.tanh(x)))

export const PROGRAMS: Record<string, (...args: any[]) => unknown> = {
  grad_tanh_sq: (x: T) => jax.grad((v: T) => sum(jnp.square(jnp.tanh(v))))(x),
  value_and_grad_mlp: (w1: T, b1: T, w2: T, b2: T, x: T, labels: T) => {
    const [loss, grads] = jax.valueAndGrad(mlpLoss, { argnums: [0, 1, 2, 3] })(w1, b1, w2, b2, x, labels) as [T, T[]]
    return [loss, ...grads]
  },
  vmap_matvec: (ms: T, vs: T) => jax.vmap((m: T, v: T) => jnp.matmul(m, v))(ms, vs),
  vmap_in_axes: (m: T, vs: T) => jax.vmap((a: T, v: T) => jnp.matmul(a, v), { inAxes: [null, 1] })(m, vs),
  vmap_out_axes: (vs: T) => jax.vmap((v: T) => jnp.outer(v, v), { outAxes: 1 })(vs),
  jvp_sin_prod: (x: T, y: T, tx: T, ty: T) => jax.jvp((a: T, b: T) => jnp.multiply(jnp.sin(a), b), [x, y], [tx, ty]),
  hvp: (x: T, v: T) => jax.jvp(jax.grad(cubeTanh), [x], [v])[1],
  jit_chain: (x: T, y: T) => jax.jit((a: T, b: T) => jnp.sum(jnp.multiply(jnp.exp(a), b), { axis: 0 }))(x, y),
  jit_grad: (x: T) => jax.jit(jax.grad((v: T) => sum(jnp.multiply(jax.nn.softplus(v), v))))(x),
  grad_jit: (x: T) => jax.grad(jax.jit((v: T) => sum(jnp.square(jnp.cos(v)))))(x),
  vmap_grad: (xs: T) => jax.vmap(jax.grad(cubeTanh))(xs),
  grad_sort: (x: T) => jax.grad((v: T) => sum(jnp.multiply(jnp.sort(v), W8)))(x),
  grad_argsort_take: (x: T) => jax.grad((v: T) => sum(jnp.multiply(jnp.take(v, jnp.argsort(v)), W8)))(x),
  grad_cumsum_reverse: (x: T) => jax.grad((v: T) => sum(jnp.multiply(jax.lax.cumsum(v, { axis: 0, reverse: true }), W8)))(x),
  grad_cumprod: (x: T) => jax.grad((v: T) => sum(jnp.cumprod(v)))(x),
  grad_cummax_ties: (x: T) => jax.grad((v: T) => sum(jnp.multiply(jax.lax.cummax(v, { axis: 0 }), W8)))(x),
  grad_cummin: (x: T) => jax.grad((v: T) => sum(jnp.multiply(jax.lax.cummin(v, { axis: 0 }), W8)))(x),
  grad_topk: (x: T) => jax.grad((v: T) => sum(jnp.multiply(jax.lax.topK(v, 3)[0], w(3))))(x),
  grad_einsum: (a: T, b: T) => jax.grad((p: T, q: T) => sum(jnp.square(jnp.einsum("ij,jk->ik", p, q))), { argnums: [0, 1] })(a, b),
  grad_einsum_diag: (a: T) => jax.grad((p: T) => jnp.multiply(jnp.einsum("ii->", p), jnp.einsum("ij,ij", p, p)))(a),
  grad_at_set: (x: T, u: T) => jax.grad((a: T, b: T) => sum(jnp.multiply(jnp.at(a, IDX).set(b), w(5))), { argnums: [0, 1] })(x, u),
  grad_at_add: (x: T, u: T) => jax.grad((a: T, b: T) => sum(jnp.square(jnp.at(a, IDX).add(b))), { argnums: [0, 1] })(x, u),
  grad_at_mul_unique: (x: T, u: T) =>
    jax.grad((a: T, b: T) => sum(jnp.multiply(jnp.at(a, jnp.array([4, 0, 2], { dtype: "int32" })).mul(b, { uniqueIndices: true }), w(5))), { argnums: [0, 1] })(x, u),
  grad_dynamic_update_slice: (x: T, u: T) => jax.grad((a: T, b: T) => sum(jnp.square(jax.lax.dynamicUpdateSlice(a, b, [1, 2]))), { argnums: [0, 1] })(x, u),
  grad_dynamic_slice_traced: (x: T, i: T) => jax.grad((a: T, s: T) => sum(jnp.square(jax.lax.dynamicSlice(a, [s], [3]))))(x, i),
  grad_take_along: (x: T, idx: T) => jax.grad((v: T) => sum(jnp.multiply(jnp.takeAlongAxis(v, idx, 1), 3)))(x),
  grad_norm: (x: T) => jax.grad((v: T) => jnp.linalg.norm(v))(x),
  grad_std: (x: T) => jax.grad((v: T) => jnp.std(v, { ddof: 1 }))(x),
  grad_logsumexp: (x: T) => jax.grad((v: T) => jax.nn.logsumexp(v))(x),
  grad_relu_kinks: (x: T) => jax.grad((v: T) => sum(jnp.add(jax.nn.relu(v), jnp.multiply(2, jax.nn.relu6(v)))))(x),
  grad_activations: (x: T) =>
    jax.grad((v: T) =>
      sum(
        [jax.nn.elu(v), jax.nn.celu(v), jax.nn.selu(v), jax.nn.silu(v), jax.nn.leakyRelu(v), jax.nn.hardTanh(v), jax.nn.logSigmoid(v), jax.nn.gelu(v), jax.nn.softplus(v)].reduce(
          (a, b) => jnp.add(a, b)
        )
      )
    )(x),
  grad_max_ties: (x: T) => jax.grad((v: T) => sum(jnp.max(v, { axis: 1 })))(x),
  grad_maximum_ties: (x: T, y: T) => jax.grad((a: T, b: T) => sum(jnp.maximum(a, b)), { argnums: [0, 1] })(x, y),
  grad_trig: (x: T) =>
    jax.grad((v: T) =>
      sum(
        [jnp.tan(v), jnp.arcsin(jnp.divide(v, 2)), jnp.arccos(jnp.divide(v, 3)), jnp.arctan(v), jnp.sinh(v), jnp.cosh(v), jnp.arctan2(v, 2)].reduce((a, b) => jnp.add(a, b))
      )
    )(x),
  grad_standardize: (x: T) => jax.grad((v: T) => sum(jnp.multiply(jax.nn.standardize(v), w(4))))(x),
  grad_pad_reflect: (x: T) => jax.grad((v: T) => sum(jnp.multiply(jnp.pad(v, [2, 3], { mode: "reflect" }), jnp.arange(0, 9, 1, "float32"))))(x),
  grad_roll_tile_repeat: (x: T) => jax.grad((v: T) => sum(jnp.multiply(jnp.roll(jnp.tile(jnp.repeat(v, 2), 2), 3), jnp.arange(0, 16, 1, "float32"))))(x),
  vmap_sort: (x: T) => jax.vmap((v: T) => jnp.sort(v))(x),
  vmap_topk: (x: T) => jax.vmap((v: T) => jax.lax.topK(v, 2), { inAxes: 1 })(x),
  vmap_at_set: (xs: T, idx: T, vals: T) => jax.vmap((a: T, i: T, v: T) => jnp.at(a, i).set(v))(xs, idx, vals),
  vmap_dynamic_slice: (xs: T, starts: T) => jax.vmap((a: T, s: T) => jax.lax.dynamicSlice(a, [s], [2]))(xs, starts),
  vmap_dynamic_update_slice: (xs: T, us: T, starts: T) => jax.vmap((a: T, u: T, s: T) => jax.lax.dynamicUpdateSlice(a, u, [s]))(xs, us, starts),
  vmap_cumsum_einsum: (xs: T, ys: T) => jax.vmap((a: T, b: T) => jnp.cumsum(jnp.einsum("i,j->ij", a, b), { axis: 1 }))(xs, ys),
  vmap_random: (seed: number) => jax.vmap((k: T) => jax.random.normal(k as never, [3]))(jax.random.split(jax.random.key(seed), 4)),
  vmap_randint: (seed: number) => jax.vmap((k: T) => jax.random.randint(k as never, [3], 0, 7))(jax.random.split(jax.random.key(seed), 4)),
  scan_cumulative: (xs: T) => jax.lax.scan((c: T, x: T) => [jnp.add(c, x), jnp.multiply(c, x)], jnp.array(0), xs),
  grad_scan: (xs: T) =>
    jax.grad((v: T) => sum((jax.lax.scan((c: T, x: T) => [jnp.add(jnp.multiply(c, 0.5), jnp.sin(x)), jnp.multiply(c, x)], jnp.array(1), v) as [T, T])[1]))(xs),
  cond_select: (x: T, p: T) => jax.lax.cond(jnp.greater(p, 0), (v: T) => jnp.sin(v), (v: T) => jnp.multiply(jnp.cos(v), 2), x),
  jit_sort_topk: (x: T) => jax.jit((v: T) => [jnp.sort(v, { axis: 0 }), jax.lax.topK(v, 2)[1]])(x),
  grad_jit_einsum_at: (x: T) => jax.grad(jax.jit((v: T) => sum(jnp.at(jnp.einsum("ij,kj->ik", v, v), 0).mul(3))))(x),
  jit_nonzero_size: (x: T) => jax.jit((v: T) => jnp.nonzero(v, { size: 5, fillValue: -1 }))(x),
  // programs whose JAX run raised: tanka must raise too
  jit_zeros_traced_shape: (n: T) => jax.jit((m: T) => jnp.zeros(m as never))(n),
  jit_repeat_traced_counts: (x: T, r: T) => jax.jit((a: T, b: T) => jnp.repeat(a, b))(x, r),
  jit_dynamic_slice_traced_size: (x: T, n: T) => jax.jit((a: T, m: T) => jax.lax.dynamicSlice(a, [0], [m as never]))(x, n),
  grad_at_mul_repeated: (x: T, u: T) => jax.grad((b: T) => sum(jnp.at(x, IDX).mul(b)))(u),
  grad_non_scalar: (x: T) => jax.grad((v: T) => jnp.multiply(v, 2))(x),
  vmap_inconsistent_sizes: (a: T, b: T) => jax.vmap((p: T, q: T) => jnp.add(p, q))(a, b),
  jit_nonzero_without_size: (x: T) => jax.jit((v: T) => jnp.nonzero(v))(x)
}
