#!/usr/bin/env python3
"""End-to-end check of weights/convert_mllm.py: the tiny official-layout scorer and styler of
tools/make_teacher_checkpoints.py converted int8 and f32, read back with the gguf package's reader and compared
with the checkpoint's bf16 values (read here from the safetensors bytes): names, shapes, values (f32 exact, int8 within scale/2), the
deleted last SigLIP layer and post_layernorm absent, metadata; custom keywords; a plain Qwen2 checkpoint (the
scorer without its vision tensors and mm_* keys) as a text-only teacher; one-line refusals of an unknown tower,
a wrong shape and a vision tower named but not stored.

    test_convert_mllm.py [--keep DIR]   (--keep: leave DIR/{scorer,styler} and DIR/{scorer,styler}-{int8,f32}.gguf,
                                         the files the Swift teacher tests read)
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import gguf
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
CONVERTER = os.path.join(HERE, "..", "weights", "convert_mllm.py")
MAKER = os.path.join(HERE, "make_teacher_checkpoints.py")
sys.path.insert(0, os.path.join(HERE, "..", "weights"))
from vocabulary import CAPABILITIES  # noqa: E402

VISION = "model.vision_tower.vision_tower.vision_model."
LM_NAMES = {"input_layernorm.weight": "attn_norm.weight", "post_attention_layernorm.weight": "ffn_norm.weight",
            "self_attn.q_proj.weight": "attn_q.weight", "self_attn.q_proj.bias": "attn_q.bias",
            "self_attn.k_proj.weight": "attn_k.weight", "self_attn.k_proj.bias": "attn_k.bias",
            "self_attn.v_proj.weight": "attn_v.weight", "self_attn.v_proj.bias": "attn_v.bias",
            "self_attn.o_proj.weight": "attn_output.weight", "mlp.gate_proj.weight": "ffn_gate.weight",
            "mlp.up_proj.weight": "ffn_up.weight", "mlp.down_proj.weight": "ffn_down.weight"}
VISION_NAMES = {"layer_norm1": "ln1", "layer_norm2": "ln2", "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k",
                "self_attn.v_proj": "attn_v", "self_attn.out_proj": "attn_out", "mlp.fc1": "ffn_up", "mlp.fc2": "ffn_down"}


def expected_name(hf, kept_layers):
    """The GGUF name a checkpoint tensor must have, or None when it must not be written."""
    fixed = {"model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight",
             "lm_head.weight": "output.weight", "model.image_newline": "mm.image_newline",
             VISION + "embeddings.patch_embedding.weight": "v.patch_embd.weight",
             VISION + "embeddings.patch_embedding.bias": "v.patch_embd.bias",
             VISION + "embeddings.position_embedding.weight": "v.position_embd.weight"}
    if hf in fixed:
        return fixed[hf]
    if hf.startswith("model.layers."):
        _, _, i, rest = hf.split(".", 3)
        return f"blk.{i}.{LM_NAMES[rest]}"
    if hf.startswith("model.mm_projector."):
        return "mm." + hf[len("model.mm_projector."):]
    if hf.startswith(VISION + "encoder.layers."):
        i, rest = hf[len(VISION + "encoder.layers."):].split(".", 1)
        module, kind = rest.rsplit(".", 1)
        return f"v.blk.{i}.{VISION_NAMES[module]}.{kind}" if int(i) < kept_layers else None
    assert hf.startswith(VISION + "post_layernorm."), hf
    return None


def checkpoint_values(ckpt):
    index = os.path.join(ckpt, "model.safetensors.index.json")
    files = sorted(set(json.load(open(index))["weight_map"].values())) if os.path.exists(index) else ["model.safetensors"]
    values = {}
    for name in files:
        with open(os.path.join(ckpt, name), "rb") as f:
            raw = f.read()
        n = int.from_bytes(raw[:8], "little")
        for key, e in json.loads(raw[8:8 + n]).items():
            if key == "__metadata__":
                continue
            assert e["dtype"] == "BF16", (key, e["dtype"])
            lo, hi = e["data_offsets"]
            bits = np.frombuffer(raw, dtype=np.uint16, count=(hi - lo) // 2, offset=8 + n + lo)
            values[key] = (bits.astype(np.uint32) << 16).view(np.float32).reshape(e["shape"])
    return values


def convert(ckpt, out, precision, *extra):
    t0 = time.time()
    res = subprocess.run([sys.executable, CONVERTER, ckpt, "-o", out, "--type", precision, *extra],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    print(res.stdout.strip(), f"in {time.time() - t0:.1f} s")


def check(path, precision, ckpt, role, keywords, vision=True):
    config = json.load(open(os.path.join(ckpt, "config.json")))
    values = checkpoint_values(ckpt)
    r = gguf.GGUFReader(path)
    f = r.fields
    tensors = {t.name: t for t in r.tensors}
    assert f["general.architecture"].contents() == "qwen2"
    assert f["qwen2.embedding_length"].contents() == config["hidden_size"]
    assert f["qwen2.block_count"].contents() == config["num_hidden_layers"]
    assert f["mmssr.precision"].contents() == precision
    assert f["mmssr.teacher.role"].contents() == role
    assert f["mmssr.teacher.capability_keys"].contents() == [k for k, _ in CAPABILITIES]
    assert f["mmssr.teacher.capability_keywords"].contents() == keywords
    assert f["mmssr.teacher.system_message"].contents() == "You are a helpful assistant."
    assert f["mmssr.teacher.vocabulary_size"].contents() == 151646
    assert f["mmssr.teacher.vocabulary_size"].types == [gguf.GGUFValueType.UINT32]
    assert abs(f["mmssr.teacher.repetition_penalty"].contents() - 1.05) < 1e-6
    assert f["mmssr.teacher.eos_token_ids"].contents() == [151645, 151643]
    assert f["mmssr.teacher.eos_token_ids"].types == [gguf.GGUFValueType.ARRAY, gguf.GGUFValueType.INT32]
    assert f["mmssr.teacher.image_newline"].contents() is vision
    assert f["mmssr.tokenizer.normalizer"].contents() == "nfc"
    tokens = f["tokenizer.ggml.tokens"].contents()
    assert len(tokens) == config["vocab_size"] and tokens[151644:151646] == ["<|im_start|>", "<|im_end|>"]
    assert f["tokenizer.ggml.eos_token_id"].contents() == 151645
    kept = 0
    if vision:
        vc = config["vision_config"]
        kept = vc["num_hidden_layers"] - 1
        want = {"siglip.image_size": vc["image_size"], "siglip.patch_size": vc["patch_size"],
                "siglip.embedding_length": vc["hidden_size"], "siglip.block_count": kept,
                "siglip.attention.head_count": vc["num_attention_heads"],
                "siglip.feed_forward_length": vc["intermediate_size"], "mm.projector_type": "mlp2x_gelu"}
        for key, value in want.items():
            assert f[key].contents() == value, (key, f[key].contents(), value)
        assert abs(f["siglip.attention.layer_norm_epsilon"].contents() - 1e-6) < 1e-12
        assert f["siglip.image_mean"].contents() == [0.5] * 3 and f["siglip.image_std"].contents() == [0.5] * 3
        assert not any(n.startswith(f"v.blk.{kept}.") for n in tensors), "the deleted layer was written"
    else:
        assert not any(k.startswith(("siglip.", "mm.")) for k in f) and not any(n.startswith(("v.", "mm.")) for n in tensors)
    written = 0
    for hf, want in values.items():
        name = expected_name(hf, kept)
        if name is None:
            continue
        t = tensors[name]
        got_shape = list(reversed([int(x) for x in t.shape]))
        if name == "v.patch_embd.weight":
            want = want.reshape(want.shape[0], -1)  # (c, y, x) flattened
        assert got_shape == list(want.shape), (name, got_shape, want.shape)
        data = np.asarray(t.data).reshape(want.shape)
        quantised = precision == "int8" and want.ndim == 2 and name not in ("token_embd.weight", "v.position_embd.weight")
        if quantised:
            assert t.tensor_type == gguf.GGMLQuantizationType.I8, name
            scale = np.asarray(tensors[name + ".scale"].data, dtype=np.float32)
            err = np.abs(data.astype(np.float32) * scale[:, None] - want)
            assert (err <= scale[:, None] / 2 * (1 + 1e-5)).all(), (name, float(err.max()))
            written += 1
        else:
            assert t.tensor_type == gguf.GGMLQuantizationType.F32, name
            assert np.array_equal(data, want), name
        written += 1
    assert written == len(tensors), (written, len(tensors), sorted(set(tensors) - {expected_name(h, kept) for h in values}))
    print(f"ok {os.path.basename(path)}: {len(tensors)} tensors")


def text_only_checkpoint(ckpt, out):
    """The scorer as a plain Qwen2 chat model: its language-model tensors (bytes copied), mm_* keys dropped."""
    shutil.copytree(ckpt, out, ignore=shutil.ignore_patterns("*.safetensors*", "config.json"))
    config = {k: v for k, v in json.load(open(os.path.join(ckpt, "config.json"))).items()
              if not k.startswith(("mm_", "image_", "vision_"))}
    config.update(architectures=["Qwen2ForCausalLM"], model_type="qwen2")
    json.dump(config, open(os.path.join(out, "config.json"), "w"))
    weight_map = json.load(open(os.path.join(ckpt, "model.safetensors.index.json")))["weight_map"]
    header, blobs, offset = {}, [], 0
    for file in sorted(set(weight_map.values())):
        with open(os.path.join(ckpt, file), "rb") as f:
            raw = f.read()
        n = int.from_bytes(raw[:8], "little")
        for name, e in json.loads(raw[8:8 + n]).items():
            if name == "__metadata__" or name.startswith(("model.vision_tower.", "model.mm_projector.", "model.image_newline")):
                continue
            lo, hi = e["data_offsets"]
            blobs.append(raw[8 + n + lo: 8 + n + hi])
            header[name] = {"dtype": e["dtype"], "shape": e["shape"], "data_offsets": [offset, offset + hi - lo]}
            offset += hi - lo
    blob = json.dumps(header).encode()
    blob += b" " * (-len(blob) % 8)
    with open(os.path.join(out, "model.safetensors"), "wb") as f:
        f.write(len(blob).to_bytes(8, "little") + blob + b"".join(blobs))


def refused(ckpt, d, edit, expect):
    bad = os.path.join(d, "bad")
    shutil.rmtree(bad, ignore_errors=True)
    shutil.copytree(ckpt, bad, symlinks=True)
    config = json.load(open(os.path.join(bad, "config.json")))
    edit(config)
    json.dump(config, open(os.path.join(bad, "config.json"), "w"))
    res = subprocess.run([sys.executable, CONVERTER, bad, "-o", os.path.join(d, "bad.gguf")], capture_output=True, text=True)
    assert res.returncode != 0 and res.stderr.count("\n") == 1 and expect in res.stderr, res.stderr
    print("refused:", res.stderr.strip())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keep")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        d = args.keep or tmp
        os.makedirs(d, exist_ok=True)
        t0 = time.time()
        subprocess.run([sys.executable, MAKER, d], check=True)
        print(f"checkpoints in {time.time() - t0:.1f} s")
        names = [n for _, n in CAPABILITIES]
        for role in ["scorer", "styler"]:
            ckpt = os.path.join(d, role)
            for precision in ["int8", "f32"]:
                out = os.path.join(d, f"{role}-{precision}.gguf")
                convert(ckpt, out, precision)
                check(out, precision, ckpt, role, names)
        scorer = os.path.join(d, "scorer")
        custom = [f"keyword {i}" for i in range(14)]
        out = os.path.join(tmp, "custom.gguf")
        convert(scorer, out, "f32", "--role", "styler", "--keywords", ",".join(custom))
        check(out, "f32", scorer, "styler", custom)
        plain = os.path.join(tmp, "plain-qwen2")
        text_only_checkpoint(scorer, plain)
        out = os.path.join(tmp, "text-only.gguf")
        convert(plain, out, "int8")
        check(out, "int8", plain, "scorer", names, vision=False)
        refused(scorer, tmp, lambda c: (c.pop("vision_config"), c.update(mm_vision_tower="openai/clip-vit-large-patch14-336")),
                "clip-vit-large-patch14-336 is not supported")
        refused(scorer, tmp, lambda c: c["vision_config"].update(intermediate_size=65), "expected [65, 32]")
        refused(plain, tmp, lambda c: c.update(mm_vision_tower="google/siglip-so400m-patch14-384"), "holds no")
    print("convert_mllm ok")


if __name__ == "__main__":
    main()
