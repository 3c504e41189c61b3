#!/usr/bin/env python3
"""Convert a Hugging Face Qwen2 checkpoint directory into mmssr's language-model GGUF (docs: LM-FORMAT).

    convert_qwen2.py HF_DIR -o FILE.gguf [--type int8|f32]

Streams: tensors are memory-mapped from the safetensors shards one at a time, converted, written and
freed, so peak memory stays near one fp32 matrix however large the checkpoint. int8: each matrix as I8
plus F32 NAME.weight.scale per output channel (symmetric, scale = max|row| / 127, q = round-half-even(w /
scale)); norms, biases and the embedding F32. Prints the peak RSS at the end.
"""
import argparse
import json
import mmap
import os
import resource
import sys

import gguf
import numpy as np

DTYPES = {"BF16": np.uint16, "F16": np.float16, "F32": np.float32}


class ConvertError(Exception):
    pass


class Shards:
    """The checkpoint's tensors by name, each read on demand from its memory-mapped shard."""

    def __init__(self, hf_dir):
        index = os.path.join(hf_dir, "model.safetensors.index.json")
        if os.path.exists(index):
            with open(index) as f:
                files = sorted(set(json.load(f)["weight_map"].values()))
        elif os.path.exists(os.path.join(hf_dir, "model.safetensors")):
            files = ["model.safetensors"]
        else:
            raise ConvertError(f"{hf_dir}: no model.safetensors or model.safetensors.index.json")
        self.entries = {}
        for name in files:
            path = os.path.join(hf_dir, name)
            with open(path, "rb") as f:
                mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            n = int.from_bytes(mm[:8], "little")
            header = json.loads(mm[8:8 + n])
            for key, e in header.items():
                if key != "__metadata__":
                    self.entries[key] = (mm, 8 + n, e, path)

    def check(self, name, shape):
        """The entry of a tensor that must exist with this shape and a float dtype (no data read)."""
        if name not in self.entries:
            raise ConvertError(f"tensor {name} is missing from the checkpoint")
        mm, base, e, path = self.entries[name]
        if list(e["shape"]) != list(shape):
            raise ConvertError(f"tensor {name} has shape {e['shape']}, expected {list(shape)} ({path})")
        if e["dtype"] not in DTYPES:
            raise ConvertError(f"tensor {name} has dtype {e['dtype']}, expected BF16, F16 or F32 ({path})")
        return self.entries[name]

    def get(self, name, shape):
        mm, base, e, path = self.check(name, shape)
        lo, hi = e["data_offsets"]
        raw = np.frombuffer(mm, dtype=DTYPES[e["dtype"]], count=(hi - lo) // np.dtype(DTYPES[e["dtype"]]).itemsize,
                            offset=base + lo)
        if e["dtype"] == "BF16":
            wide = raw.astype(np.uint32)
            wide <<= 16  # in place: one fp32-sized buffer, not two
            values = wide.view(np.float32)
        else:
            values = raw.astype(np.float32)
        return values.reshape(shape)

    def release(self, name):
        """Drops the shard pages of a tensor already converted (they would otherwise count as resident)."""
        mm, base, e, _ = self.entries[name]
        lo, hi = e["data_offsets"]
        start = (base + lo) // mmap.PAGESIZE * mmap.PAGESIZE
        if hasattr(mm, "madvise") and base + hi > start:
            mm.madvise(mmap.MADV_DONTNEED, start, base + hi - start)


def quantize_rows(w):
    """Symmetric per-row int8: scale = max|row| / 127, q = round-half-even(w / scale)."""
    scale = np.abs(w).max(axis=1) / np.float32(127)
    safe = np.where(scale == 0, np.float32(1), scale).astype(np.float32)
    q = np.clip(np.rint(w / safe[:, None]), -127, 127).astype(np.int8)
    return q, scale.astype(np.float32)


def config_value(config, key):
    if key not in config:
        raise ConvertError(f"config.json has no {key}")
    return config[key]


def tensor_plan(config):
    """(gguf name, hf name, shape, is_matrix) in file order."""
    hidden = config_value(config, "hidden_size")
    layers = config_value(config, "num_hidden_layers")
    ffn = config_value(config, "intermediate_size")
    heads = config_value(config, "num_attention_heads")
    kv_heads = config.get("num_key_value_heads", heads)
    vocab = config_value(config, "vocab_size")
    head_dim = hidden // heads
    kv = kv_heads * head_dim
    plan = [("token_embd.weight", "model.embed_tokens.weight", [vocab, hidden], False)]
    for i in range(layers):
        p, h = f"blk.{i}.", f"model.layers.{i}."
        plan += [
            (p + "attn_norm.weight", h + "input_layernorm.weight", [hidden], False),
            (p + "attn_q.weight", h + "self_attn.q_proj.weight", [hidden, hidden], True),
            (p + "attn_q.bias", h + "self_attn.q_proj.bias", [hidden], False),
            (p + "attn_k.weight", h + "self_attn.k_proj.weight", [kv, hidden], True),
            (p + "attn_k.bias", h + "self_attn.k_proj.bias", [kv], False),
            (p + "attn_v.weight", h + "self_attn.v_proj.weight", [kv, hidden], True),
            (p + "attn_v.bias", h + "self_attn.v_proj.bias", [kv], False),
            (p + "attn_output.weight", h + "self_attn.o_proj.weight", [hidden, hidden], True),
            (p + "ffn_norm.weight", h + "post_attention_layernorm.weight", [hidden], False),
            (p + "ffn_gate.weight", h + "mlp.gate_proj.weight", [ffn, hidden], True),
            (p + "ffn_up.weight", h + "mlp.up_proj.weight", [ffn, hidden], True),
            (p + "ffn_down.weight", h + "mlp.down_proj.weight", [hidden, ffn], True),
        ]
    plan.append(("output_norm.weight", "model.norm.weight", [hidden], False))
    if not config.get("tie_word_embeddings", False):
        plan.append(("output.weight", "lm_head.weight", [vocab, hidden], True))
    return plan


def add_metadata(w, hf_dir, config, precision):
    arch = config.get("architectures", ["?"])[0]
    if arch != "Qwen2ForCausalLM" and config.get("model_type") != "qwen2":
        raise ConvertError(f"{hf_dir}: architecture {arch} is not Qwen2ForCausalLM")
    w.add_context_length(config_value(config, "max_position_embeddings"))
    w.add_embedding_length(config_value(config, "hidden_size"))
    w.add_block_count(config_value(config, "num_hidden_layers"))
    w.add_feed_forward_length(config_value(config, "intermediate_size"))
    w.add_head_count(config_value(config, "num_attention_heads"))
    w.add_head_count_kv(config.get("num_key_value_heads", config["num_attention_heads"]))
    w.add_rope_freq_base(float(config.get("rope_theta", 10000.0)))
    w.add_layer_norm_rms_eps(float(config_value(config, "rms_norm_eps")))
    w.add_string("mmssr.precision", precision)

    path = os.path.join(hf_dir, "tokenizer.json")
    if not os.path.exists(path):
        raise ConvertError(f"{hf_dir}: no tokenizer.json")
    with open(path, encoding="utf-8") as f:
        tok = json.load(f)
    model = tok.get("model", {})
    if model.get("type") != "BPE" or "vocab" not in model or "merges" not in model:
        raise ConvertError(f"{path}: not a byte-level BPE tokenizer with vocab and merges")
    vocab = dict(model["vocab"])
    special = set()
    for t in tok.get("added_tokens", []):
        vocab[t["content"]] = t["id"]
        if t.get("special"):
            special.add(t["id"])
    size = max(config_value(config, "vocab_size"), max(vocab.values()) + 1)
    tokens = [f"[PAD{i}]" for i in range(size)]
    types = [gguf.TokenType.UNUSED] * size
    for text, i in vocab.items():
        tokens[i] = text
        types[i] = gguf.TokenType.NORMAL
    added = {t["id"] for t in tok.get("added_tokens", [])}
    for i in added:
        types[i] = gguf.TokenType.CONTROL if i in special else gguf.TokenType.USER_DEFINED
    merges = [m if isinstance(m, str) else " ".join(m) for m in model["merges"]]
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("qwen2")
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    norm = tok.get("normalizer") or {}
    if norm.get("type") == "NFC" or any(n.get("type") == "NFC" for n in norm.get("normalizers", [])):
        w.add_string("mmssr.tokenizer.normalizer", "nfc")

    tc_path = os.path.join(hf_dir, "tokenizer_config.json")
    tc = json.load(open(tc_path, encoding="utf-8")) if os.path.exists(tc_path) else {}

    def token_id(value):
        if isinstance(value, dict):
            value = value.get("content")
        return vocab.get(value) if isinstance(value, str) else None

    eos = token_id(tc.get("eos_token"))
    pad = token_id(tc.get("pad_token"))
    bos = token_id(tc.get("bos_token"))
    if eos is None:
        eos = config.get("eos_token_id")
    if isinstance(eos, int):
        w.add_eos_token_id(eos)
    if pad is not None:
        w.add_pad_token_id(pad)
    if bos is not None:
        w.add_bos_token_id(bos)
    if isinstance(tc.get("chat_template"), str):
        w.add_chat_template(tc["chat_template"])

    gen_path = os.path.join(hf_dir, "generation_config.json")
    if os.path.exists(gen_path):
        gen = json.load(open(gen_path, encoding="utf-8"))
        for key, value in gen.items():
            k = "mmssr.generation." + key
            if isinstance(value, bool):
                w.add_bool(k, value)
            elif isinstance(value, int):
                w.add_int32(k, value)
            elif isinstance(value, float):
                w.add_float32(k, value)
            elif isinstance(value, list) and value and all(isinstance(v, int) for v in value):
                w.add_array(k, value)


def convert(hf_dir, out, precision):
    cfg_path = os.path.join(hf_dir, "config.json")
    if not os.path.exists(cfg_path):
        raise ConvertError(f"{hf_dir}: no config.json")
    with open(cfg_path) as f:
        config = json.load(f)
    shards = Shards(hf_dir)
    plan = tensor_plan(config)
    w = gguf.GGUFWriter(out, arch="qwen2")
    add_metadata(w, hf_dir, config, precision)
    # Tensor infos first (shapes and types are known without reading data), then the data, one at a time.
    for name, hf_name, shape, matrix in plan:
        shards.check(hf_name, shape)
        n = int(np.prod(shape))
        if matrix and precision == "int8":
            w.add_tensor_info(name, shape, np.dtype(np.int8), n, raw_dtype=gguf.GGMLQuantizationType.I8)
            w.add_tensor_info(name + ".scale", [shape[0]], np.dtype(np.float32), 4 * shape[0])
        else:
            w.add_tensor_info(name, shape, np.dtype(np.float32), 4 * n)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_ti_data_to_file()
    for name, hf_name, shape, matrix in plan:
        values = shards.get(hf_name, shape)
        if matrix and precision == "int8":
            q, scale = quantize_rows(values)
            del values
            w.write_tensor_data(q)
            w.write_tensor_data(scale)
            del q
        else:
            w.write_tensor_data(np.ascontiguousarray(values, dtype=np.float32))
            del values
        shards.release(hf_name)
    w.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("hf_dir")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--type", choices=["int8", "f32"], default="int8")
    args = ap.parse_args()
    try:
        convert(args.hf_dir, args.output, args.type)
    except (ConvertError, OSError, ValueError, KeyError) as e:
        print(f"convert_qwen2: {e}", file=sys.stderr)
        sys.exit(1)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"wrote {args.output} ({args.type}); peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
