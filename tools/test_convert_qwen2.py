#!/usr/bin/env python3
"""End-to-end check of weights/convert_qwen2.py: a tiny random Qwen2 Hugging Face checkpoint (2 layers,
hidden 64, 4 heads / 2 KV heads, bf16 in two shards with an index; tokenizer files rebuilt from the
Qwen2.5-Coder-0.5B GGUF's tokenizer, so it is real Qwen2 BPE), converted int8 and f32, read back with the
gguf package's reader: names, shapes, values (f32 exact, int8 within scale/2) and metadata.

    test_convert_qwen2.py QWEN_GGUF [--big]   (--big: hidden 2048, 4 layers, ~0.5 GB bf16, for speed/RSS)
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import gguf
import numpy as np

import bf16_safetensors

here = os.path.dirname(os.path.abspath(__file__))
converter = os.path.join(here, "..", "weights", "convert_qwen2.py")


def tokenizer_files(qwen_gguf, out):
    r = gguf.GGUFReader(qwen_gguf)
    f = r.fields
    tokens = f["tokenizer.ggml.tokens"].contents()
    types = f["tokenizer.ggml.token_type"].contents()
    merges = f["tokenizer.ggml.merges"].contents()
    vocab = {t: i for i, (t, ty) in enumerate(zip(tokens, types)) if ty == gguf.TokenType.NORMAL}
    added = [{"id": i, "content": t, "special": ty == gguf.TokenType.CONTROL, "single_word": False, "lstrip": False,
              "rstrip": False, "normalized": False} for i, (t, ty) in enumerate(zip(tokens, types))
             if ty in (gguf.TokenType.CONTROL, gguf.TokenType.USER_DEFINED)]
    tok = {"version": "1.0", "added_tokens": added, "normalizer": {"type": "NFC"},
           "pre_tokenizer": None, "model": {"type": "BPE", "vocab": vocab, "merges": merges}}
    json.dump(tok, open(os.path.join(out, "tokenizer.json"), "w"), ensure_ascii=False)
    json.dump({"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "bos_token": None,
               "chat_template": f["tokenizer.chat_template"].contents()},
              open(os.path.join(out, "tokenizer_config.json"), "w"))
    json.dump({"eos_token_id": [151645, 151643], "repetition_penalty": 1.1, "do_sample": True, "top_k": 20},
              open(os.path.join(out, "generation_config.json"), "w"))
    return len(tokens), len(added), len(merges)


def checkpoint(qwen_gguf, out, hidden, layers, ffn, heads, kv_heads, rng, big=False):
    vocab_size, n_added, n_merges = tokenizer_files(qwen_gguf, out)
    config = {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": hidden,
              "num_hidden_layers": layers, "intermediate_size": ffn, "num_attention_heads": heads,
              "num_key_value_heads": kv_heads, "vocab_size": vocab_size, "max_position_embeddings": 4096,
              "rope_theta": 1000000.0, "rms_norm_eps": 1e-6, "tie_word_embeddings": True}
    json.dump(config, open(os.path.join(out, "config.json"), "w"))
    kv = kv_heads * hidden // heads
    shapes = {"model.embed_tokens.weight": [vocab_size, hidden], "model.norm.weight": [hidden]}
    for i in range(layers):
        h = f"model.layers.{i}."
        shapes.update({h + "input_layernorm.weight": [hidden], h + "post_attention_layernorm.weight": [hidden],
                       h + "self_attn.q_proj.weight": [hidden, hidden], h + "self_attn.q_proj.bias": [hidden],
                       h + "self_attn.k_proj.weight": [kv, hidden], h + "self_attn.k_proj.bias": [kv],
                       h + "self_attn.v_proj.weight": [kv, hidden], h + "self_attn.v_proj.bias": [kv],
                       h + "self_attn.o_proj.weight": [hidden, hidden], h + "mlp.gate_proj.weight": [ffn, hidden],
                       h + "mlp.up_proj.weight": [ffn, hidden], h + "mlp.down_proj.weight": [hidden, ffn]})
    values, weight_map = {}, {}
    names = sorted(shapes)
    shards = [names[: len(names) // 2], names[len(names) // 2:]]
    for s, part in enumerate(shards):
        file = f"model-0000{s + 1}-of-00002.safetensors"
        data = {}
        for n in part:
            f32 = (rng.standard_normal(shapes[n]) * 0.05).astype(np.float32)
            bits = ((f32.view(np.uint32) + 0x8000) >> 16).astype(np.uint16)  # bf16, nearest
            if not big:
                values[n] = (bits.astype(np.uint32) << 16).view(np.float32)
            data[n] = bits
            weight_map[n] = file
        bf16_safetensors.write(os.path.join(out, file), data)
        del data
    json.dump({"metadata": {}, "weight_map": weight_map}, open(os.path.join(out, "model.safetensors.index.json"), "w"))
    return config, values, (vocab_size, n_added, n_merges)


GGUF_NAMES = {"input_layernorm.weight": "attn_norm.weight", "post_attention_layernorm.weight": "ffn_norm.weight",
              "self_attn.q_proj.weight": "attn_q.weight", "self_attn.q_proj.bias": "attn_q.bias",
              "self_attn.k_proj.weight": "attn_k.weight", "self_attn.k_proj.bias": "attn_k.bias",
              "self_attn.v_proj.weight": "attn_v.weight", "self_attn.v_proj.bias": "attn_v.bias",
              "self_attn.o_proj.weight": "attn_output.weight", "mlp.gate_proj.weight": "ffn_gate.weight",
              "mlp.up_proj.weight": "ffn_up.weight", "mlp.down_proj.weight": "ffn_down.weight"}


def gguf_name(hf):
    if hf == "model.embed_tokens.weight":
        return "token_embd.weight"
    if hf == "model.norm.weight":
        return "output_norm.weight"
    _, _, i, rest = hf.split(".", 3)
    return f"blk.{i}.{GGUF_NAMES[rest]}"


def check(path, precision, config, values, tok_counts):
    r = gguf.GGUFReader(path)
    tensors = {t.name: t for t in r.tensors}
    f = r.fields
    assert f["general.architecture"].contents() == "qwen2"
    assert f["qwen2.embedding_length"].contents() == config["hidden_size"]
    assert f["qwen2.block_count"].contents() == config["num_hidden_layers"]
    assert f["qwen2.attention.head_count_kv"].contents() == config["num_key_value_heads"]
    assert f["mmssr.precision"].contents() == precision
    assert f["mmssr.tokenizer.normalizer"].contents() == "nfc"
    assert len(f["tokenizer.ggml.tokens"].contents()) == tok_counts[0]
    assert len(f["tokenizer.ggml.merges"].contents()) == tok_counts[2]
    assert f["tokenizer.ggml.eos_token_id"].contents() == 151645
    assert f["tokenizer.ggml.padding_token_id"].contents() == 151643
    assert f["mmssr.generation.eos_token_id"].contents() == [151645, 151643]
    assert abs(f["mmssr.generation.repetition_penalty"].contents() - 1.1) < 1e-6
    assert "output.weight" not in tensors
    matrices = 0
    for hf, want in values.items():
        name = gguf_name(hf)
        t = tensors[name]
        got_shape = list(reversed([int(x) for x in t.shape]))
        assert got_shape == list(want.shape), (name, got_shape, want.shape)
        data = np.asarray(t.data)
        if name.endswith(".weight") and want.ndim == 2 and name != "token_embd.weight" and precision == "int8":
            assert t.tensor_type == gguf.GGMLQuantizationType.I8, name
            scale = np.asarray(tensors[name + ".scale"].data, dtype=np.float32)
            err = np.abs(data.astype(np.float32) * scale[:, None] - want)
            assert (err <= scale[:, None] / 2 * (1 + 1e-5)).all(), (name, float(err.max()))
            matrices += 1
        else:
            assert t.tensor_type == gguf.GGMLQuantizationType.F32, name
            assert np.array_equal(data.reshape(want.shape), want), name
    assert len(tensors) == len(values) + matrices
    print(f"ok {precision}: {len(tensors)} tensors")


def main():
    qwen = sys.argv[1]
    big = "--big" in sys.argv
    rng = np.random.default_rng(15)
    with tempfile.TemporaryDirectory() as d:
        hf = os.path.join(d, "hf")
        os.mkdir(hf)
        dims = (2048, 4, 5504, 16, 2) if big else (64, 2, 128, 4, 2)
        config, values, counts = checkpoint(qwen, hf, *dims, rng, big)
        for precision in ["int8", "f32"]:
            out = os.path.join(d, f"out-{precision}.gguf")
            t0 = time.time()
            res = subprocess.run([sys.executable, converter, hf, "-o", out, "--type", precision],
                                 capture_output=True, text=True)
            assert res.returncode == 0, res.stderr
            print(res.stdout.strip(), f"in {time.time() - t0:.1f} s")
            if not big:
                check(out, precision, config, values, counts)
        # Bad input: a missing tensor gives one line naming it and a non-zero exit.
        os.remove(os.path.join(hf, "config.json"))
        res = subprocess.run([sys.executable, converter, hf, "-o", os.path.join(d, "x.gguf")], capture_output=True, text=True)
        assert res.returncode != 0 and res.stderr.count("\n") == 1 and "config.json" in res.stderr, res.stderr
    print("convert_qwen2 ok")


if __name__ == "__main__":
    main()
