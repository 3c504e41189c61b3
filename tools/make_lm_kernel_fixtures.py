#!/usr/bin/env python3
"""Writes Tests/TensorTests/Fixtures/lm_kernels.json: seeded inputs of the language-model kernels (RMSNorm,
rotate-half RoPE, SiLU * up, causal GQA attention with a prefix) and their float64 numpy results, computed
from the definitions (transformers' Qwen2RMSNorm, rotate_half / apply_rotary_pos_emb, F.silu, and softmax
attention with a causal mask and repeated KV heads).

    python3 tools/make_lm_kernel_fixtures.py
"""
import json
import os

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "TensorTests", "Fixtures", "lm_kernels.json")


def f32(a):
    return np.asarray(a, dtype=np.float32).reshape(-1).tolist()


def main() -> None:
    rng = np.random.default_rng(15)
    out = {}

    rows, dim, eps = 5, 37, 1e-6
    x = rng.normal(0, 2, (rows, dim)).astype(np.float32)
    w = rng.normal(1, 0.3, dim).astype(np.float32)
    xd = x.astype(np.float64)
    out["rmsnorm"] = {"rows": rows, "dim": dim, "eps": eps, "x": f32(x), "weight": f32(w),
                      "expected": f32(w * (xd / np.sqrt((xd ** 2).mean(-1, keepdims=True) + eps)))}

    heads, hd, theta = 3, 64, 1e6
    pos = np.array([0, 1, 7, 511, 4095, 30000], dtype=np.int32)
    x = rng.normal(0, 1, (len(pos), heads, hd)).astype(np.float32)
    inv = 1.0 / (theta ** (np.arange(0, hd, 2, dtype=np.float64) / hd))
    ang = pos[:, None].astype(np.float64) * inv[None, :]
    cos = np.concatenate([np.cos(ang), np.cos(ang)], -1)[:, None, :]
    sin = np.concatenate([np.sin(ang), np.sin(ang)], -1)[:, None, :]
    xd = x.astype(np.float64)
    rot = np.concatenate([-xd[..., hd // 2:], xd[..., :hd // 2]], -1)
    out["rope"] = {"heads": heads, "head_dim": hd, "theta": theta, "pos": pos.tolist(), "x": f32(x),
                   "expected": f32(xd * cos + rot * sin)}

    g = rng.normal(0, 3, (4, 29)).astype(np.float32)
    u = rng.normal(0, 1, (4, 29)).astype(np.float32)
    gd = g.astype(np.float64)
    out["silu_mul"] = {"rows": 4, "n": 29, "gate": f32(g), "up": f32(u), "expected": f32(gd / (1 + np.exp(-gd)) * u)}

    cases = []
    for (n_heads, n_kv, hd, prefix, own_first, n_q) in [(4, 2, 16, 0, 0, 9), (14, 2, 64, 21, 3, 5), (6, 6, 24, 5, 0, 3)]:
        keys = prefix + own_first + n_q
        q = rng.normal(0, 1, (n_q, n_heads, hd)).astype(np.float32)
        k = rng.normal(0, 1, (keys, n_kv, hd)).astype(np.float32)
        v = rng.normal(0, 1, (keys, n_kv, hd)).astype(np.float32)
        scale = 1 / np.sqrt(hd)
        res = np.zeros((n_q, n_heads, hd))
        rep = n_heads // n_kv
        for i in range(n_q):
            seen = prefix + own_first + i + 1
            for h in range(n_heads):
                s = (k[:seen, h // rep].astype(np.float64) @ q[i, h].astype(np.float64)) * scale
                p = np.exp(s - s.max())
                res[i, h] = (p / p.sum()) @ v[:seen, h // rep].astype(np.float64)
        cases.append({"n_heads": n_heads, "n_kv_heads": n_kv, "head_dim": hd, "prefix": prefix,
                      "own_first": own_first, "n_q": n_q, "q": f32(q), "k": f32(k), "v": f32(v),
                      "expected": f32(res)})
    out["attention"] = cases
    with open(OUT, "w") as f:
        json.dump(out, f)
    print(f"wrote {OUT} ({os.path.getsize(OUT):,} bytes)")


if __name__ == "__main__":
    main()
