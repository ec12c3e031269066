"""Small programs for the transform cases (grad, vmap, jvp, jit and their compositions).

Each program takes arrays (or ints) and returns an array or a list of arrays; tanka's test
defines the same program under the same name (test/jax-reference/programs.ts).
"""
import numpy as np
import jax
import jax.numpy as jnp
from jax import lax

rng = np.random.default_rng(7)


def randn(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def ties(*shape):
    return rng.integers(-2, 3, shape).astype(np.float32)


IDX = jnp.array([1, 3, 1, 0], jnp.int32)
W8 = jnp.arange(1.0, 9.0, dtype=jnp.float32)


def mlp_loss(w1, b1, w2, b2, x, labels):
    h = jax.nn.relu(x @ w1 + b1)
    logits = h @ w2 + b2
    return -jnp.mean(jnp.sum(jax.nn.log_softmax(logits) * jax.nn.one_hot(labels, 3), axis=-1))


def cube_tanh(x):
    return jnp.sum(x * x * x * jnp.tanh(x))


PROGRAMS = {
    "grad_tanh_sq": lambda x: jax.grad(lambda v: jnp.sum(jnp.square(jnp.tanh(v))))(x),
    "value_and_grad_mlp": lambda w1, b1, w2, b2, x, labels: (lambda vg: [vg[0], *vg[1]])(
        jax.value_and_grad(mlp_loss, argnums=(0, 1, 2, 3))(w1, b1, w2, b2, x, labels)),
    "vmap_matvec": lambda ms, vs: jax.vmap(lambda m, v: m @ v)(ms, vs),
    "vmap_in_axes": lambda m, vs: jax.vmap(lambda a, v: a @ v, in_axes=(None, 1))(m, vs),
    "vmap_out_axes": lambda vs: jax.vmap(lambda v: jnp.outer(v, v), out_axes=1)(vs),
    "jvp_sin_prod": lambda x, y, tx, ty: list(jax.jvp(lambda a, b: jnp.sin(a) * b, (x, y), (tx, ty))),
    "hvp": lambda x, v: jax.jvp(jax.grad(cube_tanh), (x,), (v,))[1],
    "jit_chain": lambda x, y: jax.jit(lambda a, b: jnp.sum(jnp.exp(a) * b, axis=0))(x, y),
    "jit_grad": lambda x: jax.jit(jax.grad(lambda v: jnp.sum(jax.nn.softplus(v) * v)))(x),
    "grad_jit": lambda x: jax.grad(jax.jit(lambda v: jnp.sum(jnp.square(jnp.cos(v)))))(x),
    "vmap_grad": lambda xs: jax.vmap(jax.grad(cube_tanh))(xs),
    "grad_sort": lambda x: jax.grad(lambda v: jnp.sum(jnp.sort(v) * W8))(x),
    "grad_argsort_take": lambda x: jax.grad(lambda v: jnp.sum(jnp.take(v, jnp.argsort(v)) * W8))(x),
    "grad_cumsum_reverse": lambda x: jax.grad(lambda v: jnp.sum(lax.cumsum(v, axis=0, reverse=True) * W8))(x),
    "grad_cumprod": lambda x: jax.grad(lambda v: jnp.sum(jnp.cumprod(v)))(x),
    "grad_cummax_ties": lambda x: jax.grad(lambda v: jnp.sum(lax.cummax(v, axis=0) * W8))(x),
    "grad_cummin": lambda x: jax.grad(lambda v: jnp.sum(lax.cummin(v, axis=0) * W8))(x),
    "grad_topk": lambda x: jax.grad(lambda v: jnp.sum(lax.top_k(v, 3)[0] * W8[:3]))(x),
    "grad_einsum": lambda a, b: list(jax.grad(lambda p, q: jnp.sum(jnp.square(jnp.einsum("ij,jk->ik", p, q))), argnums=(0, 1))(a, b)),
    "grad_einsum_diag": lambda a: jax.grad(lambda p: jnp.einsum("ii->", p) * jnp.einsum("ij,ij", p, p))(a),
    "grad_at_set": lambda x, u: list(jax.grad(lambda a, b: jnp.sum(a.at[IDX].set(b) * W8[:5]), argnums=(0, 1))(x, u)),
    "grad_at_add": lambda x, u: list(jax.grad(lambda a, b: jnp.sum(jnp.square(a.at[IDX].add(b))), argnums=(0, 1))(x, u)),
    "grad_at_mul_unique": lambda x, u: list(jax.grad(lambda a, b: jnp.sum(a.at[jnp.array([4, 0, 2])].mul(b, unique_indices=True) * W8[:5]), argnums=(0, 1))(x, u)),
    "grad_dynamic_update_slice": lambda x, u: list(jax.grad(lambda a, b: jnp.sum(jnp.square(lax.dynamic_update_slice(a, b, (1, 2)))), argnums=(0, 1))(x, u)),
    "grad_dynamic_slice_traced": lambda x, i: jax.grad(lambda a, s: jnp.sum(jnp.square(lax.dynamic_slice(a, (s,), (3,)))))(x, i),
    "grad_take_along": lambda x, idx: jax.grad(lambda v: jnp.sum(jnp.take_along_axis(v, idx, axis=1) * 3.0))(x),
    "grad_norm": lambda x: jax.grad(lambda v: jnp.linalg.norm(v))(x),
    "grad_std": lambda x: jax.grad(lambda v: jnp.std(v, ddof=1))(x),
    "grad_logsumexp": lambda x: jax.grad(lambda v: jax.nn.logsumexp(v))(x),
    "grad_relu_kinks": lambda x: jax.grad(lambda v: jnp.sum(jax.nn.relu(v) + 2 * jax.nn.relu6(v)))(x),
    "grad_activations": lambda x: jax.grad(lambda v: jnp.sum(jax.nn.elu(v) + jax.nn.celu(v) + jax.nn.selu(v) + jax.nn.silu(v)
                                                           + jax.nn.leaky_relu(v) + jax.nn.hard_tanh(v) + jax.nn.log_sigmoid(v)
                                                           + jax.nn.gelu(v) + jax.nn.softplus(v)))(x),
    "grad_max_ties": lambda x: jax.grad(lambda v: jnp.sum(jnp.max(v, axis=1)))(x),
    "grad_maximum_ties": lambda x, y: list(jax.grad(lambda a, b: jnp.sum(jnp.maximum(a, b)), argnums=(0, 1))(x, y)),
    "grad_trig": lambda x: jax.grad(lambda v: jnp.sum(jnp.tan(v) + jnp.arcsin(v / 2) + jnp.arccos(v / 3) + jnp.arctan(v)
                                                      + jnp.sinh(v) + jnp.cosh(v) + jnp.arctan2(v, 2.0)))(x),
    "grad_standardize": lambda x: jax.grad(lambda v: jnp.sum(jax.nn.standardize(v) * W8[:4]))(x),
    "grad_pad_reflect": lambda x: jax.grad(lambda v: jnp.sum(jnp.pad(v, (2, 3), mode="reflect") * jnp.arange(9.0)))(x),
    "grad_roll_tile_repeat": lambda x: jax.grad(lambda v: jnp.sum(jnp.roll(jnp.tile(jnp.repeat(v, 2), 2), 3) * jnp.arange(16.0)))(x),
    "vmap_sort": lambda x: jax.vmap(jnp.sort)(x),
    "vmap_topk": lambda x: list(jax.vmap(lambda v: lax.top_k(v, 2), in_axes=1)(x)),
    "vmap_at_set": lambda xs, idx, vals: jax.vmap(lambda a, i, v: a.at[i].set(v))(xs, idx, vals),
    "vmap_dynamic_slice": lambda xs, starts: jax.vmap(lambda a, s: lax.dynamic_slice(a, (s,), (2,)))(xs, starts),
    "vmap_dynamic_update_slice": lambda xs, us, starts: jax.vmap(lambda a, u, s: lax.dynamic_update_slice(a, u, (s,)))(xs, us, starts),
    "vmap_cumsum_einsum": lambda xs, ys: jax.vmap(lambda a, b: jnp.cumsum(jnp.einsum("i,j->ij", a, b), axis=1))(xs, ys),
    "vmap_random": lambda seed: jax.vmap(lambda k: jax.random.normal(k, (3,)))(jax.random.split(jax.random.PRNGKey(seed), 4)),
    "vmap_randint": lambda seed: jax.vmap(lambda k: jax.random.randint(k, (3,), 0, 7))(jax.random.split(jax.random.PRNGKey(seed), 4)),
    "scan_cumulative": lambda xs: list(lax.scan(lambda c, x: (c + x, c * x), jnp.float32(0.0), xs)),
    "grad_scan": lambda xs: jax.grad(lambda v: jnp.sum(lax.scan(lambda c, x: (c * 0.5 + jnp.sin(x), c * x), jnp.float32(1.0), v)[1]))(xs),
    "cond_select": lambda x, p: lax.cond(p > 0, lambda v: jnp.sin(v), lambda v: jnp.cos(v) * 2.0, x),
    "jit_sort_topk": lambda x: list(jax.jit(lambda v: (jnp.sort(v, axis=0), lax.top_k(v, 2)[1]))(x)),
    "jit_nonzero_size": lambda x: list(jax.jit(lambda v: jnp.nonzero(v, size=5, fill_value=-1))(x)),
    "grad_jit_einsum_at": lambda x: jax.grad(jax.jit(lambda v: jnp.sum(jnp.einsum("ij,kj->ik", v, v).at[0].mul(3.0))))(x),
}

CASES = [
    ("grad_tanh_sq", [randn(3, 4)]),
    ("value_and_grad_mlp", [randn(4, 5, scale=0.5), randn(5, scale=0.1), randn(5, 3, scale=0.5), randn(3, scale=0.1),
                            randn(6, 4), np.array([0, 2, 1, 1, 0, 2], np.int32)]),
    ("vmap_matvec", [randn(5, 3, 4), randn(5, 4)]),
    ("vmap_in_axes", [randn(3, 4), randn(4, 6)]),
    ("vmap_out_axes", [randn(5, 3)]),
    ("jvp_sin_prod", [randn(3, 4), randn(4), randn(3, 4), randn(4)]),
    ("hvp", [randn(6), randn(6)]),
    ("jit_chain", [randn(3, 4), randn(4)]),
    ("jit_grad", [randn(7)]),
    ("grad_jit", [randn(7)]),
    ("vmap_grad", [randn(4, 3)]),
    ("grad_sort", [randn(8)]),
    ("grad_argsort_take", [randn(8)]),
    ("grad_cumsum_reverse", [randn(8)]),
    ("grad_cumprod", [np.array([1.5, -2.0, 0.5, 0.0, 3.0, 1.25], np.float32)]),
    ("grad_cummax_ties", [np.array([1, 1, 2, 2, 2, 0, 3, 3], np.float32)]),
    ("grad_cummin", [randn(8)]),
    ("grad_topk", [np.array([1, 5, 3, 5, 2, 3, 0, 1], np.float32)]),
    ("grad_einsum", [randn(3, 4), randn(4, 2)]),
    ("grad_einsum_diag", [randn(3, 3)]),
    ("grad_at_set", [randn(5), randn(4)]),
    ("grad_at_add", [randn(5), randn(4)]),
    ("grad_at_mul_unique", [randn(5), randn(3)]),
    ("grad_dynamic_update_slice", [randn(4, 5), randn(2, 2)]),
    ("grad_dynamic_slice_traced", [randn(7), np.int32(5)]),
    ("grad_take_along", [randn(3, 4), np.array([[0, 0, 3], [1, 2, 1], [3, 3, 3]], np.int32)]),
    ("grad_norm", [randn(5)]),
    ("grad_std", [randn(6)]),
    ("grad_logsumexp", [randn(3, 4)]),
    ("grad_relu_kinks", [np.array([-1.0, 0.0, 0.5, 6.0, 7.0, 3.0], np.float32)]),
    ("grad_activations", [np.concatenate([randn(8, scale=2), np.array([0.0, 1.0, -1.0], np.float32)])]),
    ("grad_max_ties", [ties(3, 5)]),
    ("grad_maximum_ties", [ties(6), ties(6)]),
    ("grad_trig", [randn(6, scale=0.8)]),
    ("grad_standardize", [randn(4)]),
    ("grad_pad_reflect", [randn(4)]),
    ("grad_roll_tile_repeat", [randn(4)]),
    ("vmap_sort", [ties(3, 6)]),
    ("vmap_topk", [randn(5, 3)]),
    ("vmap_at_set", [randn(3, 5), np.array([0, 4, 2], np.int32), randn(3)]),
    ("vmap_dynamic_slice", [randn(4, 6), np.array([0, 5, -1, 2], np.int32)]),
    ("vmap_dynamic_update_slice", [randn(3, 5), randn(3, 2), np.array([4, 0, 2], np.int32)]),
    ("vmap_cumsum_einsum", [randn(2, 3), randn(2, 4)]),
    ("vmap_random", [3]),
    ("vmap_randint", [4]),
    ("scan_cumulative", [randn(5)]),
    ("grad_scan", [randn(5)]),
    ("cond_select", [randn(4), np.float32(1.0)]),
    ("cond_select", [randn(4), np.float32(-1.0)]),
    ("jit_sort_topk", [randn(4, 3)]),
    ("grad_jit_einsum_at", [randn(3, 2)]),
    ("jit_nonzero_size", [ties(3, 4)]),
]

ERROR_PROGRAMS_FNS = {
    "jit_zeros_traced_shape": lambda n: jax.jit(lambda m: jnp.zeros(m))(n),
    "jit_repeat_traced_counts": lambda x, r: jax.jit(lambda a, b: jnp.repeat(a, b))(x, r),
    "jit_dynamic_slice_traced_size": lambda x, n: jax.jit(lambda a, m: lax.dynamic_slice(a, (0,), (m,)))(x, n),
    "grad_at_mul_repeated": lambda x, u: jax.grad(lambda b: jnp.sum(x.at[IDX].mul(b)))(u),
    "grad_non_scalar": lambda x: jax.grad(lambda v: v * 2.0)(x),
    "vmap_inconsistent_sizes": lambda a, b: jax.vmap(lambda p, q: p + q)(a, b),
    "jit_nonzero_without_size": lambda x: jax.jit(jnp.nonzero)(x),
}
PROGRAMS.update(ERROR_PROGRAMS_FNS)
ERROR_PROGRAMS = list(ERROR_PROGRAMS_FNS)
ERROR_ARGS = {
    "jit_zeros_traced_shape": [np.int32(3)],
    "jit_repeat_traced_counts": [randn(3), np.array([1, 2, 1], np.int32)],
    "jit_dynamic_slice_traced_size": [randn(5), np.int32(2)],
    "grad_at_mul_repeated": [randn(5), randn(4)],
    "grad_non_scalar": [randn(3)],
    "vmap_inconsistent_sizes": [randn(3), randn(4)],
    "jit_nonzero_without_size": [randn(5)],
}
