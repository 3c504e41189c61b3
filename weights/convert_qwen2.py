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
from typing import NamedTuple

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


class Entry(NamedTuple):
    """One tensor to write: its GGUF name, its checkpoint name and shape, whether it is a matrix (int8 in an int8
    file) and the shape it is stored with when that differs (a convolution kernel written as a matrix)."""
    name: str
    hf_name: str
    shape: list
    matrix: bool
    stored_shape: list = None

    @property
    def out_shape(self):
        return self.stored_shape or self.shape


def config_value(config, key):
    if key not in config:
        raise ConvertError(f"config.json has no {key}")
    return config[key]


def tensor_plan(config):
    """The language model's entries in file order."""
    hidden = config_value(config, "hidden_size")
    layers = config_value(config, "num_hidden_layers")
    ffn = config_value(config, "intermediate_size")
    heads = config_value(config, "num_attention_heads")
    kv_heads = config.get("num_key_value_heads", heads)
    vocab = config_value(config, "vocab_size")
    head_dim = hidden // heads
    kv = kv_heads * head_dim
    plan = [Entry("token_embd.weight", "model.embed_tokens.weight", [vocab, hidden], False)]
    for i in range(layers):
        p, h = f"blk.{i}.", f"model.layers.{i}."
        plan += [Entry(*e) for e in [
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
        ]]
    plan.append(Entry("output_norm.weight", "model.norm.weight", [hidden], False))
    if not config.get("tie_word_embeddings", False):
        plan.append(Entry("output.weight", "lm_head.weight", [vocab, hidden], True))
    return plan


class Tokenizer(NamedTuple):
    """A byte-level BPE tokenizer as the checkpoint ships it."""
    vocab: dict  # text -> id, added tokens included: len(vocab) is transformers' len(tokenizer)
    added: list  # (id, text, special)
    merges: list  # "left right"
    nfc: bool
    config: dict  # tokenizer_config.json, {} when absent

    def token_id(self, value):
        if isinstance(value, dict):
            value = value.get("content")
        return self.vocab.get(value) if isinstance(value, str) else None


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def read_tokenizer(hf_dir):
    """tokenizer.json when present, else the slow files (vocab.json, merges.txt, added tokens from
    tokenizer_config.json's added_tokens_decoder and added_tokens.json) that LLaVA checkpoints often ship alone.
    Qwen2's slow tokenizer NFC-normalises like the fast one."""
    tc_path = os.path.join(hf_dir, "tokenizer_config.json")
    tc = read_json(tc_path) if os.path.exists(tc_path) else {}
    path = os.path.join(hf_dir, "tokenizer.json")
    if os.path.exists(path):
        tok = read_json(path)
        model = tok.get("model", {})
        if model.get("type") != "BPE" or "vocab" not in model or "merges" not in model:
            raise ConvertError(f"{path}: not a byte-level BPE tokenizer with vocab and merges")
        vocab = dict(model["vocab"])
        added = [(t["id"], t["content"], bool(t.get("special"))) for t in tok.get("added_tokens", [])]
        merges = [m if isinstance(m, str) else " ".join(m) for m in model["merges"]]
        norm = tok.get("normalizer") or {}
        nfc = norm.get("type") == "NFC" or any(n.get("type") == "NFC" for n in norm.get("normalizers", []))
    else:
        vocab_path, merges_path = os.path.join(hf_dir, "vocab.json"), os.path.join(hf_dir, "merges.txt")
        if not (os.path.exists(vocab_path) and os.path.exists(merges_path)):
            raise ConvertError(f"{hf_dir}: no tokenizer.json, nor vocab.json and merges.txt")
        vocab = read_json(vocab_path)
        with open(merges_path, encoding="utf-8") as f:
            merges = [line.rstrip("\n") for line in f if line.strip() and not line.startswith("#version")]
        decoder = {int(i): t for i, t in tc.get("added_tokens_decoder", {}).items()}
        added = [(i, t["content"], bool(t.get("special"))) for i, t in sorted(decoder.items())]
        extra_path = os.path.join(hf_dir, "added_tokens.json")
        if os.path.exists(extra_path):
            known = {i for i, _, _ in added}
            added += [(i, text, True) for text, i in sorted(read_json(extra_path).items(), key=lambda kv: kv[1])
                      if i not in known]
        nfc = True
    for i, text, _ in added:
        vocab[text] = i
    return Tokenizer(vocab, added, merges, nfc, tc)


def read_config(hf_dir):
    path = os.path.join(hf_dir, "config.json")
    if not os.path.exists(path):
        raise ConvertError(f"{hf_dir}: no config.json")
    return read_json(path)


def read_generation_config(hf_dir):
    path = os.path.join(hf_dir, "generation_config.json")
    return read_json(path) if os.path.exists(path) else {}


def check_qwen2(hf_dir, config):
    arch = config.get("architectures", ["?"])[0]
    if arch != "Qwen2ForCausalLM" and config.get("model_type") != "qwen2":
        raise ConvertError(f"{hf_dir}: architecture {arch} is not Qwen2ForCausalLM")


def add_metadata(w, hf_dir, config, precision, tok):
    """The language model's llama.cpp `qwen2` metadata, the tokenizer and generation_config.json."""
    w.add_context_length(config_value(config, "max_position_embeddings"))
    w.add_embedding_length(config_value(config, "hidden_size"))
    w.add_block_count(config_value(config, "num_hidden_layers"))
    w.add_feed_forward_length(config_value(config, "intermediate_size"))
    w.add_head_count(config_value(config, "num_attention_heads"))
    w.add_head_count_kv(config.get("num_key_value_heads", config["num_attention_heads"]))
    w.add_rope_freq_base(float(config.get("rope_theta", 10000.0)))
    w.add_layer_norm_rms_eps(float(config_value(config, "rms_norm_eps")))
    w.add_string("mmssr.precision", precision)

    size = max(config_value(config, "vocab_size"), max(tok.vocab.values()) + 1)
    tokens = [f"[PAD{i}]" for i in range(size)]
    types = [gguf.TokenType.UNUSED] * size
    for text, i in tok.vocab.items():
        tokens[i] = text
        types[i] = gguf.TokenType.NORMAL
    for i, _, special in tok.added:
        types[i] = gguf.TokenType.CONTROL if special else gguf.TokenType.USER_DEFINED
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("qwen2")
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(tok.merges)
    if tok.nfc:
        w.add_string("mmssr.tokenizer.normalizer", "nfc")

    tc = tok.config
    eos = tok.token_id(tc.get("eos_token"))
    pad = tok.token_id(tc.get("pad_token"))
    bos = tok.token_id(tc.get("bos_token"))
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

    for key, value in read_generation_config(hf_dir).items():
        k = "mmssr.generation." + key
        if isinstance(value, bool):
            w.add_bool(k, value)
        elif isinstance(value, int):
            w.add_int32(k, value)
        elif isinstance(value, float):
            w.add_float32(k, value)
        elif isinstance(value, list) and value and all(isinstance(v, int) for v in value):
            w.add_array(k, value)


def write_tensors(w, shards, plan, precision):
    """Every entry's info (shapes and types are known without reading data), the header and metadata, then the
    data one tensor at a time, each freed before the next is read. Call after all metadata is added."""
    for e in plan:
        shards.check(e.hf_name, e.shape)
        n = int(np.prod(e.shape))
        if e.matrix and precision == "int8":
            w.add_tensor_info(e.name, e.out_shape, np.dtype(np.int8), n, raw_dtype=gguf.GGMLQuantizationType.I8)
            w.add_tensor_info(e.name + ".scale", [e.out_shape[0]], np.dtype(np.float32), 4 * e.out_shape[0])
        else:
            w.add_tensor_info(e.name, e.out_shape, np.dtype(np.float32), 4 * n)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_ti_data_to_file()
    for e in plan:
        values = shards.get(e.hf_name, e.shape).reshape(e.out_shape)
        if e.matrix and precision == "int8":
            q, scale = quantize_rows(values)
            del values
            w.write_tensor_data(q)
            w.write_tensor_data(scale)
            del q
        else:
            w.write_tensor_data(np.ascontiguousarray(values, dtype=np.float32))
            del values
        shards.release(e.hf_name)
    w.close()


def convert(hf_dir, out, precision):
    config = read_config(hf_dir)
    check_qwen2(hf_dir, config)
    tok = read_tokenizer(hf_dir)
    shards = Shards(hf_dir)
    w = gguf.GGUFWriter(out, arch="qwen2")
    add_metadata(w, hf_dir, config, precision, tok)
    write_tensors(w, shards, tensor_plan(config), precision)


def peak_rss_mib():
    """This process's peak resident set (VmHWM: unlike ru_maxrss it does not count a parent's pages before exec)."""
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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
    peak = peak_rss_mib()
    print(f"wrote {args.output} ({args.type}); peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
