#!/usr/bin/env python3
"""Training-free default heads (`h.*`) from the written descriptions in heads/descriptions.json.

Capability c: a direction v_c in the text tower's space (the mean embedding of its description and example
prompts, minus the mean over capabilities). A sample's similarity s_c = w_q * e_question . v_c + (1 - w_q) *
e_answer . v_c is standardised with the mean and spread of e . v_c over every capability's examples, surface
features add z-units, and the 6 logits of scores k = 0..5 are k * m(z) - k^2 / 2 with m(z) = 2.5 + 1.25 z: a
discretised Gaussian around m(z), so the expected score follows z smoothly. Everything is linear in the feature
vector, so the heads are ordinary `h.cap.weight/bias` tensors that `mmssr fit` can later replace.

Styles: bias + surface features (in logit units) + optionally the standardised similarity of the answer to the
style's description. The feature layout (heads.features) mirrors Sources/Scorer/Model/FeatureLayout.swift; the
surface names are read from Sources/Scorer/Model/SurfaceFeatures.swift so the two cannot drift apart.
"""
from __future__ import annotations

import json
import os
import re
import sys

import numpy as np

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
DESCRIPTIONS = os.path.join(ROOT, "heads", "descriptions.json")
SURFACE_SWIFT = os.path.join(ROOT, "Sources", "Scorer", "Model", "SurfaceFeatures.swift")
LEVELS = 6


def surface_names() -> list[str]:
    src = open(SURFACE_SWIFT, encoding="utf-8").read()
    block = re.search(r"static let names: \[String\] = \[(.*?)\]", src, re.S).group(1)
    return re.findall(r'"([^"]+)"', block)


def layout(text_dim: int, vision_dim: int) -> list[str]:
    blocks = [("text.question", text_dim), ("text.answer", text_dim), ("vision.cls", vision_dim),
              ("vision.patch_mean", vision_dim), ("vision.has_image", 1)]
    blocks += [(f"surface.{n}", 1) for n in surface_names()]
    return [f"{n}:{w}" for n, w in blocks]


def offsets(desc: list[str]) -> dict[str, tuple[int, int]]:
    out, at = {}, 0
    for entry in desc:
        name, width = entry.rsplit(":", 1)
        out[name] = (at, at + int(width))
        at += int(width)
    return out


def build(embed, text_dim: int, vision_dim: int, capability_keys: list[str], style_names: list[str]):
    """embed(list[str]) -> unit-norm embeddings [n, text_dim] (the fp32 text tower)."""
    spec = json.load(open(DESCRIPTIONS, encoding="utf-8"))
    desc = layout(text_dim, vision_dim)
    at = offsets(desc)
    width = at[desc[-1].rsplit(":", 1)[0]][1]
    wq = float(spec["question_weight"])

    caps = spec["capabilities"]
    missing = [k for k in capability_keys if k not in caps]
    if missing:
        sys.exit(f"heads.py: error: heads/descriptions.json lacks capabilities {missing}")
    examples = {k: [caps[k]["description"]] + caps[k]["examples"] for k in capability_keys}
    centroids = np.stack([embed(examples[k]).mean(0) for k in capability_keys])
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    directions = centroids - centroids.mean(0)
    calibration = embed([e for k in capability_keys for e in caps[k]["examples"]])
    sims = calibration @ directions.T
    mu, sigma = sims.mean(0), sims.std(0)

    cap_w = np.zeros((len(capability_keys) * LEVELS, width), np.float64)
    cap_b = np.zeros(len(capability_keys) * LEVELS, np.float64)
    for c, key in enumerate(capability_keys):
        z_w = np.zeros(width)
        q0, q1 = at["text.question"]
        a0, a1 = at["text.answer"]
        z_w[q0:q1] = wq * directions[c] / sigma[c]
        z_w[a0:a1] = (1 - wq) * directions[c] / sigma[c]
        for name, w in caps[key].get("surface", {}).items():
            z_w[at[f"surface.{name}"][0]] += w
        z_b = -mu[c] / sigma[c]
        for k in range(LEVELS):
            cap_w[c * LEVELS + k] = 1.25 * k * z_w
            cap_b[c * LEVELS + k] = 2.5 * k - k * k / 2 + 1.25 * k * z_b

    styles = spec["styles"]
    missing = [s for s in style_names if s not in styles]
    if missing:
        sys.exit(f"heads.py: error: heads/descriptions.json lacks styles {missing}")
    style_dirs = embed([styles[s]["description"] for s in style_names])
    style_dirs = style_dirs - style_dirs.mean(0)
    style_sims = calibration @ style_dirs.T
    s_mu, s_sigma = style_sims.mean(0), style_sims.std(0)
    style_w = np.zeros((len(style_names), width), np.float64)
    style_b = np.zeros(len(style_names), np.float64)
    for i, name in enumerate(style_names):
        s = styles[name]
        ew = float(s.get("embedding_weight", 0.0))
        a0, a1 = at["text.answer"]
        style_w[i, a0:a1] = ew * style_dirs[i] / s_sigma[i]
        style_b[i] = float(s["bias"]) - ew * s_mu[i] / s_sigma[i]
        for feature, w in s.get("surface", {}).items():
            style_w[i, at[f"surface.{feature}"][0]] += w

    tensors = {
        "h.cap.weight": cap_w.astype(np.float32), "h.cap.bias": cap_b.astype(np.float32),
        "h.style.weight": style_w.astype(np.float32), "h.style.bias": style_b.astype(np.float32),
    }
    metadata = {"heads.features": desc, "heads.kind": "default (training-free, heads/descriptions.json)"}
    return tensors, metadata
