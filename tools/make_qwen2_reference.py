#!/usr/bin/env python3
"""Writes Tests/ScorerTests/Fixtures/qwen2_reference.json: what Hugging Face transformers (torch CPU, fp32)
computes with Qwen2.5-Coder-0.5B-Instruct loaded from the llama.cpp GGUF mmssr tests with (dequantised to fp32
by transformers' GGUF loader), for the Swift tests to compare against (llm.c style):

- a 512-token text: its ids, the top-1 id and the NLL of the next token at every position, and the full
  logits at three positions (float16, base64);
- five chat prompts (apply_chat_template with add_generation_prompt=True): their ids and 64 greedy tokens (the
  argmax of a full forward at each step), with the top-1/top-2 logit margin of every step (the tests compare
  up to the first step whose margin is too close to call).

    python3 tools/make_qwen2_reference.py     # needs torch, transformers, accelerate (~1 minute)
"""
import base64
import json
import os

import numpy as np
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
GGUF = "qwen2.5-coder-0.5b-instruct.gguf"
OUT = os.path.join(ROOT, "Tests", "ScorerTests", "Fixtures", "qwen2_reference.json")
POSITIONS = [0, 200, 511]

TEXT = """The pool of instruction samples is read as a stream. Each item holds an image path and a list of turns;
the scorer rates how much the item teaches about fourteen capabilities, from spatial reasoning to optical
character recognition, and the selector spreads a budget over styles and sources.

def select(rows, budget, caps):
    chosen = set()
    while len(chosen) < budget and caps:
        per = max((budget - len(chosen)) // len(caps), 1)
        for cap in list(caps):
            ranked = sorted((r for r in rows if r.ok and r.scores[cap] > 0), key=lambda r: (-r.scores[cap], r.idx))
            new = [r.idx for r in ranked if r.idx not in chosen][:per]
            if not new:
                caps.remove(cap)
            chosen.update(new)
    return sorted(chosen)

A chart shows rainfall in millimetres for twelve months: 78, 64, 55, 41, 30, 12, 8, 10, 25, 48, 70 and 85.
The wettest month is December, the driest July; the total is 526 mm and the mean about 43.8 mm.
Questions about such charts ask for a value, a comparison, or a trend, and good answers name the unit.
Il pleut beaucoup en décembre. 十二月雨最多。 Emoji: 🌧️☀️ — and numbers like 3.14159, 2,718 or 1e-5.
"""

PROMPTS = [
    "Write a Python function that returns the n-th Fibonacci number.",
    "What is the capital of France? Answer in one word.",
    "Explain in two sentences what a KV cache is in a transformer.",
    "List three prime numbers greater than 100.",
    "Translate 'good morning' into German and Spanish.",
]


def main() -> None:
    torch.manual_seed(0)
    d = os.path.join(ROOT, "weights", "cache")
    tok = AutoTokenizer.from_pretrained(d, gguf_file=GGUF)
    model = AutoModelForCausalLM.from_pretrained(d, gguf_file=GGUF, torch_dtype=torch.float32)
    model.eval()
    text_ids = tok(TEXT * 3, add_special_tokens=False)["input_ids"][:512]
    assert len(text_ids) == 512, len(text_ids)
    with torch.no_grad():
        logits = model(torch.tensor([text_ids])).logits[0].float()
    logp = torch.log_softmax(logits.double(), -1)
    nll = [-float(logp[i, text_ids[i + 1]]) for i in range(511)]
    out = {
        "text_ids": text_ids,
        "top1": logits.argmax(-1).tolist(),
        "nll": nll,
        "perplexity": float(np.exp(np.mean(nll))),
        "positions": POSITIONS,
        "logits_f16": [base64.b64encode(logits[p].numpy().astype(np.float16).tobytes()).decode() for p in POSITIONS],
        "chats": [],
    }
    for prompt in PROMPTS:
        text = tok.apply_chat_template([{"role": "user", "content": prompt}], add_generation_prompt=True, tokenize=False)
        ids = tok(text, add_special_tokens=False)["input_ids"]
        # Greedy by definition: argmax of a full forward at every step (transformers' generate() prefill takes
        # another attention path whose logits differ by up to ~0.2 here, enough to flip close calls).
        seq, new, margins = list(ids), [], []
        with torch.no_grad():
            for _ in range(64):
                last = model(torch.tensor([seq])).logits[0, -1].float()
                top = torch.topk(last, 2)
                margins.append(float(top.values[0] - top.values[1]))
                new.append(int(top.indices[0]))
                seq.append(new[-1])
        out["chats"].append({"prompt": prompt, "ids": list(ids), "generated": new, "margins": margins})
    with open(OUT, "w") as f:
        json.dump(out, f)
    print(f"wrote {OUT} ({os.path.getsize(OUT):,} bytes); perplexity {out['perplexity']:.4f}")


if __name__ == "__main__":
    main()
