#!/usr/bin/env python3
"""Reference outputs for the tensor ops (Tests/TensorTests/Fixtures/ops.json).

Random inputs (seeded) and float64 numpy results of the same operations, rounded to float32. The Swift tests
recompute every op from the stored inputs and compare.
"""
import json
import math
import os

import numpy as np

rng = np.random.default_rng(20261129)


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def flat(a):
    return [float(x) for x in np.asarray(a, dtype=np.float32).ravel()]


def layer_norm(x, w, b, eps):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * w + b


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


erf = np.vectorize(math.erf)
cases = {}

x = f32(rng.standard_normal((7, 37)))
w = f32(rng.standard_normal((23, 37)) * 0.2)
b = f32(rng.standard_normal(23))
cases["linear"] = dict(x=flat(x), rows=7, inFeatures=37, outFeatures=23, weightOutIn=flat(w), weightInOut=flat(w.T),
                       bias=flat(b), out=flat(x @ w.T + b), outNoBias=flat(x @ w.T))

# Enough rows that the Swift side splits them across workers.
x = f32(rng.standard_normal((130, 32)))
w = f32(rng.standard_normal((16, 32)) * 0.1)
cases["linearManyRows"] = dict(x=flat(x), rows=130, inFeatures=32, outFeatures=16, weight=flat(w), out=flat(x @ w.T))

a = f32(rng.standard_normal((3, 5, 11)))
bm = f32(rng.standard_normal((3, 11, 6)))
cases["batchedMatMul"] = dict(a=flat(a), b=flat(bm), bT=flat(bm.transpose(0, 2, 1)), batch=3, m=5, k=11, n=6, out=flat(a @ bm))

x = f32(np.concatenate([rng.standard_normal((4, 19)) * 3, rng.standard_normal((2, 19)) * 30 + 50]))
cases["softmax"] = dict(x=flat(x), rows=6, cols=19, out=flat(softmax(x)))

x = f32(rng.standard_normal((9, 33)) * 2 + 0.5)
w = f32(rng.standard_normal(33))
b = f32(rng.standard_normal(33))
cases["layerNorm"] = dict(x=flat(x), rows=9, cols=33, weight=flat(w), bias=flat(b),
                          out6=flat(layer_norm(x, w, b, 1e-6)), out12=flat(layer_norm(x, w, b, 1e-12)))

x = f32(np.concatenate([rng.standard_normal(500) * 3, np.linspace(-6, 6, 97)]))
gelu_erf = x * 0.5 * (1 + erf(x / math.sqrt(2)))
gelu_tanh = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
cases["gelu"] = dict(x=flat(x), erf=flat(gelu_erf), tanh=flat(gelu_tanh))

x = f32(rng.standard_normal((5, 8)))
y = f32(rng.standard_normal((5, 8)))
s = f32(rng.standard_normal(8))
cases["elementwise"] = dict(x=flat(x), y=flat(y), scale=flat(s), rows=5, cols=8, add=flat(x + y),
                            scaled=flat(x * s), addScaled=flat(x + y * s))

x = f32(rng.standard_normal((3, 6, 10)))
mask = np.array([[1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 1], [1, 0, 0, 0, 0, 0]], dtype=np.float64)
pooled = (x * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
cases["maskedMeanPool"] = dict(x=flat(x), batch=3, seq=6, dim=10, mask=mask.astype(int).ravel().tolist(), out=flat(pooled))

x = f32(rng.standard_normal((4, 12)) * 5)
cases["l2Normalize"] = dict(x=flat(x), rows=4, cols=12, out=flat(x / np.linalg.norm(x, axis=-1, keepdims=True)))

# Attention over packed sequences of different lengths, 3 heads of 8.
lengths, heads, dh = [5, 1, 9], 3, 8
hidden = heads * dh
qkv = f32(rng.standard_normal((sum(lengths), 3 * hidden)))
scale = 1 / math.sqrt(dh)
outs = []
start = 0
for n in lengths:
    blk = qkv[start:start + n]
    q, k, v = blk[:, :hidden], blk[:, hidden:2 * hidden], blk[:, 2 * hidden:]
    o = np.zeros((n, hidden))
    for h in range(heads):
        sl = slice(h * dh, (h + 1) * dh)
        o[:, sl] = softmax(q[:, sl] @ k[:, sl].T * scale) @ v[:, sl]
    outs.append(o)
    start += n
cases["attention"] = dict(qkv=flat(qkv), lengths=lengths, heads=heads, scale=scale, out=flat(np.concatenate(outs)))

path = os.path.join(os.path.dirname(__file__), "..", "Tests", "TensorTests", "Fixtures", "ops.json")
with open(path, "w") as f:
    json.dump(cases, f)
print("wrote", os.path.normpath(path), os.path.getsize(path), "bytes")
