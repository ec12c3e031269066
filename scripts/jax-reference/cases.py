"""The list of JAX calls the fixtures hold, by family.

Each case is (op, args, kw): op is "jnp.<name>", "jnp.linalg.norm", "nn.<name>", "lax.<name>",
"random.<name>", "init.<name>", "at.<get|set|add|mul>" or "program.<name>" (programs.py). The
arguments are numpy arrays from one seeded generator (stored in the fixture), Python numbers,
strings, lists, Key(seed) or Index(...). tanka's test maps each op to the same call in tanka.
"""
import numpy as np
import jax
import jax.numpy as jnp
from jax import lax

import programs

rng = np.random.default_rng(20250613)


def randn(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def uniform(lo, hi, *shape):
    return rng.uniform(lo, hi, shape).astype(np.float32)


def ints(lo, hi, *shape):
    return rng.integers(lo, hi, shape).astype(np.int32)


def special(*shape):
    """Normal values with NaN, ±inf, ±0 and a repeated value mixed in."""
    a = randn(*shape).ravel()
    picks = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.5, 1.5]
    for i, v in enumerate(picks):
        if i < a.size:
            a[(i * 7) % a.size] = v
    return a.reshape(shape)


def ties(*shape):
    """Small integers as floats: many equal values (ties in sorts and maxima)."""
    return rng.integers(-2, 3, shape).astype(np.float32)


class Key:
    def __init__(self, seed):
        self.seed = seed

    def fixture(self):
        return {"key": self.seed}

    def to_jax(self):
        return jax.random.PRNGKey(self.seed)


class Index:
    """x.at[...] index: entries are ints, (start, stop, step) slices, None, or int32 arrays."""

    def __init__(self, *entries):
        self.entries = entries

    def fixture(self):
        out = []
        for e in self.entries:
            if isinstance(e, tuple):
                out.append({"slice": list(e)})
            else:
                out.append(e)
        return {"index": out}

    def to_jax(self):
        return tuple(slice(*e) if isinstance(e, tuple) else (slice(None) if e is None else e) for e in self.entries)


def resolve(a):
    if isinstance(a, (Key, Index)):
        return a.to_jax()
    if isinstance(a, list):
        return [resolve(x) for x in a]
    if isinstance(a, np.ndarray):
        return jnp.asarray(a)
    return a


class Case:
    def __init__(self, family, op, args, kw=None, id=None, expect_error=False):
        self.family = family
        self.op = op
        self.args = list(args)
        self.kw = kw or {}
        self.id = id or op
        self.expect_error = expect_error

    def run(self):
        args = [resolve(a) for a in self.args]
        kw = {k: resolve(v) for k, v in self.kw.items()}
        kind, _, name = self.op.partition(".")
        if kind == "jnp":
            fn = jnp.linalg.norm if name == "linalg.norm" else getattr(jnp, name)
            return fn(*args, **kw)
        if kind == "nn":
            return getattr(jax.nn, name)(*args, **kw)
        if kind == "lax":
            return getattr(lax, name)(*args, **kw)
        if kind == "random":
            return getattr(jax.random, name)(*args, **kw)
        if kind == "init":
            ctor_args, key, shape = args
            init = getattr(jax.nn.initializers, name)
            if name not in ("zeros", "ones"):  # these two are initializers themselves
                init = init(*ctor_args, **kw)
            return init(key, tuple(shape))
        if kind == "at":
            x, index = args[0], args[1]
            ref = x.at[index]
            if name == "get":
                return ref.get()
            return getattr(ref, name)(args[2], **kw)
        if kind == "program":
            return programs.PROGRAMS[name](*args, **kw)
        raise ValueError(f"unknown op {self.op}")


CASES = []
counts = {}


def case(family, op, *args, kw=None, tag=None, error=False):
    base = op + (f"[{tag}]" if tag else "")
    n = counts.get(base, 0)
    counts[base] = n + 1
    CASES.append(Case(family, op, args, kw, id=base if n == 0 else f"{base}#{n}", expect_error=error))


def elementwise():
    f = "elementwise"
    for name in ["negative", "exp", "log", "log1p", "expm1", "tanh", "sqrt", "abs", "sign", "sin", "cos", "tan",
                 "arcsin", "arccos", "arctan", "sinh", "cosh", "floor", "square", "isnan", "isinf", "isfinite"]:
        case(f, f"jnp.{name}", randn(3, 4, scale=2))
        case(f, f"jnp.{name}", special(11), tag="special")
    case(f, "jnp.log", uniform(0.01, 100, 3, 5), tag="positive")
    case(f, "jnp.sqrt", uniform(0, 50, 3, 5), tag="positive")
    case(f, "jnp.arcsin", uniform(-1, 1, 4, 4), tag="domain")
    case(f, "jnp.arccos", uniform(-1, 1, 4, 4), tag="domain")
    case(f, "jnp.sin", randn(4, 4, scale=100), tag="large")
    case(f, "jnp.exp", randn(4, 4, scale=30), tag="overflow")
    case(f, "jnp.abs", ints(-50, 50, 6), tag="int")
    case(f, "jnp.sign", ints(-3, 4, 6), tag="int")
    case(f, "jnp.isnan", ints(-3, 4, 6), tag="int")
    for name in ["add", "subtract", "multiply", "divide", "maximum", "minimum", "power", "arctan2",
                 "equal", "less", "greater", "greater_equal", "not_equal"]:
        a = uniform(0.1, 3, 3, 4) if name == "power" else randn(3, 4)
        case(f, f"jnp.{name}", a, randn(4))
        case(f, f"jnp.{name}", special(2, 1, 3), special(4, 1), tag="special")
    case(f, "jnp.add", ints(-100, 100, 2, 3), ints(-100, 100, 3), tag="int")
    case(f, "jnp.multiply", ints(-100, 100, 2, 3), ints(-100, 100, 2, 3), tag="int")
    case(f, "jnp.divide", ints(-100, 100, 2, 3), ints(1, 9, 2, 3), tag="int")
    case(f, "jnp.add", ints(-100, 100, 2, 3), randn(3), tag="promote")
    case(f, "jnp.maximum", special(5), 0.0, tag="scalar")
    case(f, "jnp.where", randn(3, 4) > 0, randn(3, 4), randn(4))
    case(f, "jnp.clip", special(3, 4), -0.5, 0.75)
    case(f, "jnp.isclose", special(3, 4), special(3, 4) + np.float32(1e-6))
    case(f, "jnp.isclose", np.array([1, np.nan, np.inf, np.inf, -np.inf, 1e-9], np.float32),
         np.array([1.000001, np.nan, np.inf, -np.inf, -np.inf, 0], np.float32), tag="edges")
    case(f, "jnp.isclose", np.array([np.nan, 1, 2], np.float32), np.array([np.nan, 1.1, 2], np.float32),
         kw={"rtol": 0.2, "atol": 0.0, "equal_nan": True}, tag="equal_nan")
    case(f, "jnp.allclose", randn(3, 4), randn(3, 4))
    x = randn(3, 4)
    case(f, "jnp.allclose", x, x + np.float32(1e-7), tag="close")
    case(f, "jnp.logical_not", randn(5) > 0)
    case(f, "jnp.logical_or", randn(5) > 0, randn(5) > 0)


def reductions():
    f = "reductions"
    x = randn(3, 4, 5)
    for name in ["sum", "mean", "max", "min", "prod", "var", "std"]:
        case(f, f"jnp.{name}", x)
        case(f, f"jnp.{name}", x, kw={"axis": 1}, tag="axis")
        case(f, f"jnp.{name}", x, kw={"axis": -1, "keepdims": True}, tag="negative-keepdims")
        case(f, f"jnp.{name}", x, kw={"axis": (0, 2)}, tag="tuple")
    case(f, "jnp.sum", np.zeros((0, 3), np.float32), kw={"axis": 0}, tag="empty-axis")
    case(f, "jnp.prod", np.zeros((2, 0), np.float32), kw={"axis": 1}, tag="empty-axis")
    case(f, "jnp.mean", np.zeros((0,), np.float32), tag="empty")
    case(f, "jnp.sum", special(4, 5), kw={"axis": 1}, tag="special")
    case(f, "jnp.max", special(4, 5), kw={"axis": 1}, tag="nan")
    case(f, "jnp.min", special(4, 5), kw={"axis": 0}, tag="nan")
    case(f, "jnp.sum", ints(-1000, 1000, 4, 6), kw={"axis": 0}, tag="int")
    case(f, "jnp.max", ints(-1000, 1000, 4, 6), kw={"axis": 1}, tag="int")
    case(f, "jnp.sum", np.ones((3000,), np.float32) * np.float32(0.1), tag="long")
    case(f, "jnp.var", x, kw={"axis": 1, "ddof": 1}, tag="ddof")
    case(f, "jnp.std", x, kw={"axis": (0, 1), "ddof": 2}, tag="ddof")
    case(f, "jnp.var", randn(1, 3), kw={"axis": 0, "ddof": 1}, tag="ddof-zero-divisor")
    case(f, "jnp.argmax", ties(4, 6), kw={"axis": 1}, tag="ties")
    case(f, "jnp.argmin", ties(4, 6), kw={"axis": 0}, tag="ties")
    case(f, "jnp.argmax", special(12), tag="nan")
    case(f, "jnp.argmax", x, tag="flat")
    case(f, "jnp.all", randn(3, 4) > -1, kw={"axis": 1})
    case(f, "jnp.any", randn(3, 4) > 1, kw={"axis": 0})
    case(f, "jnp.all", np.zeros((0,), bool), tag="empty")
    case(f, "jnp.any", np.zeros((0,), bool), tag="empty")
    case(f, "jnp.all", randn(2, 3), tag="float")
    case(f, "nn.logsumexp", x, kw={"axis": -1})
    case(f, "nn.logsumexp", randn(3, 4, scale=50), tag="large")
    case(f, "nn.logsumexp", np.array([[-np.inf, -np.inf], [1.0, -np.inf]], np.float32), kw={"axis": 1}, tag="neg-inf")


def nn():
    f = "nn"
    x = np.concatenate([randn(10, scale=3), np.array([0.0, -0.0, 6.0, -1.0, 1.0, np.nan], np.float32)])
    for name in ["relu", "relu6", "sigmoid", "softplus", "silu", "swish", "elu", "celu", "selu", "hard_tanh",
                 "log_sigmoid", "gelu", "leaky_relu"]:
        case(f, f"nn.{name}", x)
    case(f, "nn.gelu", x, kw={"approximate": False}, tag="exact")
    case(f, "nn.leaky_relu", x, 0.2, tag="slope")
    case(f, "nn.elu", x, 0.5, tag="alpha")
    case(f, "nn.celu", x, 2.0, tag="alpha")
    y = randn(3, 5, scale=4)
    case(f, "nn.softmax", y)
    case(f, "nn.softmax", y, kw={"axis": 0}, tag="axis0")
    case(f, "nn.log_softmax", y)
    case(f, "nn.log_softmax", randn(2, 3, scale=80), tag="large")
    case(f, "nn.standardize", y)
    case(f, "nn.standardize", y, kw={"axis": 0, "epsilon": 0.1}, tag="axis0")
    case(f, "nn.glu", randn(3, 6))
    case(f, "nn.glu", randn(4, 3), 0, tag="axis0")
    case(f, "nn.one_hot", ints(0, 5, 6), 5)
    case(f, "nn.one_hot", np.array([0, 3, -1, 7], np.int32), 4, tag="out-of-range")


def linalg():
    f = "linalg"
    case(f, "jnp.matmul", randn(3, 4), randn(4, 5))
    case(f, "jnp.matmul", randn(2, 3, 4), randn(4, 2), tag="batched")
    case(f, "jnp.matmul", randn(2, 1, 3, 4), randn(3, 4, 2), tag="broadcast-batch")
    case(f, "jnp.matmul", randn(4), randn(4, 3), tag="vector-left")
    case(f, "jnp.matmul", randn(3, 4), randn(4), tag="vector-right")
    case(f, "jnp.matmul", randn(4), randn(4), tag="vectors")
    case(f, "jnp.matmul", ints(-20, 20, 3, 4), ints(-20, 20, 4, 2), tag="int")
    case(f, "jnp.dot", randn(3, 4), randn(4))
    case(f, "jnp.dot", randn(2, 3, 4), randn(5, 4, 2), tag="nd")
    case(f, "jnp.outer", randn(4), randn(2, 3))
    for spec, shapes in [("ij,jk->ik", [(3, 4), (4, 5)]), ("ij,jk", [(3, 4), (4, 5)]), ("ij->ji", [(3, 4)]),
                         ("ij->", [(3, 4)]), ("ii->i", [(4, 4)]), ("ii", [(4, 4)]), ("i,i", [(5,), (5,)]),
                         ("i,j->ij", [(3,), (4,)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
                         ("bqd,bkd->bqk", [(2, 3, 4), (2, 5, 4)]), ("...ij,...jk", [(2, 1, 3, 4), (5, 4, 2)]),
                         ("...i,...i->...", [(2, 3, 4), (3, 4)]), ("ijk,kj->i", [(2, 3, 4), (4, 3)]),
                         ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]), ("iij->j", [(3, 3, 2)]),
                         ("ba,ca", [(2, 3), (4, 3)]), ("Ab,bA->A", [(3, 4), (4, 3)]), (" i j , j k -> i k ", [(2, 3), (3, 2)]),
                         ("ij,j->i", [(3, 1), (4,)])]:
        case(f, "jnp.einsum", spec, *[randn(*s) for s in shapes], tag=spec.replace(" ", ""))
    v = randn(5)
    m = randn(3, 4)
    case(f, "jnp.linalg.norm", v)
    case(f, "jnp.linalg.norm", m, tag="fro-default")
    case(f, "jnp.linalg.norm", randn(2, 3, 4), tag="3d")
    for o in [1, 2, 3, 0, np.inf, -np.inf, 0.5]:
        case(f, "jnp.linalg.norm", v, kw={"ord": o}, tag=f"vector-ord-{o}")
    for o in ["fro", 1, -1, np.inf, -np.inf]:
        case(f, "jnp.linalg.norm", m, kw={"ord": o}, tag=f"matrix-ord-{o}")
    case(f, "jnp.linalg.norm", randn(2, 3, 4), kw={"axis": -1, "keepdims": True}, tag="axis")
    case(f, "jnp.linalg.norm", randn(2, 3, 4), kw={"ord": 1, "axis": (2, 0)}, tag="matrix-axes")


def shapes():
    f = "shapes"
    x = randn(2, 3, 4)
    case(f, "jnp.transpose", x)
    case(f, "jnp.transpose", x, (1, 2, 0), tag="perm")
    case(f, "jnp.reshape", x, (4, -1))
    case(f, "jnp.concatenate", [randn(2, 3), randn(1, 3)], 0)
    case(f, "jnp.concatenate", [randn(2, 3), randn(2, 1), randn(2, 0)], -1, tag="axis")
    case(f, "jnp.stack", [randn(2, 3), randn(2, 3)], 1)
    case(f, "jnp.take", randn(5, 3), ints(-5, 5, 4), 0)
    case(f, "jnp.expand_dims", x, -1)
    case(f, "jnp.squeeze", randn(1, 3, 1), 0)
    case(f, "jnp.broadcast_to", randn(3, 1), (2, 3, 4))
    case(f, "jnp.flip", x)
    case(f, "jnp.flip", x, 1, tag="axis")
    case(f, "jnp.flip", x, (0, 2), tag="axes")
    case(f, "jnp.roll", np.arange(10, dtype=np.int32), 3)
    case(f, "jnp.roll", x, -2, 2, tag="axis")
    case(f, "jnp.roll", x, (1, -1), (0, 1), tag="axes")
    case(f, "jnp.roll", x, 7, tag="flat")
    case(f, "jnp.tile", randn(2, 3), (2, 1))
    case(f, "jnp.tile", randn(3), (2, 2), tag="promote")
    case(f, "jnp.tile", randn(2, 3), 3, tag="scalar")
    case(f, "jnp.repeat", ints(0, 9, 2, 3), 2)
    case(f, "jnp.repeat", randn(2, 3), 3, kw={"axis": 1}, tag="axis")
    case(f, "jnp.repeat", randn(3, 2), np.array([1, 0, 2], np.int32), kw={"axis": 0}, tag="counts")
    case(f, "jnp.repeat", randn(3), np.array([2, 1, 3], np.int32), kw={"total_repeat_length": 4}, tag="total-short")
    case(f, "jnp.repeat", randn(3), np.array([2, 1, 0], np.int32), kw={"total_repeat_length": 5}, tag="total-long")
    for mode in ["constant", "edge", "reflect", "symmetric", "wrap"]:
        case(f, "jnp.pad", np.arange(4, dtype=np.float32), (3, 5), kw={"mode": mode}, tag=mode)
        case(f, "jnp.pad", randn(2, 3), ((1, 2), (2, 0)), kw={"mode": mode}, tag=f"{mode}-2d")
    case(f, "jnp.pad", randn(2, 3), 1, kw={"constant_values": 7.0}, tag="constant-value")
    case(f, "jnp.pad", randn(2, 3), ((1, 1), (2, 1)), kw={"constant_values": ((1.0, 2.0), (3.0, 4.0))}, tag="constant-pairs")
    case(f, "jnp.pad", np.array([5.0], np.float32), (4, 3), kw={"mode": "reflect"}, tag="reflect-single")
    case(f, "jnp.split", np.arange(12, dtype=np.int32), 3)
    case(f, "jnp.split", np.arange(10, dtype=np.int32), [2, 5, 9], tag="indices")
    case(f, "jnp.split", randn(2, 6), [0, 4], 1, tag="axis")
    case(f, "jnp.array_split", np.arange(7, dtype=np.int32), 3)
    case(f, "jnp.array_split", randn(2, 5), 4, 1, tag="axis")
    case(f, "jnp.tril", randn(3, 4))
    case(f, "jnp.tril", randn(2, 3, 3), -1, tag="k")
    case(f, "jnp.triu", randn(3, 4))
    case(f, "jnp.triu", randn(4, 3), 2, tag="k")
    case(f, "jnp.linspace", 0.0, 1.0, 7)
    case(f, "jnp.linspace", -3.0, 5.0, 10, kw={"endpoint": False}, tag="no-endpoint")
    case(f, "jnp.linspace", randn(2), np.float32(2.0), 4, kw={"axis": -1}, tag="arrays")
    case(f, "jnp.linspace", 2.0, 3.0, 1, tag="one")
    case(f, "jnp.linspace", 2.0, 3.0, 0, tag="zero")
    case(f, "jnp.take_along_axis", randn(3, 4), ints(-4, 4, 3, 2), 1)
    case(f, "jnp.take_along_axis", randn(3, 4), ints(0, 3, 1, 4), 0, tag="broadcast")
    case(f, "jnp.take_along_axis", randn(5), np.array([5, -1, -6, 2], np.int32), 0, tag="out-of-range")
    case(f, "jnp.take_along_axis", ints(0, 9, 4), np.array([4, 0], np.int32), 0, tag="out-of-range-int")
    case(f, "jnp.take_along_axis", randn(2, 3), np.array([0, 5, 4], np.int32), None, tag="flat")
    x = randn(4, 5)
    i = np.array([0, 2, 0, -1], np.int32)
    case(f, "at.get", x, Index(i))
    case(f, "at.get", x, Index(None, np.array([1, 7, -6], np.int32)), tag="out-of-range")
    case(f, "at.get", x, Index(1, (1, 4)), tag="static")
    case(f, "at.set", x, Index(i), np.float32(9.0), tag="dup")
    case(f, "at.set", x, Index(i), randn(4, 5), tag="rows-dup")
    case(f, "at.set", x, Index(1, (0, 5, 2)), randn(3), tag="static")
    case(f, "at.set", x, Index(7), np.float32(1.0), tag="out-of-range-static")
    case(f, "at.set", x, Index(np.array([1, 6, -9], np.int32), 2), np.float32(5.0), tag="out-of-range")
    case(f, "at.add", x, Index(i), np.float32(1.0), tag="dup")
    case(f, "at.add", x, Index(None, np.array([[0, 1], [1, 4]], np.int32)), randn(4, 2, 2), tag="2d-index")
    case(f, "at.add", x, Index(np.array([0, 3], np.int32), np.array([4, 4], np.int32)), randn(2), tag="pairs")
    case(f, "at.add", ints(0, 5, 6), Index(np.array([1, 1, 1], np.int32)), np.int32(2), tag="int")
    case(f, "at.mul", x, Index(i), np.float32(2.0), tag="dup")
    case(f, "at.mul", x, Index((1, 3)), randn(2, 5), tag="static")
    case(f, "at.set", np.zeros((3, 4), np.float32), Index(-1, -1), np.float32(3.0), tag="negative")
    y = np.arange(10, dtype=np.int32)
    case(f, "lax.dynamic_slice", y, (8,), (4,))
    case(f, "lax.dynamic_slice", y, (-3,), (4,), tag="negative")
    case(f, "lax.dynamic_slice", randn(4, 5), (1, 3), (2, 3), tag="2d")
    case(f, "lax.dynamic_update_slice", y, np.array([-1, -2, -3], np.int32), (9,))
    case(f, "lax.dynamic_update_slice", randn(4, 5), randn(2, 2), (3, -1), tag="2d")


def sorting():
    f = "sorting"
    s = special(3, 8)
    t = ties(3, 8)
    for x, tag in [(randn(3, 8), None), (s, "special"), (t, "ties")]:
        case(f, "jnp.sort", x, tag=tag)
        case(f, "jnp.argsort", x, tag=tag)
        case(f, "jnp.sort", x, kw={"axis": 0, "descending": True}, tag=(tag or "") + "desc")
        case(f, "jnp.argsort", x, kw={"axis": 0, "descending": True}, tag=(tag or "") + "desc")
    case(f, "jnp.sort", randn(2, 3, 4), kw={"axis": None}, tag="flat")
    case(f, "jnp.argsort", ints(-3, 3, 10), tag="int-ties")
    case(f, "jnp.sort", np.array([3, -2147483648, 2147483647, 0, -1], np.int32), tag="int-range")
    case(f, "jnp.sort", np.zeros((2, 0), np.float32), tag="empty")
    case(f, "lax.sort", [t[0], randn(8)], kw={"num_keys": 1}, tag="key-val")
    case(f, "lax.sort", [t[1], t[2], np.arange(8, dtype=np.int32)], kw={"num_keys": 2}, tag="two-keys")
    case(f, "lax.sort", [randn(3, 5), ints(0, 9, 3, 5)], kw={"dimension": 0}, tag="dimension")
    case(f, "lax.top_k", randn(3, 8), 3)
    case(f, "lax.top_k", s, 8, tag="special")
    case(f, "lax.top_k", t, 5, tag="ties")
    case(f, "lax.top_k", randn(6, 3), 2, kw={"axis": 0}, tag="axis")
    case(f, "lax.top_k", ints(-5, 5, 9), 4, tag="int")
    case(f, "lax.top_k", randn(4), 0, tag="k0")
    for name in ["cumsum", "cumprod"]:
        case(f, f"jnp.{name}", randn(3, 5))
        case(f, f"jnp.{name}", randn(3, 5), kw={"axis": -1}, tag="axis")
        case(f, f"jnp.{name}", ints(-3, 4, 3, 5), kw={"axis": 0}, tag="int")
        case(f, f"jnp.{name}", randn(4) > 0, tag="bool")
    case(f, "jnp.cumsum", special(6), tag="special")
    case(f, "jnp.cumsum", np.full((600,), 0.1, np.float32), tag="long")
    for name in ["cumsum", "cumprod", "cummax", "cummin"]:
        case(f, f"lax.{name}", randn(3, 5), kw={"axis": 1})
        case(f, f"lax.{name}", randn(3, 5), kw={"axis": 0, "reverse": True}, tag="reverse")
    case(f, "lax.cummax", special(9), kw={"axis": 0}, tag="nan")
    case(f, "lax.cummin", ints(-9, 9, 7), kw={"axis": 0}, tag="int")
    m = (ties(3, 4) > 0)
    case(f, "jnp.nonzero", m)
    case(f, "jnp.nonzero", ties(10), kw={"size": 4}, tag="size-cut")
    case(f, "jnp.nonzero", m, kw={"size": 9, "fill_value": -1}, tag="size-fill")
    case(f, "jnp.nonzero", np.zeros((2, 3), np.float32), kw={"size": 2}, tag="none")
    a = np.sort(randn(8))
    case(f, "jnp.searchsorted", a, randn(3, 2))
    case(f, "jnp.searchsorted", np.array([1, 2, 2, 3, 4, 5, 5], np.float32), np.array([2, 5, 0, 9, np.nan], np.float32),
         kw={"side": "right"}, tag="right")
    case(f, "jnp.searchsorted", np.array([1, 2, 2, 3, 4, 5, 5], np.float32), np.array([2, 5, 0, 9, np.nan], np.float32), tag="ties")


def random():
    f = "random"
    k = Key(0)
    case(f, "random.split", k, 3)
    case(f, "random.fold_in", k, 7)
    case(f, "random.bits", Key(1), (3, 4))
    case(f, "random.uniform", Key(2), (3, 4))
    case(f, "random.uniform", Key(3), (5,), kw={"minval": -2.0, "maxval": 3.0}, tag="range")
    case(f, "random.normal", Key(4), (3, 4))
    case(f, "random.truncated_normal", Key(5), -1.0, 2.0, (3, 4))
    case(f, "random.bernoulli", Key(6), 0.3, (8,))
    case(f, "random.bernoulli", Key(7), uniform(0, 1, 2, 5), tag="array-p")
    case(f, "random.bernoulli", Key(8), uniform(0, 1, 5), (3, 5), tag="array-p-shape")
    case(f, "random.gumbel", Key(9), (2, 3))
    case(f, "random.categorical", Key(10), randn(3, 5))
    case(f, "random.categorical", Key(11), randn(3, 5), kw={"axis": 0}, tag="axis0")
    case(f, "random.categorical", Key(12), randn(2, 4), kw={"shape": (6, 2)}, tag="shape")
    case(f, "random.categorical", Key(13), randn(2, 5), kw={"shape": (3, 2), "replace": False}, tag="no-replace")
    case(f, "random.randint", Key(14), (3, 4), 0, 10)
    case(f, "random.randint", Key(15), (6,), -5, 5, tag="negative")
    case(f, "random.randint", Key(16), (6,), -1000, 3000, tag="span-4000")
    case(f, "random.randint", Key(17), (6,), 0, 50000, tag="span-50000")
    case(f, "random.randint", Key(18), (6,), 100, 3000000, tag="span-3M")
    case(f, "random.randint", Key(19), (4,), 5, 5, tag="empty-range")
    case(f, "random.permutation", Key(20), 10)
    case(f, "random.permutation", Key(21), 1, tag="one")
    case(f, "random.permutation", Key(22), 3000, tag="two-rounds")
    case(f, "random.permutation", Key(23), randn(5, 3), tag="rows")
    case(f, "random.permutation", Key(24), randn(3, 5), kw={"axis": 1}, tag="axis")
    case(f, "random.permutation", Key(25), randn(3, 5), kw={"axis": 1, "independent": True}, tag="independent")
    case(f, "random.choice", Key(26), 10, (4,))
    case(f, "random.choice", Key(27), 10, (4,), kw={"replace": False}, tag="no-replace")
    p = np.array([0.1, 0.2, 0.3, 0.25, 0.15], np.float32)
    case(f, "random.choice", Key(28), 5, (3, 2), kw={"p": p}, tag="p")
    case(f, "random.choice", Key(29), 5, (3,), kw={"p": p, "replace": False}, tag="p-no-replace")
    case(f, "random.choice", Key(30), randn(6, 2), (2, 2), tag="array")
    case(f, "random.choice", Key(31), randn(2, 6), (3,), kw={"axis": 1, "replace": False}, tag="array-axis")
    for name, ctor in [("zeros", []), ("ones", []), ("constant", [0.3]), ("uniform", []), ("uniform", [2.0]),
                       ("normal", []), ("normal", [0.5]), ("truncated_normal", []),
                       ("glorot_uniform", []), ("glorot_normal", []), ("xavier_uniform", []), ("lecun_uniform", []),
                       ("lecun_normal", []), ("he_uniform", []), ("he_normal", []), ("kaiming_normal", [])]:
        case(f, f"init.{name}", ctor, Key(40), [4, 3], tag=",".join(map(str, ctor)) or None)
    case(f, "init.truncated_normal", [1.0], Key(40), [4, 3], kw={"lower": -1.0, "upper": 3.0}, tag="bounds")
    case(f, "init.variance_scaling", [0.5, "fan_out", "normal"], Key(41), [2, 3, 4], tag="fan_out-normal")
    case(f, "init.variance_scaling", [2.0, "fan_avg", "uniform"], Key(42), [3, 3, 2, 4], tag="conv-uniform")
    case(f, "init.variance_scaling", [1.0, "fan_geo_avg", "truncated_normal"], Key(43), [5, 2], tag="geo")
    case(f, "init.variance_scaling", [1.0, "fan_in", "normal"], Key(44), [4, 5, 6], kw={"in_axis": 0, "out_axis": (1, 2)}, tag="axes")


def transforms():
    f = "transforms"
    for name, args in programs.CASES:
        case(f, f"program.{name}", *args)


def errors():
    f = "errors"
    e = dict(error=True)
    case(f, "jnp.einsum", "ij,jk->ik", randn(2, 3), randn(4, 5), tag="size-mismatch", **e)
    case(f, "jnp.einsum", "ijk,jk->i", randn(2, 3), randn(3, 5), tag="index-count", **e)
    case(f, "jnp.einsum", "ij,jk->il", randn(2, 3), randn(3, 5), tag="unknown-output", **e)
    case(f, "jnp.einsum", "ij,jk->ii", randn(2, 3), randn(3, 5), tag="repeated-output", **e)
    case(f, "jnp.einsum", "ij,jk", randn(2, 3), tag="operand-count", **e)
    case(f, "jnp.matmul", randn(2, 3), randn(4, 5), tag="inner", **e)
    case(f, "jnp.add", randn(2, 3), randn(4), tag="broadcast", **e)
    case(f, "jnp.reshape", randn(2, 3), (4, 2), tag="size", **e)
    case(f, "jnp.concatenate", [randn(2, 3), randn(3, 2)], 0, tag="shapes", **e)
    case(f, "jnp.split", np.arange(7, dtype=np.int32), 3, tag="unequal", **e)
    case(f, "jnp.split", np.arange(7, dtype=np.int32), [2, 9], tag="index-past-end", **e)
    case(f, "jnp.split", np.arange(7, dtype=np.int32), [4, 2], tag="decreasing", **e)
    case(f, "jnp.split", np.arange(7, dtype=np.int32), [-2], tag="negative", **e)
    case(f, "jnp.max", np.zeros((0,), np.float32), tag="empty", **e)
    case(f, "jnp.argmax", np.zeros((0,), np.float32), tag="empty", **e)
    case(f, "jnp.sum", randn(2, 3), kw={"axis": 2}, tag="axis", **e)
    case(f, "lax.top_k", randn(3, 4), 5, tag="k-too-large", **e)
    case(f, "lax.dynamic_slice", randn(3), (0,), (4,), tag="size", **e)
    case(f, "jnp.take_along_axis", randn(3, 4), ints(0, 3, 3), 1, tag="rank", **e)
    case(f, "jnp.tril", randn(3), tag="rank", **e)
    case(f, "nn.glu", randn(3, 5), tag="odd", **e)
    case(f, "jnp.pad", np.zeros((0,), np.float32), (1, 1), kw={"mode": "reflect"}, tag="empty-reflect", **e)
    case(f, "random.choice", Key(0), 3, (5,), kw={"replace": False}, tag="too-many", **e)
    case(f, "init.glorot_normal", [], Key(0), [5], tag="1d", **e)
    case(f, "lax.sort", [randn(3), randn(3)], kw={"num_keys": 3}, tag="num-keys", **e)
    case(f, "jnp.nonzero", np.float32(1.0), tag="0d", **e)
    for name in programs.ERROR_PROGRAMS:
        case(f, f"program.{name}", *programs.ERROR_ARGS[name], tag=None, **e)


def all_cases():
    elementwise()
    reductions()
    nn()
    linalg()
    shapes()
    sorting()
    random()
    transforms()
    errors()
    return CASES
