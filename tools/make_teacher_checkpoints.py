#!/usr/bin/env python3
"""Writes two tiny random mmSSR teacher checkpoints in the official layout (LLaVA-NeXT LlavaQwenForCausalLM,
SPEC section 6) for the converter and the teacher's tests: OUT_DIR/scorer and OUT_DIR/styler.

    python3 tools/make_teacher_checkpoints.py OUT_DIR [--qwen-gguf weights/cache/qwen2.5-coder-0.5b-instruct.gguf]

Each holds config.json (Qwen2 keys, the mm_* keys of the official config, and a `vision_config` since the tiny
tower is not so400m), generation_config.json (Qwen2-Instruct's: repetition_penalty 1.05, eos [151645, 151643]),
bf16 safetensors in two shards with model.safetensors.index.json, and the real Qwen2 tokenizer: the byte-level
BPE vocabulary and merges of the Qwen2.5-Coder-0.5B GGUF with Qwen2's three special tokens (151643-151645),
so len(tokenizer) = 151,646 as for the official 7B. The scorer ships tokenizer.json, the styler only the slow
files (vocab.json, merges.txt, tokenizer_config.json) as LLaVA checkpoints often do. The scorer's file omits
the tower's deleted last layer (as official files do); the styler's holds it (the converter must ignore it).

Shapes: Qwen2 hidden 64, 2 layers, 4 heads / 2 KV heads, ffn 128, 151,936 embedding rows, untied head;
SigLIP hidden 32, 3 checkpoint layers (2 kept), 2 heads, ffn 64, patch 14, image 56 (16 patches). The head is
shaped so greedy answers are clear: a few hundred rows (the digits, the eos ids, the style names' tokens, common
words) get logits of std ~10, the rest std ~0.3, so the top-2 margins are large; the digits "0".."5" share a
direction and differ by std ~1.5, so digit probabilities are spread and answers are often digits.
Seeded and byte-for-byte deterministic.
"""
import argparse
import json
import os

import gguf
import numpy as np
import tokenizers

import bf16_safetensors

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
QWEN_GGUF = os.path.join(ROOT, "weights", "cache", "qwen2.5-coder-0.5b-instruct.gguf")
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]  # Qwen2's added tokens, ids 151643-151645
QWEN2_CHAT_TEMPLATE = ("{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
                       "{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}"
                       "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
                       "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")
QWEN2_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
               r"\s*[\r\n]+|\s+(?!\S)|\s+")
BYTE_LEVEL = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}

DIGIT_IDS = list(range(15, 21))  # "0".."5" in Qwen2's vocabulary
LM = {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
      "intermediate_size": 128, "vocab_size": 151936}
VISION = {"model_type": "siglip_vision_model", "hidden_size": 32, "num_hidden_layers": 3, "num_attention_heads": 2,
          "intermediate_size": 64, "patch_size": 14, "image_size": 56, "num_channels": 3, "layer_norm_eps": 1e-6,
          "hidden_act": "gelu_pytorch_tanh", "attention_dropout": 0.0}
STRONG_TEXTS = ["0", "1", "2", "3", "4", "5", " 0", " 1", " 2", " 3", " 4", " 5",
                "multi-choice, coordinate, yes/no, word/short-phrase, short description, detailed description, "
                "comparison, chain-of-thought (step-by-step), specified style",
                " the a is of and to in it that on with", "Answer: Question: image score"]


def qwen2_vocabulary(qwen_gguf):
    """(BPE vocabulary text -> id, merges) of the GGUF; its normal tokens are Qwen2's 151,643."""
    f = gguf.GGUFReader(qwen_gguf).fields
    tokens = f["tokenizer.ggml.tokens"].contents()
    types = f["tokenizer.ggml.token_type"].contents()
    vocab = {t: i for i, (t, ty) in enumerate(zip(tokens, types)) if ty == gguf.TokenType.NORMAL}
    assert len(vocab) == 151643 and all(tokens[151643 + k] == s for k, s in enumerate(SPECIALS)), "not Qwen2's vocab"
    assert [vocab[str(n)] for n in range(6)] == DIGIT_IDS
    return vocab, f["tokenizer.ggml.merges"].contents()


def added_token(i, text):
    return {"id": i, "content": text, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False,
            "special": True}


def tokenizer_config():
    return {"add_prefix_space": False, "bos_token": None, "clean_up_tokenization_spaces": False,
            "eos_token": "<|im_end|>", "errors": "replace", "model_max_length": 32768, "pad_token": "<|endoftext|>",
            "split_special_tokens": False, "tokenizer_class": "Qwen2Tokenizer", "unk_token": None,
            "additional_special_tokens": ["<|im_start|>", "<|im_end|>"], "chat_template": QWEN2_CHAT_TEMPLATE,
            "added_tokens_decoder": {str(151643 + k): {kk: v for kk, v in added_token(151643 + k, s).items()
                                                       if kk != "id"} for k, s in enumerate(SPECIALS)}}


def write_tokenizer(out, vocab, merges, fast):
    def dump(name, obj):
        with open(os.path.join(out, name), "w", encoding="utf-8") as f:
            json.dump(obj, f, ensure_ascii=False)

    dump("tokenizer_config.json", tokenizer_config())
    dump("special_tokens_map.json", {"additional_special_tokens": ["<|im_start|>", "<|im_end|>"],
                                     "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"})
    if fast:
        dump("tokenizer.json", {
            "version": "1.0", "truncation": None, "padding": None,
            "added_tokens": [added_token(151643 + k, s) for k, s in enumerate(SPECIALS)],
            "normalizer": {"type": "NFC"},
            "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": QWEN2_SPLIT}, "behavior": "Isolated", "invert": False},
                BYTE_LEVEL]},
            "post_processor": BYTE_LEVEL, "decoder": BYTE_LEVEL,
            "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                      "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                      "vocab": vocab, "merges": merges}})
    else:
        dump("vocab.json", vocab)
        with open(os.path.join(out, "merges.txt"), "w", encoding="utf-8") as f:
            f.write("#version: 0.2\n" + "\n".join(merges) + "\n")


def config():
    return dict(LM, **{
        "architectures": ["LlavaQwenForCausalLM"], "model_type": "llava", "attention_dropout": 0.0,
        "bos_token_id": 151643, "eos_token_id": 151645, "hidden_act": "silu", "initializer_range": 0.02,
        "max_position_embeddings": 32768, "max_window_layers": 28, "rms_norm_eps": 1e-6, "rope_scaling": None,
        "rope_theta": 1000000.0, "sliding_window": 131072, "tie_word_embeddings": False, "torch_dtype": "bfloat16",
        "use_cache": True, "use_sliding_window": False, "image_aspect_ratio": "anyres_max_9",
        "image_grid_pinpoints": [[384, 384], [384, 768], [768, 384], [768, 768]], "mm_hidden_size": VISION["hidden_size"],
        "mm_newline_position": "grid", "mm_patch_merge_type": "spatial_unpad", "mm_projector_type": "mlp2x_gelu",
        "mm_spatial_pool_mode": "bilinear", "mm_tunable_parts": "mm_vision_tower,mm_mlp_adapter,mm_language_model",
        "mm_use_im_patch_token": False, "mm_use_im_start_end": False, "mm_vision_select_feature": "patch",
        "mm_vision_select_layer": -2, "mm_vision_tower": "google/siglip-so400m-patch14-384",
        "tokenizer_model_max_length": 32768, "tokenizer_padding_side": "right", "use_mm_proj": True,
        "vision_config": VISION})


def generation_config():
    return {"bos_token_id": 151643, "do_sample": True, "eos_token_id": [151645, 151643], "pad_token_id": 151643,
            "repetition_penalty": 1.05, "temperature": 0.7, "top_k": 20, "top_p": 0.8}


def strong_rows(vocab, merges):
    """Head rows that get large logits: the tokens of STRONG_TEXTS (by the Qwen2 tokenizer) and the eos ids."""
    bpe = tokenizers.Tokenizer(tokenizers.models.BPE(vocab=vocab, merges=[tuple(m.split(" ")) for m in merges]))
    bpe.pre_tokenizer = tokenizers.pre_tokenizers.Sequence([
        tokenizers.pre_tokenizers.Split(pattern=tokenizers.Regex(QWEN2_SPLIT), behavior="isolated"),
        tokenizers.pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    rows = {151643, 151645}
    for text in STRONG_TEXTS:
        rows.update(bpe.encode(text).ids)
    return sorted(rows)


def tensors(rng, strong, keep_deleted_layer):
    """name -> float32 array, the official LLaVA-NeXT names."""
    d, layers, ffn = LM["hidden_size"], LM["num_hidden_layers"], LM["intermediate_size"]
    kv = LM["num_key_value_heads"] * d // LM["num_attention_heads"]
    vd, vffn, p = VISION["hidden_size"], VISION["intermediate_size"], VISION["patch_size"]

    def linear(rows, cols):
        return rng.standard_normal((rows, cols)) / np.sqrt(cols)

    def norm(n):
        return 1 + 0.1 * rng.standard_normal(n)

    def bias(n):
        return 0.1 * rng.standard_normal(n)

    t = {"model.embed_tokens.weight": 0.5 * rng.standard_normal((LM["vocab_size"], d)), "model.norm.weight": norm(d)}
    for i in range(layers):
        h = f"model.layers.{i}."
        t.update({h + "input_layernorm.weight": norm(d), h + "post_attention_layernorm.weight": norm(d),
                  h + "self_attn.q_proj.weight": linear(d, d), h + "self_attn.q_proj.bias": bias(d),
                  h + "self_attn.k_proj.weight": linear(kv, d), h + "self_attn.k_proj.bias": bias(kv),
                  h + "self_attn.v_proj.weight": linear(kv, d), h + "self_attn.v_proj.bias": bias(kv),
                  h + "self_attn.o_proj.weight": linear(d, d), h + "mlp.gate_proj.weight": linear(ffn, d),
                  h + "mlp.up_proj.weight": linear(ffn, d), h + "mlp.down_proj.weight": linear(d, ffn)})
    head = 0.3 / np.sqrt(d) * rng.standard_normal((LM["vocab_size"], d))
    head[strong] = 10 / np.sqrt(d) * rng.standard_normal((len(strong), d))
    # The digits share one direction (they rise and fall together against the other strong rows) and differ by
    # logits of std ~1.5, so the digit distribution is neither uniform nor one-hot.
    head[DIGIT_IDS] = (25 * rng.standard_normal(d) + 1.5 * rng.standard_normal((len(DIGIT_IDS), d))) / np.sqrt(d)
    t["lm_head.weight"] = head
    v = "model.vision_tower.vision_tower.vision_model."
    t[v + "embeddings.patch_embedding.weight"] = linear(vd, 3 * p * p).reshape(vd, 3, p, p)
    t[v + "embeddings.patch_embedding.bias"] = bias(vd)
    t[v + "embeddings.position_embedding.weight"] = 0.5 * rng.standard_normal(((VISION["image_size"] // p) ** 2, vd))
    stored = VISION["num_hidden_layers"] if keep_deleted_layer else VISION["num_hidden_layers"] - 1
    for i in range(stored):
        h = f"{v}encoder.layers.{i}."
        for name in ["layer_norm1", "layer_norm2"]:
            t[h + name + ".weight"], t[h + name + ".bias"] = norm(vd), bias(vd)
        for name in ["q_proj", "k_proj", "v_proj", "out_proj"]:
            t[h + "self_attn." + name + ".weight"], t[h + "self_attn." + name + ".bias"] = linear(vd, vd), bias(vd)
        t[h + "mlp.fc1.weight"], t[h + "mlp.fc1.bias"] = linear(vffn, vd), bias(vffn)
        t[h + "mlp.fc2.weight"], t[h + "mlp.fc2.bias"] = linear(vd, vffn), bias(vd)
    t[v + "post_layernorm.weight"], t[v + "post_layernorm.bias"] = norm(vd), bias(vd)
    t["model.mm_projector.0.weight"], t["model.mm_projector.0.bias"] = linear(d, vd), bias(d)
    t["model.mm_projector.2.weight"], t["model.mm_projector.2.bias"] = linear(d, d), bias(d)
    t["model.image_newline"] = rng.standard_normal(d)
    return {k: a.astype(np.float32) for k, a in t.items()}


def write_checkpoint(out, seed, vocab, merges, strong, fast_tokenizer, keep_deleted_layer):
    os.makedirs(out, exist_ok=True)
    write_tokenizer(out, vocab, merges, fast_tokenizer)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config(), f, indent=2)
    with open(os.path.join(out, "generation_config.json"), "w") as f:
        json.dump(generation_config(), f, indent=2)
    values = tensors(np.random.default_rng(seed), strong, keep_deleted_layer)
    names = sorted(values)
    weight_map = {}
    for s, part in enumerate([names[: len(names) // 2], names[len(names) // 2:]]):
        file = f"model-0000{s + 1}-of-00002.safetensors"
        bf16_safetensors.write(os.path.join(out, file), {n: bf16_safetensors.bf16_bits(values[n]) for n in part})
        weight_map.update({n: file for n in part})
    with open(os.path.join(out, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {}, "weight_map": weight_map}, f, indent=2)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir")
    ap.add_argument("--qwen-gguf", default=QWEN_GGUF)
    args = ap.parse_args()
    vocab, merges = qwen2_vocabulary(args.qwen_gguf)
    strong = strong_rows(vocab, merges)
    write_checkpoint(os.path.join(args.out_dir, "scorer"), 1601, vocab, merges, strong, True, False)
    write_checkpoint(os.path.join(args.out_dir, "styler"), 1602, vocab, merges, strong, False, True)
    print(f"wrote {args.out_dir}/scorer and {args.out_dir}/styler ({len(strong)} strong head rows)")


if __name__ == "__main__":
    main()
