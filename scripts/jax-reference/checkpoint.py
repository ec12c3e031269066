#!/usr/bin/env python3
"""The way out to JAX: a model trained with tanka continues in JAX, and back, without conversion.

    npm start                                   # the main job: writes checkpoints/mnist-mlp.safetensors
    pip install jax jaxlib numpy safetensors    # once
    python3 scripts/jax-reference/checkpoint.py [checkpoint]

1. Runs scripts/jax-reference/export-tanka-logits.ts: tanka's logits for 32 test digits.
2. Loads the same checkpoint with `safetensors` and JAX, rebuilds Haiku's param dict
   ({"mlp/~/linear_0": {"w": ..., "b": ...}, ...}), runs the MLP forward in JAX and requires
   the logits to match tanka's within 1e-5.
3. Takes one SGD step in JAX on those digits and writes the new params with Python's
   `safetensors` (test/fixtures/jax-reference/mlp-from-jax.safetensors), with JAX's logits.
4. Records everything in test/fixtures/jax-reference/checkpoint.json; `npm test`
   (test/jax-reference/checkpoint.test.ts) replays it without Python, loading the JAX-written
   checkpoint in tanka and requiring tanka to predict what JAX predicted.
"""
import hashlib
import json
import os
import subprocess
import sys

import numpy as np

os.environ.setdefault("JAX_PLATFORMS", "cpu")
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
from safetensors.numpy import load_file, save_file  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "test", "fixtures", "jax-reference")
TOLERANCE = 1e-5


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def haiku_params(flat):
    """{"mlp/~/linear_0/w": array} -> {"mlp/~/linear_0": {"w": array}}: Haiku's two-level dict."""
    params = {}
    for key, value in flat.items():
        module, _, name = key.rpartition("/")
        params.setdefault(module, {})[name] = jnp.asarray(value)
    return params


def mlp_forward(params, x):
    """hk.nets.MLP([300, 100, 10]).__call__: Linear layers in order, relu between them, none after the last."""
    layers = sorted(params, key=lambda m: int(m.rsplit("_", 1)[1]))
    for i, m in enumerate(layers):
        x = x @ params[m]["w"] + params[m]["b"]
        if i < len(layers) - 1:
            x = jax.nn.relu(x)
    return x


def loss(params, x, labels):
    logits = mlp_forward(params, x)
    return -jnp.mean(jnp.sum(jax.nn.log_softmax(logits) * jax.nn.one_hot(labels, 10), axis=-1))


def as_record(a):
    a = np.asarray(a, dtype=np.float32)
    return {"shape": list(a.shape), "data": [float(v) for v in a.ravel()]}


def main():
    checkpoint = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "checkpoints", "mnist-mlp.safetensors")
    if not os.path.exists(checkpoint):
        raise SystemExit(f"no checkpoint at {checkpoint}: run the main job first (npm start), or pass a path")
    exported = os.path.join(ROOT, ".tmp", "jax-reference", "tanka-logits.json")
    subprocess.run(["node", "--import", "tsx", os.path.join(ROOT, "scripts", "jax-reference", "export-tanka-logits.ts"), checkpoint, exported],
                   cwd=ROOT, check=True)
    with open(exported) as f:
        tanka = json.load(f)

    # tanka -> JAX: the checkpoint as Haiku params, the forward pass in JAX
    flat = load_file(checkpoint)
    params = haiku_params(flat)
    x = jnp.asarray(np.array(tanka["digits"]["data"], np.float32).reshape(tanka["digits"]["shape"]))
    labels = jnp.asarray(np.array(tanka["labels"], np.int32))
    jax_logits = np.asarray(mlp_forward(params, x))
    tanka_logits = np.array(tanka["logits"]["data"], np.float32).reshape(tanka["logits"]["shape"])
    diff = float(np.max(np.abs(jax_logits - tanka_logits)))
    same_predictions = bool(np.all(np.argmax(jax_logits, -1) == np.argmax(tanka_logits, -1)))
    print(f"tanka -> JAX: {len(flat)} tensors ({', '.join(sorted(flat))}); max |logit difference| {diff:.3g} (tolerance {TOLERANCE}); same predictions: {same_predictions}")
    if not diff <= TOLERANCE or not same_predictions:
        raise SystemExit("FAILED: JAX's forward pass of the tanka checkpoint does not match tanka's logits")

    # JAX -> tanka: one SGD step in JAX, saved by Python's safetensors with Haiku's keys
    grads = jax.grad(loss)(params, x, labels)
    stepped = jax.tree.map(lambda p, g: p - 0.1 * g, params, grads)
    written = os.path.join(FIXTURES, "mlp-from-jax.safetensors")
    os.makedirs(FIXTURES, exist_ok=True)
    save_file({f"{m}/{k}": np.asarray(v) for m, leaves in stepped.items() for k, v in leaves.items()}, written,
              metadata={"written_by": f"jax {jax.__version__} (scripts/jax-reference/checkpoint.py)", "model": "hk.nets.MLP([300, 100, 10])"})
    stepped_logits = np.asarray(mlp_forward(stepped, x))
    print(f"JAX -> tanka: one SGD step in JAX (loss {float(loss(params, x, labels)):.4f} -> {float(loss(stepped, x, labels)):.4f}), written to {written}")

    record = {
        "jax": jax.__version__,
        "tolerance": TOLERANCE,
        "forward": {
            "checkpoint": os.path.relpath(checkpoint, ROOT),
            "sha256": tanka["sha256"],
            "keys": sorted(flat),
            "maxAbsDiff": diff,
            "samePredictions": same_predictions,
            "tankaLogits": as_record(tanka_logits),
            "jaxLogits": as_record(jax_logits),
        },
        "digits": {"shape": tanka["digits"]["shape"], "data": tanka["digits"]["data"]},
        "labels": tanka["labels"],
        "reverse": {
            "file": os.path.relpath(written, ROOT),
            "sha256": sha256(written),
            "jaxLogits": as_record(stepped_logits),
        },
    }
    with open(os.path.join(FIXTURES, "checkpoint.json"), "w") as f:
        json.dump(record, f, separators=(",", ":"))
        f.write("\n")
    print(f"recorded in {os.path.join(FIXTURES, 'checkpoint.json')}")


if __name__ == "__main__":
    main()
