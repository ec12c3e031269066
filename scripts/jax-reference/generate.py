#!/usr/bin/env python3
"""Computes reference outputs with real JAX and writes them as JSON fixtures for tanka's tests.

    pip install jax jaxlib numpy        # once
    python3 scripts/jax-reference/generate.py

writes test/fixtures/jax-reference/<family>.json. Every case names a call (`op`), its
arguments (seeded inputs, stored in the fixture so tanka reads exactly the same numbers) and
either JAX's output or the error JAX raised. test/jax-reference/reference.test.ts replays each
case against tanka; `npm test` needs no Python.

The cases themselves are in cases.py; the small programs for the transform cases in programs.py.
"""
import json
import math
import os
import sys
from collections import defaultdict

import numpy as np

os.environ.setdefault("JAX_PLATFORMS", "cpu")
import jax  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cases  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT_DIR = os.path.join(ROOT, "test", "fixtures", "jax-reference")


def encode_number(v):
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    v = float(v) if isinstance(v, (float, np.floating)) else v
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
    return v


def encode(x):
    """Arrays as {"array": {dtype, shape, data}}; non-finite floats as strings; containers recursively."""
    if hasattr(x, "fixture"):
        return encode(x.fixture())
    if isinstance(x, (jax.Array, np.ndarray, np.generic)) and not isinstance(x, (bool,)):
        a = np.asarray(x)
        if a.dtype.name not in ("float32", "int32", "uint32", "bool"):
            raise TypeError(f"unsupported dtype {a.dtype} in a fixture")
        data = [encode_number(v) for v in a.ravel().tolist()]
        return {"array": {"dtype": a.dtype.name, "shape": list(a.shape), "data": data}}
    if isinstance(x, (list, tuple)):
        return [encode(v) for v in x]
    if isinstance(x, dict):
        return {k: encode(v) for k, v in x.items()}
    if x is None or isinstance(x, str):
        return x
    return encode_number(x)


def main():
    by_family = defaultdict(list)
    seen = set()
    for c in cases.all_cases():
        if c.id in seen:
            raise SystemExit(f"duplicate case id {c.id}")
        seen.add(c.id)
        record = {"id": c.id, "op": c.op, "args": encode(c.args), "kw": encode(c.kw)}
        try:
            out = c.run()
            record["out"] = encode(out)
        except Exception as e:  # JAX's error is the expected result of an error case
            if not c.expect_error:
                raise SystemExit(f"case {c.id} raised unexpectedly: {type(e).__name__}: {e}")
            record["error"] = f"{type(e).__name__}: {str(e).splitlines()[0]}"
        else:
            if c.expect_error:
                raise SystemExit(f"case {c.id} was expected to raise, but JAX returned {out}")
        by_family[c.family].append(record)
    os.makedirs(OUT_DIR, exist_ok=True)
    for family, records in sorted(by_family.items()):
        path = os.path.join(OUT_DIR, f"{family}.json")
        doc = {"jax": jax.__version__, "numpy": np.__version__, "family": family, "cases": records}
        with open(path, "w") as f:
            json.dump(doc, f, indent=None, separators=(",", ":"))
            f.write("\n")
        print(f"{path}: {len(records)} cases")


if __name__ == "__main__":
    main()
