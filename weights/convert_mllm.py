#!/usr/bin/env python3
"""Convert an mmSSR teacher checkpoint (LLaVA-NeXT LlavaQwenForCausalLM: SigLIP tower, mlp2x_gelu projector,
Qwen2) or a plain Qwen2 chat model (a text-only teacher) into one mmssr teacher GGUF (docs/model-file.md,
"Teacher files").

    convert_mllm.py CKPT_DIR -o FILE.gguf [--type int8|f32] [--role scorer|styler] [--keywords k1,...,k14]

The language model is written as weights/convert_qwen2.py writes it (llama.cpp `qwen2` names and metadata);
the vision tower as `v.*` + `siglip.*`, the projector as `mm.*`, and what the official procedure
(lyumengyao/mmssr llava/eval/model_ss.py, SPEC section 6) needs as `mmssr.teacher.*`. LLaVA-NeXT deletes the
tower's last encoder layer and never runs `post_layernorm`: neither is written. Streams one tensor at a time
(a 7B bf16 checkpoint is never held whole) and prints the peak RSS at the end.

--role defaults to styler when the directory name contains "styler", else scorer. --keywords replaces the 14
capability names put into the scorer's query (SPEC section 1 order; default the official names).
"""
import argparse
import os
import sys

import gguf

from convert_qwen2 import (ConvertError, Entry, Shards, add_metadata, config_value, peak_rss_mib, read_config,
                           read_generation_config, read_tokenizer, tensor_plan, write_tensors)
from vocabulary import CAPABILITIES

SYSTEM_MESSAGE = "You are a helpful assistant."  # model_ss.py's default (no --instruct-sys)
VISION_PREFIX = "model.vision_tower.vision_tower.vision_model."
# google/siglip-so400m-patch14-384 as published (LLaVA-NeXT's SigLipVisionConfig defaults); checkpoints do not
# carry these, LLaVA-NeXT takes them from the hub by name.
SO400M = {"hidden_size": 1152, "num_hidden_layers": 27, "num_attention_heads": 16, "intermediate_size": 4304,
          "patch_size": 14, "image_size": 384, "layer_norm_eps": 1e-6, "hidden_act": "gelu_pytorch_tanh"}
SO400M_NAME = "siglip-so400m-patch14-384"
LLAVA_ARCHITECTURES = {"LlavaQwenForCausalLM"}


def vision_config(ckpt_dir, config):
    """The tower's hyper-parameters: the config's `vision_config`, else so400m's when the config names it."""
    tower = config.get("mm_vision_tower") or "?"
    if isinstance(config.get("vision_config"), dict):
        vc = dict(SO400M, **config["vision_config"]) if SO400M_NAME in tower else dict(config["vision_config"])
    elif SO400M_NAME in tower:
        vc = dict(SO400M)
    else:
        raise ConvertError(f"{ckpt_dir}: vision tower {tower} is not supported (only SigLIP {SO400M_NAME}, or a "
                           f"config.json with a vision_config)")
    for key in SO400M:
        if key not in vc:
            raise ConvertError(f"{ckpt_dir}: vision_config has no {key}")
    if vc["hidden_act"] not in ("gelu_pytorch_tanh", "gelu_new"):
        raise ConvertError(f"{ckpt_dir}: vision tower activation {vc['hidden_act']} is not tanh GELU")
    if vc["image_size"] % vc["patch_size"] or vc["hidden_size"] % vc["num_attention_heads"]:
        raise ConvertError(f"{ckpt_dir}: vision_config sizes do not divide (image {vc['image_size']}, patch "
                           f"{vc['patch_size']}, hidden {vc['hidden_size']}, heads {vc['num_attention_heads']})")
    return vc


def vision_plan(vc, lm_hidden, newline):
    """The kept tower's entries (the last checkpoint layer is deleted by LLaVA-NeXT), then the projector."""
    d, ffn, p = vc["hidden_size"], vc["intermediate_size"], vc["patch_size"]
    positions = (vc["image_size"] // p) ** 2
    v = VISION_PREFIX
    plan = [Entry("v.patch_embd.weight", v + "embeddings.patch_embedding.weight", [d, 3, p, p], True, [d, 3 * p * p]),
            Entry("v.patch_embd.bias", v + "embeddings.patch_embedding.bias", [d], False),
            Entry("v.position_embd.weight", v + "embeddings.position_embedding.weight", [positions, d], False)]
    for i in range(vc["num_hidden_layers"] - 1):
        g, h = f"v.blk.{i}.", f"{v}encoder.layers.{i}."
        pairs = [("ln1", "layer_norm1", None), ("attn_q", "self_attn.q_proj", d), ("attn_k", "self_attn.k_proj", d),
                 ("attn_v", "self_attn.v_proj", d), ("attn_out", "self_attn.out_proj", d),
                 ("ln2", "layer_norm2", None), ("ffn_up", "mlp.fc1", d), ("ffn_down", "mlp.fc2", ffn)]
        for ours, theirs, inputs in pairs:
            rows = ffn if ours == "ffn_up" else d
            if inputs is None:
                plan.append(Entry(g + ours + ".weight", h + theirs + ".weight", [d], False))
            else:
                plan.append(Entry(g + ours + ".weight", h + theirs + ".weight", [rows, inputs], True))
            plan.append(Entry(g + ours + ".bias", h + theirs + ".bias", [rows], False))
    plan += [Entry("mm.0.weight", "model.mm_projector.0.weight", [lm_hidden, d], True),
             Entry("mm.0.bias", "model.mm_projector.0.bias", [lm_hidden], False),
             Entry("mm.2.weight", "model.mm_projector.2.weight", [lm_hidden, lm_hidden], True),
             Entry("mm.2.bias", "model.mm_projector.2.bias", [lm_hidden], False)]
    if newline:
        plan.append(Entry("mm.image_newline", "model.image_newline", [lm_hidden], False))
    return plan


def image_newline(ckpt_dir, config):
    """Whether one image's features get image_newline appended (llava_arch.py, the single-image branch)."""
    merge = config.get("mm_patch_merge_type", "flat")
    if merge == "flat":
        return False
    if merge.startswith("spatial"):
        return "unpad" in merge
    raise ConvertError(f"{ckpt_dir}: mm_patch_merge_type {merge} is not supported")


def llava_added_tokens(config, tok):
    """The tokens LLaVA-NeXT's loader (model/builder.py) adds before resizing the embedding to len(tokenizer):
    <im_patch> unless mm_use_im_patch_token is false, <im_start>/<im_end> when mm_use_im_start_end."""
    names = []
    if config.get("mm_use_im_patch_token", True):
        names.append("<im_patch>")
    if config.get("mm_use_im_start_end", False):
        names += ["<im_start>", "<im_end>"]
    for name in names:
        if name not in tok.vocab:
            i = len(tok.vocab)
            tok.vocab[name] = i
            tok.added.append((i, name, True))


def eos_token_ids(config, generation, tok):
    eos = generation.get("eos_token_id")
    if eos is None:
        eos = tok.token_id(tok.config.get("eos_token"))
    if eos is None:
        eos = config.get("eos_token_id")
    ids = eos if isinstance(eos, list) else [eos]
    if not ids or not all(isinstance(i, int) for i in ids):
        raise ConvertError("no eos token id in generation_config.json, tokenizer_config.json or config.json")
    return ids


def add_teacher_metadata(w, config, generation, tok, role, keywords, newline):
    w.add_string("mmssr.teacher.role", role)
    w.add_array("mmssr.teacher.capability_keys", [k for k, _ in CAPABILITIES])
    w.add_array("mmssr.teacher.capability_keywords", keywords)
    w.add_string("mmssr.teacher.system_message", SYSTEM_MESSAGE)
    w.add_uint32("mmssr.teacher.vocabulary_size", len(tok.vocab))
    w.add_float32("mmssr.teacher.repetition_penalty", float(generation.get("repetition_penalty", 1.0)))
    w.add_array("mmssr.teacher.eos_token_ids", eos_token_ids(config, generation, tok))  # ints: INT32
    w.add_bool("mmssr.teacher.image_newline", newline)


def add_vision_metadata(w, vc):
    w.add_uint32("siglip.image_size", vc["image_size"])
    w.add_uint32("siglip.patch_size", vc["patch_size"])
    w.add_uint32("siglip.embedding_length", vc["hidden_size"])
    w.add_uint32("siglip.block_count", vc["num_hidden_layers"] - 1)
    w.add_uint32("siglip.attention.head_count", vc["num_attention_heads"])
    w.add_uint32("siglip.feed_forward_length", vc["intermediate_size"])
    w.add_float32("siglip.attention.layer_norm_epsilon", float(vc["layer_norm_eps"]))
    w.add_array("siglip.image_mean", [0.5, 0.5, 0.5])  # SigLipImageProcessor's constants
    w.add_array("siglip.image_std", [0.5, 0.5, 0.5])
    w.add_string("mm.projector_type", "mlp2x_gelu")


def convert(ckpt_dir, out, precision, role, keywords):
    config = read_config(ckpt_dir)
    arch = config.get("architectures", ["?"])[0]
    if arch not in LLAVA_ARCHITECTURES and arch != "Qwen2ForCausalLM" and config.get("model_type") != "qwen2":
        raise ConvertError(f"{ckpt_dir}: architecture {arch} is neither LlavaQwenForCausalLM nor Qwen2ForCausalLM")
    tok = read_tokenizer(ckpt_dir)
    generation = read_generation_config(ckpt_dir)
    shards = Shards(ckpt_dir)
    has_vision = any(name.startswith(VISION_PREFIX) for name in shards.entries)
    if not has_vision and config.get("mm_vision_tower"):
        raise ConvertError(f"{ckpt_dir}: config.json names vision tower {config['mm_vision_tower']} but the "
                           f"checkpoint holds no {VISION_PREFIX}* tensors")
    plan = tensor_plan(config)
    newline = False
    vc = None
    if has_vision:
        vc = vision_config(ckpt_dir, config)
        projector = config.get("mm_projector_type", "linear")
        if projector != "mlp2x_gelu":
            raise ConvertError(f"{ckpt_dir}: projector {projector} is not supported (only mlp2x_gelu)")
        if config.get("mm_hidden_size", vc["hidden_size"]) != vc["hidden_size"]:
            raise ConvertError(f"{ckpt_dir}: mm_hidden_size {config['mm_hidden_size']} is not the vision tower's "
                               f"width {vc['hidden_size']}")
        newline = image_newline(ckpt_dir, config)
        llava_added_tokens(config, tok)
        plan += vision_plan(vc, config_value(config, "hidden_size"), newline)
    w = gguf.GGUFWriter(out, arch="qwen2")
    add_metadata(w, ckpt_dir, config, precision, tok)
    add_teacher_metadata(w, config, generation, tok, role, keywords, newline)
    if vc is not None:
        add_vision_metadata(w, vc)
    write_tensors(w, shards, plan, precision)
    return has_vision


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("ckpt_dir")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--type", choices=["int8", "f32"], default="int8")
    ap.add_argument("--role", choices=["scorer", "styler"])
    ap.add_argument("--keywords", help="14 comma-separated capability keywords, SPEC section 1 order")
    args = ap.parse_args()
    role = args.role or ("styler" if "styler" in os.path.basename(os.path.abspath(args.ckpt_dir)) else "scorer")
    keywords = [n for _, n in CAPABILITIES]
    if args.keywords is not None:
        keywords = [k.strip() for k in args.keywords.split(",")]
        if len(keywords) != len(CAPABILITIES) or not all(keywords):
            print(f"convert_mllm: --keywords needs {len(CAPABILITIES)} non-empty names, got {len(keywords)}",
                  file=sys.stderr)
            sys.exit(2)
    try:
        has_vision = convert(args.ckpt_dir, args.output, args.type, role, keywords)
    except (ConvertError, OSError, ValueError, KeyError) as e:
        print(f"convert_mllm: {e}", file=sys.stderr)
        sys.exit(1)
    peak = peak_rss_mib()
    kind = "vision" if has_vision else "text-only"
    print(f"wrote {args.output} ({args.type}, {role}, {kind}); peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
