#!/usr/bin/env python3
"""Writes what the official mmSSR procedure (lyumengyao/mmssr llava/eval/model_ss.py + config/ss.py on LLaVA-NeXT,
SPEC section 6) computes, for the Swift teacher's tests (llm.c style), from an independent implementation:
transformers' Qwen2ForCausalLM and SiglipVisionModel (last encoder layer deleted, hidden_states[-1], no
post_layernorm), the mlp2x_gelu projector (Linear, exact-erf GELU, Linear) and image_newline, fp32 on CPU,
driven by a transcription of model_ss.py's prompt code and LLaVA-NeXT's SigLipImageProcessor.

- Tests/ScorerTests/Fixtures/teacher_reference.json: the tiny random scorer and styler of
  tools/make_teacher_checkpoints.py on every item of Tests/ScorerTests/Fixtures/teacher_pool.json (images in
  teacher_images/, written here deterministically when missing);
- Tests/ScorerTests/Fixtures/teacher_qwen05b_reference.json (--qwen05b): the real Qwen2.5-Coder-0.5B-Instruct
  GGUF (transformers' GGUF loader, dequantised to fp32) as a text-only teacher on four items.

    python3 tools/make_teacher_reference.py [--qwen05b]     # needs torch, transformers, accelerate, pillow

Greedy answers are the argmax of a full forward at every step (transformers' generate() takes another attention
path whose logits differ slightly), with the repetition penalty of generation_config.json applied to the tokens
generated so far (generate() is given inputs_embeds, so the prompt is not penalised), over the first
vocabulary_size rows only (LLaVA-NeXT resizes the embedding to len(tokenizer)).
"""
import argparse
import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from PIL import Image

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
FIXTURES = os.path.join(ROOT, "Tests", "ScorerTests", "Fixtures")
POOL = os.path.join(FIXTURES, "teacher_pool.json")
IMAGES = os.path.join(FIXTURES, "teacher_images")
sys.path.insert(0, os.path.join(ROOT, "weights"))
from vocabulary import CAPABILITIES, STYLES  # noqa: E402

IMAGE_TOKEN_INDEX = -200  # llava/constants.py
MAX_NEW_TOKENS = 12
QWEN05B_MAX_NEW_TOKENS = 16
QWEN05B_ITEMS = ["photo-single", "text-only", "multi-turn", "strip-both-ends"]
QWEN05B_CAPABILITIES = ["spatial", "ocr", "stem"]

# config/ss.py
SEPS = [" ", "\n"]
STYLE_CANDIDATES = "[" + ", ".join(name for _, name in STYLES) + "]"
STYLE_QUERY = "Interaction style candidates:" + SEPS[0] + STYLE_CANDIDATES + SEPS[1] + "Styles: "
CAP_QUERY = ("On a scale of 0 to 5, how do you rate the helpfulness of the VQA instance in training a Multimodal "
             "Large Language Model for {cap_keyword}?")


# ------------------------------------------------------------------------------------------------ model_ss.py
def format_convs(convs):
    items = []
    for idx in range(len(convs)):
        conv = convs[idx]["value"]
        if idx % 2 != 0:
            continue
        head = conv if (conv.startswith("<image>\nHint:") or conv.startswith("Hint:")) else f"Question: {conv.strip('Question: ')}"
        items.append(head + SEPS[0] + "Answer: ")
        if idx != len(convs) - 1:
            items[-1] += f"{convs[idx + 1]['value']}"
    return SEPS[1].join(items)


def question(convs, query):
    return format_convs(convs) + SEPS[1] + query  # style_instruct = cap_instruct = "": no leading line


def preprocess_qwen(qs, first_from, tok, with_image, system_message="You are a helpful assistant."):
    """model_ss.py's preprocess_qwen on [{"value": qs, "from": first_from}, {"from": "gpt", "value": None}].
    Without an image to show (a text-only item or teacher; the official code crashes there) the question is
    tokenized whole with its <image> marks removed."""
    ids_of = lambda text: tok(text, add_special_tokens=False).input_ids  # noqa: E731
    im_start, im_end = tok.convert_tokens_to_ids(["<|im_start|>", "<|im_end|>"])
    nl = ids_of("\n")
    ids = [im_start] + ids_of("system") + nl + ids_of(system_message) + [im_end] + nl
    if first_from == "human":  # roles[source[0]["from"]] != roles["human"] drops the user turn
        ids += ids_of("<|im_start|>user") + nl
        if with_image and "<image>" in qs:
            texts = qs.split("<image>")
            for i, text in enumerate(texts):
                ids += ids_of(text)
                if i < len(texts) - 1:
                    ids += [IMAGE_TOKEN_INDEX] + nl
        else:
            ids += ids_of(qs.replace("<image>", ""))
        ids += [im_end] + nl
    return ids + ids_of("<|im_start|>assistant") + nl


def pred_response(tok, generated):
    out = tok.decode(generated, skip_special_tokens=True).strip()
    if out.endswith("<|im_end|>"):  # conv_qwen's sep (stop_str)
        out = out[: -len("<|im_end|>")]
    return out.strip()


# ------------------------------------------------------------------------------------ SigLipImageProcessor
def preprocess_image(path, size):
    """convert_to_rgb (transformers 4.40: plain convert), PIL bicubic resize (reducing_gap None), rescale (uint8 *
    (1/255) in float64, then float32), normalize ((x - 0.5) / 0.5 in float32); returns (uint8 HWC, float32 CHW)."""
    image = Image.open(path)
    if image.mode != "RGB":
        image = image.convert("RGB")
    resized = np.array(image.resize((size, size), resample=Image.BICUBIC, reducing_gap=None))
    x = (resized * (1 / 255)).astype(np.float32)
    x = (x - np.array([0.5] * 3, dtype=np.float32)) / np.array([0.5] * 3, dtype=np.float32)
    return resized, np.ascontiguousarray(x.transpose(2, 0, 1))


def make_images():
    """The pool's images: small, odd sizes (resized up and down), modes RGB, RGBA, L, P and one JPEG."""
    os.makedirs(IMAGES, exist_ok=True)
    rng = np.random.default_rng(1616)
    y, x = np.mgrid[0:30, 0:40]
    gradient = np.stack([x * 6, y * 8, 255 - x * 6], -1).astype(np.uint8)
    images = {
        "gradient.png": Image.fromarray(gradient, "RGB"),
        "noise.png": Image.fromarray(rng.integers(0, 256, (80, 100, 3), dtype=np.uint8), "RGB"),
        "alpha.png": Image.fromarray(rng.integers(0, 256, (24, 20, 4), dtype=np.uint8), "RGBA"),
        "gray.png": Image.fromarray(rng.integers(0, 256, (57, 33), dtype=np.uint8), "L"),
        "palette.png": Image.fromarray(rng.integers(0, 256, (48, 48, 3), dtype=np.uint8), "RGB").quantize(16),
    }
    for name, image in images.items():
        path = os.path.join(IMAGES, name)
        if not os.path.exists(path):
            image.save(path, optimize=False)
    path = os.path.join(IMAGES, "photo.jpg")
    if not os.path.exists(path):
        smooth = np.kron(rng.integers(0, 256, (5, 8, 3)), np.ones((8, 8, 1))).astype(np.uint8)
        Image.fromarray(smooth, "RGB").save(path, quality=90)


# --------------------------------------------------------------------------------------------- the models
def load_checkpoint_tensors(ckpt):
    from safetensors.torch import load_file
    with open(os.path.join(ckpt, "model.safetensors.index.json")) as f:
        files = sorted(set(json.load(f)["weight_map"].values()))
    tensors = {}
    for name in files:
        tensors.update({k: v.float() for k, v in load_file(os.path.join(ckpt, name)).items()})
    return tensors


class Teacher:
    """The LLaVA-NeXT LlavaQwen forward: SigLIP (last layer deleted) -> projector (+ image_newline) spliced at
    IMAGE_TOKEN_INDEX into Qwen2's input embeddings."""

    def __init__(self, lm, tok, vocabulary_size, repetition_penalty, eos_ids, vision=None, projector=None,
                 newline=None, image_size=None):
        self.lm, self.tok, self.vocabulary_size = lm, tok, vocabulary_size
        self.repetition_penalty, self.eos_ids = repetition_penalty, eos_ids
        self.vision, self.projector, self.newline, self.image_size = vision, projector, newline, image_size

    @classmethod
    def from_checkpoint(cls, ckpt):
        from transformers import Qwen2Config, Qwen2ForCausalLM, Qwen2Tokenizer, SiglipVisionConfig, SiglipVisionModel
        with open(os.path.join(ckpt, "config.json")) as f:
            config = json.load(f)
        with open(os.path.join(ckpt, "generation_config.json")) as f:
            generation = json.load(f)
        tensors = load_checkpoint_tensors(ckpt)
        keys = ["hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "intermediate_size",
                "vocab_size", "max_position_embeddings", "rms_norm_eps", "rope_theta", "tie_word_embeddings"]
        lm = Qwen2ForCausalLM(Qwen2Config(**{k: config[k] for k in keys}, attn_implementation="eager"))
        lm.load_state_dict({k: v for k, v in tensors.items() if k.startswith(("model.layers.", "lm_head"))
                            or k in ("model.embed_tokens.weight", "model.norm.weight")}, strict=True)
        vc = {k: v for k, v in config["vision_config"].items() if k != "model_type"}
        vision = SiglipVisionModel(SiglipVisionConfig(**vc, vision_use_head=False, attn_implementation="eager"))
        # transformers 5 flattens SiglipVisionModel (no .vision_model); older releases wrap it.
        inner = "vision_model." if hasattr(vision, "vision_model") else ""
        prefix = "model.vision_tower.vision_tower.vision_model."
        missing, unexpected = vision.load_state_dict({inner + k[len(prefix):]: v for k, v in tensors.items()
                                                      if k.startswith(prefix)}, strict=False)
        last = f"{inner}encoder.layers.{vc['num_hidden_layers'] - 1}."
        assert not unexpected and all(k.startswith(last) for k in missing), (missing, unexpected)
        del getattr(vision, "vision_model", vision).encoder.layers[-1:]  # SigLipVisionTower.load_model
        d, vd = config["hidden_size"], vc["hidden_size"]
        projector = torch.nn.Sequential(torch.nn.Linear(vd, d), torch.nn.GELU(), torch.nn.Linear(d, d))
        projector.load_state_dict({k[len("model.mm_projector."):]: v for k, v in tensors.items()
                                   if k.startswith("model.mm_projector.")})
        newline = tensors["model.image_newline"] if "unpad" in config["mm_patch_merge_type"] else None
        tok = Qwen2Tokenizer.from_pretrained(ckpt)
        for m in (lm, vision, projector):
            m.eval()
        eos = generation.get("eos_token_id", tok.convert_tokens_to_ids(tok.eos_token))
        return cls(lm, tok, len(tok), float(generation.get("repetition_penalty", 1.0)),
                   eos if isinstance(eos, list) else [eos], vision, projector, newline, vc["image_size"])

    @torch.no_grad()
    def image_embeddings(self, pixels):
        out = self.vision(torch.from_numpy(pixels)[None], output_hidden_states=True)
        features = out.hidden_states[-1][0]
        # The same features by running the kept blocks by hand: hidden_states[-1] is before post_layernorm.
        tower = getattr(self.vision, "vision_model", self.vision)
        h = tower.embeddings(torch.from_numpy(pixels)[None])
        for layer in tower.encoder.layers:
            h = layer(h, attention_mask=None)
            h = h[0] if isinstance(h, tuple) else h
        assert torch.allclose(h[0], features, atol=1e-6), float((h[0] - features).abs().max())
        rows = self.projector(features)
        return rows if self.newline is None else torch.cat([rows, self.newline[None]], 0)

    @torch.no_grad()
    def embed(self, ids, image):
        table = self.lm.model.embed_tokens.weight
        rows = [image if i == IMAGE_TOKEN_INDEX else table[i][None] for i in ids]
        return torch.cat(rows, 0)

    @torch.no_grad()
    def logits(self, embeds, last=1):
        """fp32 logits of the last `last` positions over the first vocabulary_size rows."""
        hidden = self.lm.model(inputs_embeds=embeds[None]).last_hidden_state[0, -last:]
        return (hidden @ self.lm.lm_head.weight[: self.vocabulary_size].T).double()

    def greedy(self, embeds, max_new_tokens):
        generated, margins = [], []
        for _ in range(max_new_tokens):
            last = self.logits(embeds)[-1].clone()
            if self.repetition_penalty != 1.0 and generated:
                seen = torch.tensor(sorted(set(generated)))
                score = last[seen]
                last[seen] = torch.where(score < 0, score * self.repetition_penalty, score / self.repetition_penalty)
            top = torch.topk(last, 2)
            margins.append(float(top.values[0] - top.values[1]))
            generated.append(int(top.indices[0]))
            if generated[-1] in self.eos_ids:
                break
            embeds = torch.cat([embeds, self.lm.model.embed_tokens.weight[generated[-1]][None]], 0)
        return generated, margins

    def answer(self, ids, image, max_new_tokens, digit_ids):
        embeds = self.embed(ids, image)
        first = self.logits(embeds)[-1]
        top = torch.topk(first, 2)
        digit_logits = first[digit_ids]
        p = torch.softmax(first, 0)[digit_ids]
        p = p / p.sum()
        generated, margins = self.greedy(embeds, max_new_tokens)
        return {"input_ids": ids, "digit_logits": digit_logits.tolist(), "digit_probs": p.tolist(),
                "expected_score": float((p * torch.arange(6, dtype=p.dtype)).sum()),
                "first_top1": int(top.indices[0]), "top2_margin": float(top.values[0] - top.values[1]),
                "generated_ids": generated, "step_margins": margins, "pred_response": pred_response(self.tok, generated)}

    def style_logliks(self, ids, image, style_ids):
        """log p(the answer starts with each style name), teacher-forced, no repetition penalty."""
        out = []
        for names in style_ids:
            logp = torch.log_softmax(self.logits(self.embed(ids + names, image), last=len(names) + 1), -1)
            out.append(float(sum(logp[k, t] for k, t in enumerate(names))))
        return out


def f32_b64(a):
    return base64.b64encode(np.ascontiguousarray(a, dtype=np.float32).tobytes()).decode()


def run_pool(teacher, role, items, max_new_tokens, capabilities, images_meta=None, with_images=True):
    tok = teacher.tok
    digit_ids = tok.convert_tokens_to_ids([str(d) for d in range(6)])
    style_ids = [tok(name, add_special_tokens=False).input_ids for _, name in STYLES]
    embeddings, results = {}, []
    for item in items:
        convs = item["conversations"]
        image = None
        if with_images and "image" in item:
            name = item["image"]
            resized, pixels = preprocess_image(os.path.join(IMAGES, name), teacher.image_size)
            if images_meta is not None and name not in images_meta:
                with Image.open(os.path.join(IMAGES, name)) as im:
                    images_meta[name] = {"width": im.width, "height": im.height, "mode": im.mode,
                                         "resized_rgb_u8": base64.b64encode(resized.tobytes()).decode(),
                                         "pixels_sha256": hashlib.sha256(pixels.tobytes()).hexdigest()}
            image = teacher.image_embeddings(pixels)
            embeddings[name] = f32_b64(image.numpy())
        entry = {"id": item["id"], "has_image": image is not None}
        if role == "scorer":
            entry["prompts"] = []
            for key, keyword in capabilities:
                qs = question(convs, CAP_QUERY.replace("{cap_keyword}", keyword))
                ids = preprocess_qwen(qs, convs[0]["from"], tok, image is not None)
                entry["prompts"].append(dict(capability=key, keyword=keyword,
                                             **teacher.answer(ids, image, max_new_tokens, digit_ids)))
        else:
            ids = preprocess_qwen(question(convs, STYLE_QUERY), convs[0]["from"], tok, image is not None)
            entry["style"] = teacher.answer(ids, image, max_new_tokens, digit_ids)
            entry["style"]["style_logliks"] = teacher.style_logliks(ids, image, style_ids)
        results.append(entry)
        print(f"  {role} {item['id']}: " + (entry["style"]["pred_response"] if role == "styler"
                                             else " ".join(f"{p['expected_score']:.2f}" for p in entry["prompts"])))
    model = {"vocabulary_size": teacher.vocabulary_size, "repetition_penalty": teacher.repetition_penalty,
             "eos_token_ids": teacher.eos_ids, "max_new_tokens": max_new_tokens, "digit_token_ids": digit_ids,
             "style_names": [n for _, n in STYLES], "style_token_ids": style_ids,
             "image_newline": teacher.newline is not None, "image_embeddings": embeddings}
    return model, results


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def tiny_reference(pool):
    make_images()
    images, out = {}, {"pool": "teacher_pool.json", "images_dir": "teacher_images", "image_token_index": IMAGE_TOKEN_INDEX,
                       "checkpoints": "python3 tools/make_teacher_checkpoints.py DIR (DIR/scorer, DIR/styler)"}
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([sys.executable, os.path.join(ROOT, "tools", "make_teacher_checkpoints.py"), d], check=True)
        for role in ["scorer", "styler"]:
            ckpt = os.path.join(d, role)
            teacher = Teacher.from_checkpoint(ckpt)
            model, results = run_pool(teacher, role, pool, MAX_NEW_TOKENS, CAPABILITIES, images)
            model["shard_sha256"] = {n: sha256(os.path.join(ckpt, n)) for n in sorted(os.listdir(ckpt))
                                     if n.endswith(".safetensors")}
            out[role] = {"model": model, "items": results}
    out["images"] = images
    path = os.path.join(FIXTURES, "teacher_reference.json")
    with open(path, "w") as f:
        json.dump(out, f, ensure_ascii=False)
    print(f"wrote {path} ({os.path.getsize(path):,} bytes)")


def qwen05b_reference(pool):
    from transformers import AutoModelForCausalLM, AutoTokenizer
    d, name = os.path.join(ROOT, "weights", "cache"), "qwen2.5-coder-0.5b-instruct.gguf"
    tok = AutoTokenizer.from_pretrained(d, gguf_file=name)
    lm = AutoModelForCausalLM.from_pretrained(d, gguf_file=name, torch_dtype=torch.float32, attn_implementation="eager")
    lm.eval()
    # A plain chat GGUF has no generation_config: penalty 1, stops at <|im_end|> and <|endoftext|>; len(tok)
    # counts the GGUF's padding tokens, i.e. every stored row.
    teacher = Teacher(lm, tok, len(tok), 1.0, tok.convert_tokens_to_ids(["<|im_end|>", "<|endoftext|>"]))
    items = [next(i for i in pool if i["id"] == wanted) for wanted in QWEN05B_ITEMS]
    caps = [c for c in CAPABILITIES if c[0] in QWEN05B_CAPABILITIES]
    out = {"model": name, "pool": "teacher_pool.json", "text_only": True}
    for role in ["scorer", "styler"]:
        model, results = run_pool(teacher, role, items, QWEN05B_MAX_NEW_TOKENS, caps, with_images=False)
        del model["image_embeddings"], model["image_newline"]
        out[role] = {"model": model, "items": results}
    path = os.path.join(FIXTURES, "teacher_qwen05b_reference.json")
    with open(path, "w") as f:
        json.dump(out, f, ensure_ascii=False)
    print(f"wrote {path} ({os.path.getsize(path):,} bytes)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--qwen05b", action="store_true", help="also (only, with --skip-tiny) the real 0.5B reference")
    ap.add_argument("--skip-tiny", action="store_true")
    args = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(1)
    with open(POOL, encoding="utf-8") as f:
        pool = json.load(f)
    if not args.skip_tiny:
        tiny_reference(pool)
    if args.qwen05b:
        qwen05b_reference(pool)


if __name__ == "__main__":
    main()
