#!/usr/bin/env python3
"""Simulate the engine's int8 linear layers in numpy and measure what they cost against fp32.

    python3 tools/simulate_int8.py             # the converted files: weights/mmssr-small{,-f32}.gguf
    python3 tools/simulate_int8.py --sweep     # SmoothQuant alpha per tower / layer kind (in memory, no files)

Runtime scheme simulated (docs/model-file.md, Sources/CBLAS/qgemm_*): for each transformer linear layer
(attn.q/k/v/out, mlp.fc1/fc2) the input row x is divided by `PREFIX.weight.smooth` when present (x' = x / s),
quantised per token (row) symmetric int8: inv = 127 / max|x'_row| (fp32), q = clamp(rint(x' * inv), -127, 127),
multiplied by the I8 weights (exact integer accumulation) and rescaled by (max|x'_row| / 127) * weight.scale[o],
plus the fp32 bias. Everything else (patch embedding, LayerNorm, attention, GELU) is fp32.

Evaluation data (never used for calibration, see weights/convert.py CALIB_*):
  text   : the 13 texts of Tests/ScorerTests/Fixtures/minilm_reference.json (ids and fp32 embeddings from there)
  vision : the skimage.data photographs EVAL_PHOTOS, preprocessed like the engine (PIL RGB, bicubic 224 x 224,
           /255, ImageNet mean/std); fp32 reference = numpy forward of the f32 GGUF; metric = CLS cosine.
Rows reported: weight-only int8 (fp32 activations), W8A8 without smoothing (the f32 weights quantised per row,
i.e. the file as it was before SmoothQuant) and W8A8 as stored in the int8 GGUF.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")  # small GEMMs: one thread is fastest on a shared machine

import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "weights"))
import convert  # noqa: E402  (weights/convert.py: forwards, calibration, quantisation)

GGUF_F32 = os.path.join(ROOT, "weights", "mmssr-small-f32.gguf")
GGUF_I8 = os.path.join(ROOT, "weights", "mmssr-small.gguf")
MINILM_REF = os.path.join(ROOT, "Tests", "ScorerTests", "Fixtures", "minilm_reference.json")
EVAL_PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "camera", "coins", "horse", "hubble_deep_field",
               "immunohistochemistry", "stereo_motorcycle")
assert not set(EVAL_PHOTOS) & set(convert.CALIB_PHOTOS)


def load_gguf(path: str) -> dict[str, np.ndarray]:
    import gguf

    return {t.name: np.array(t.data).reshape([int(x) for x in t.shape][::-1]) for t in gguf.GGUFReader(path).tensors}


def linear_prefixes(T: dict[str, np.ndarray]) -> list[str]:
    return [p for _, _, ps in convert.smooth_groups(T) for p in ps]


# --------------------------------------------------------------------------------------------- linears

def int8_layers_from_file(T8: dict[str, np.ndarray], prefixes: list[str]) -> dict:
    return {p: (T8[p + ".weight"], T8[p + ".weight.scale"], T8.get(p + ".weight.smooth"), T8[p + ".bias"])
            for p in prefixes}


def int8_layers_from_f32(T: dict[str, np.ndarray], prefixes: list[str], smooth: dict[str, np.ndarray]) -> dict:
    """What weights/convert.py writes, built in memory."""
    out = {}
    for p in prefixes:
        s = smooth.get(p)
        w = T[p + ".weight"]
        q, scale = convert.quantise_rows(w if s is None else w * s[None, :])
        out[p] = (q, scale, s, T[p + ".bias"])
    return out


def w8a8_linear(layers: dict):
    prep = {p: (q.astype(np.float64).T.copy(), sc, s, b) for p, (q, sc, s, b) in layers.items()}

    def lin(h: np.ndarray, p: str) -> np.ndarray:
        qT, wscale, s, b = prep[p]
        x = h.astype(np.float32) if s is None else (h / s).astype(np.float32)
        amax = np.abs(x).max(axis=1)
        ok = (amax > 0) & np.isfinite(amax)
        inv = np.where(ok, np.float32(127.0) / np.where(ok, amax, 1), 0).astype(np.float32)
        ascale = np.where(ok, amax / np.float32(127.0), 0).astype(np.float32)
        xq = np.clip(np.rint(x * inv[:, None]), -127, 127)
        acc = (xq.astype(np.float64) @ qT).astype(np.float32)  # exact integers (|acc| < 2^24 * 2 here)
        return acc * ascale[:, None] * wscale[None, :] + b

    return lin


def weight_only_linear(layers: dict):
    prep = {p: ((q.astype(np.float32) * sc[:, None] / (1 if s is None else s[None, :])).T.copy(), b)
            for p, (q, sc, s, b) in layers.items()}
    return lambda h, p: h @ prep[p][0] + prep[p][1]


# ------------------------------------------------------------------------------------------ evaluation

class Data:
    def __init__(self, T: dict[str, np.ndarray], calib: bool, towers=("t", "v")):
        ref = json.load(open(MINILM_REF))
        self.text_ids = [it["ids"] for it in ref["items"]]
        self.text_ref = [np.array(it["embedding"], np.float32) for it in ref["items"]]
        self.text_names = [it["kind"] for it in ref["items"]]
        self.images = [(n, convert.preprocess_image(convert.skimage_photo(n))) for n in EVAL_PHOTOS]
        f32 = convert.fp32_linear(T)
        self.vis_ref = [convert.vit_forward(T, x, f32)[0] for _, x in self.images] if "v" in towers else []
        d = max(float(np.abs(convert.bert_forward(T, ids, f32) - e).max()) for ids, e in zip(self.text_ids, self.text_ref))
        assert d < 1e-4, f"numpy text forward does not reproduce the fixture ({d})"
        if calib:
            self.c_ids = convert.tokenize(convert.calibration_texts(), 256)
            self.c_text_ref = [convert.bert_forward(T, ids, f32) for ids in self.c_ids]
            self.c_images = convert.calibration_images()
            self.c_vis_ref = [convert.vit_forward(T, x, f32)[0] for _, x in self.c_images] if "v" in towers else []


def cos(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.astype(np.float64), b.astype(np.float64)
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def eval_text(T, lin, ids_list, refs) -> list[float]:
    return [cos(convert.bert_forward(T, ids, lin), e) for ids, e in zip(ids_list, refs)]


def eval_vision(T, lin, images, refs) -> list[float]:
    return [cos(convert.vit_forward(T, x, lin)[0], r) for (_, x), r in zip(images, refs)]


def fmt(c: list[float]) -> str:
    return f"min {min(c):.5f}  mean {float(np.mean(c)):.5f}"


# ------------------------------------------------------------------------------------------------ modes

def report_files(T: dict[str, np.ndarray], D: Data, per_item: bool) -> None:
    T8 = load_gguf(GGUF_I8)
    prefixes = linear_prefixes(T)
    n_smooth = sum(p + ".weight.smooth" in T8 for p in prefixes)
    rows = [
        ("weight-only int8", weight_only_linear(int8_layers_from_file(T8, prefixes))),
        ("W8A8, no smoothing", w8a8_linear(int8_layers_from_f32(T, prefixes, {}))),
        (f"W8A8, GGUF ({n_smooth}/{len(prefixes)} smoothed)", w8a8_linear(int8_layers_from_file(T8, prefixes))),
    ]
    print(f"text: {len(D.text_ids)} texts of {os.path.relpath(MINILM_REF, ROOT)}; vision: CLS of {len(D.images)} "
          f"skimage photos ({', '.join(EVAL_PHOTOS)})")
    print(f"{'':40s} {'MiniLM embedding cosine':30s} {'DINOv2 CLS cosine':30s}")
    for name, lin in rows:
        t0 = time.time()
        ct = eval_text(T, lin, D.text_ids, D.text_ref)
        cv = eval_vision(T, lin, D.images, D.vis_ref)
        print(f"{name:40s} {fmt(ct):30s} {fmt(cv):30s} ({time.time() - t0:.0f} s)", flush=True)
        if per_item:
            print("   text  : " + " ".join(f"{k}={c:.5f}" for k, c in zip(D.text_names, ct)))
            print("   vision: " + " ".join(f"{n}={c:.5f}" for (n, _), c in zip(D.images, cv)))


def sweep(T: dict[str, np.ndarray], D: Data, towers: list[str], alphas: list[float]) -> None:
    t0 = time.time()
    amax = convert.calibration_stats(T, {"depth": 12, "heads": 6, "layer_norm_eps": 1e-6},
                                     {"heads": 12, "layer_norm_eps": 1e-12, "max_tokens": 256})
    print(f"calibration stats: {time.time() - t0:.1f} s", flush=True)
    prefixes = linear_prefixes(T)
    kinds = ("qkv", "out", "fc1", "fc2")

    def run(tower: str, table: dict, pow2: bool = True) -> tuple[list[float], list[float]]:
        smooth = convert.smoothing_factors(T, amax, table, pow2=pow2)
        lin = w8a8_linear(int8_layers_from_f32(T, [p for p in prefixes if p.startswith(tower + ".")], smooth))
        if tower == "t":
            return (eval_text(T, lin, D.c_ids, D.c_text_ref), eval_text(T, lin, D.text_ids, D.text_ref))
        return (eval_vision(T, lin, D.c_images, D.c_vis_ref), eval_vision(T, lin, D.images, D.vis_ref))

    def show(tower, label, res):
        c, e = res
        print(f"  {tower} {label:34s} calib {fmt(c)} | eval {fmt(e)}", flush=True)

    for tower in towers:
        none = {k: None for k in kinds}
        print(f"tower {tower}: calibration-set and evaluation-set cosines")
        show(tower, "no smoothing", run(tower, {tower: none}))
        for a in alphas:  # one alpha everywhere
            show(tower, f"all alpha={a}", run(tower, {tower: {k: a for k in kinds}}))
        for a in alphas:  # one alpha everywhere, s not rounded to a power of two
            show(tower, f"all alpha={a} (no pow2)", run(tower, {tower: {k: a for k in kinds}}, pow2=False))
        for k in kinds:  # one kind at a time
            for a in alphas:
                show(tower, f"only {k} alpha={a}", run(tower, {tower: {**none, k: a}}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sweep", action="store_true", help="alpha sweep in memory (calibration + evaluation sets)")
    ap.add_argument("--towers", default="t,v", help="towers for --sweep (t, v)")
    ap.add_argument("--alphas", default="0.3,0.4,0.5,0.6,0.7,0.8")
    ap.add_argument("--per-item", action="store_true", help="print every text's and image's cosine")
    args = ap.parse_args()
    t0 = time.time()
    T = load_gguf(GGUF_F32)
    D = Data(T, calib=args.sweep, towers=args.towers.split(",") if args.sweep else ("t", "v"))
    print(f"fp32 references: {time.time() - t0:.1f} s", flush=True)
    if args.sweep:
        sweep(T, D, args.towers.split(","), [float(a) for a in args.alphas.split(",")])
    else:
        report_files(T, D, args.per_item)


if __name__ == "__main__":
    main()
