#!/usr/bin/env python3
"""Simulate int8 schemes for the Qwen2 decoder on Qwen2.5-Coder-0.5B and measure each against fp32.

    nice -n 5 python3 tools/simulate_qwen2_int8.py [--only NAME...]    # needs torch, transformers, accelerate, gguf

The model is transformers' fp32 forward of weights/cache/qwen2.5-coder-0.5b-instruct.gguf (dequantised by its
GGUF loader); each scheme replaces every linear layer's forward (q/k/v/o, gate/up/down, the tied head) with a
fake-quantised one: weights symmetric int8 per output row (scale = max|row| / 127, round half even), activations
symmetric int8 per token (or per block of K), the product in fp32 (exact for int8 x int8 sums of this size up to
fp32 rounding), then the scales. Metrics on the 512-token reference text of tools/make_qwen2_reference.py:
top-1 agreement with the fp32 forward and perplexity relative to fp32; calibration (SmoothQuant maxima, outlier
channels) uses the text the Swift loader calibrates on (Qwen2Calibration.calibrationText), disjoint from that text.
Results: README "Measured on Qwen2.5-Coder-0.5B".
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
from make_qwen2_reference import GGUF, TEXT  # noqa: E402

KINDS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def calibration_text() -> str:
    """Qwen2Calibration.calibrationText, the text the Swift loader calibrates on (a Swift multi-line literal:
    its closing delimiter's indentation is removed from every line)."""
    with open(os.path.join(ROOT, "Sources", "Scorer", "LanguageModel", "Qwen2Calibration.swift")) as f:
        swift = f.read()
    body = swift.split('static let calibrationText = """\n', 1)[1].split('"""', 1)[0]
    lines = body.split("\n")
    indent = lines[-1]
    assert indent.strip() == "", "the literal's closing delimiter is on its own line"
    return "\n".join(line[len(indent):] if line.startswith(indent) else line.lstrip(" ") for line in lines[:-1])


def quant_rows(w: torch.Tensor) -> torch.Tensor:
    """w quantised per row and dequantised (the int8 weights times their scales)."""
    s = w.abs().amax(dim=1, keepdim=True) / 127
    s = torch.where(s > 0, s, torch.ones_like(s))
    return torch.clamp(torch.round(w / s), -127, 127) * s


def quant_acts(x: torch.Tensor, block: int | None) -> torch.Tensor:
    """x [T, K] quantised per row (block None) or per block of `block` columns, dequantised."""
    shape = x.shape
    if block:
        x = x.reshape(shape[0], shape[1] // block, block)
    amax = x.abs().amax(dim=-1, keepdim=True)
    s = torch.where(amax > 0, amax / 127, torch.ones_like(amax))
    inv = torch.where(amax > 0, 127 / amax, torch.zeros_like(amax))
    return (torch.clamp(torch.round(x * inv), -127, 127) * s).reshape(shape)


class Scheme:
    """How each linear layer runs. Defaults: W8A8 per-token everywhere."""

    def __init__(self, name, block=None, smooth=None, outliers=None, fp32=lambda layer, kind: False,
                 weights_int8=True, acts_int8=True):
        self.name, self.block, self.smooth, self.outliers = name, block, smooth or {}, outliers or {}
        self.fp32, self.weights_int8, self.acts_int8 = fp32, weights_int8, acts_int8


class Simulator:
    def __init__(self):
        from transformers import AutoModelForCausalLM, AutoTokenizer

        d = os.path.join(ROOT, "weights", "cache")
        self.tok = AutoTokenizer.from_pretrained(d, gguf_file=GGUF)
        self.model = AutoModelForCausalLM.from_pretrained(d, gguf_file=GGUF, torch_dtype=torch.float32).eval()
        self.ids = torch.tensor([self.tok(TEXT * 3, add_special_tokens=False)["input_ids"][:512]])
        calib = self.tok(calibration_text(), add_special_tokens=False)["input_ids"]
        self.calib_ids = torch.tensor([calib])
        self.linears = {}
        for i, layer in enumerate(self.model.model.layers):
            for kind in KINDS:
                mod = getattr(layer.self_attn, kind, None) or getattr(layer.mlp, kind)
                self.linears[(i, kind)] = mod
        self.linears[(-1, "head")] = self.model.lm_head
        self.originals = {k: m.forward for k, m in self.linears.items()}
        with torch.no_grad():
            self.ref_logits = self.model(self.ids).logits[0].double()
        self.ref_top1 = self.ref_logits.argmax(-1)
        self.ref_nll = self.nll(self.ref_logits)
        top2 = torch.topk(self.ref_logits, 2, dim=-1).values
        self.margin = (top2[:, 0] - top2[:, 1]).numpy()
        self.amax = self.calibrate()

    def nll(self, logits):
        lp = torch.log_softmax(logits, -1)
        return -lp[torch.arange(511), self.ids[0, 1:]].mean().item()

    def calibrate(self) -> dict:
        """max |x_c| over the calibration tokens of every linear layer's input."""
        amax = {}

        def hook(key):
            def f(mod, inp):
                a = inp[0].reshape(-1, inp[0].shape[-1]).abs().amax(0)
                amax[key] = torch.maximum(amax[key], a) if key in amax else a
            return f

        handles = [m.register_forward_pre_hook(hook(k)) for k, m in self.linears.items()]
        with torch.no_grad():
            self.model(self.calib_ids)
        for h in handles:
            h.remove()
        return amax

    def install(self, scheme: Scheme):
        for key, mod in self.linears.items():
            layer, kind = key
            if scheme.fp32(layer, kind):
                mod.forward = self.originals[key]
                continue
            w = mod.weight.detach()
            s = scheme.smooth.get(key)
            if s is not None:
                w = w * s[None, :]
            idx = scheme.outliers.get(key)
            w_rest = w
            if idx is not None:
                mask = torch.ones(w.shape[1], dtype=torch.bool)
                mask[idx] = False
                w_out = w[:, idx].clone()
                w_rest = w.clone()
                w_rest[:, idx] = 0
            wq = quant_rows(w_rest) if scheme.weights_int8 else w_rest
            bias = mod.bias

            def fwd(x, wq=wq, s=s, idx=idx, bias=bias, w_out=(w_out if idx is not None else None)):
                shape = x.shape
                x = x.reshape(-1, shape[-1])
                if s is not None:
                    x = x / s
                if idx is not None:
                    xo = x[:, idx]
                    x = x.clone()
                    x[:, idx] = 0
                xq = quant_acts(x, scheme.block) if scheme.acts_int8 else x
                y = xq @ wq.T
                if idx is not None:
                    y = y + xo @ w_out.T
                if bias is not None:
                    y = y + bias
                return y.reshape(*shape[:-1], -1)

            mod.forward = fwd

    def evaluate(self, scheme: Scheme):
        self.install(scheme)
        with torch.no_grad():
            logits = self.model(self.ids).logits[0].double()
        for key, mod in self.linears.items():
            mod.forward = self.originals[key]
        agree = logits.argmax(-1) == self.ref_top1
        ppl = np.exp(self.nll(logits)) / np.exp(self.ref_nll) - 1
        return int(agree.sum()), ppl, (~agree).numpy()


def smoothing(sim: Simulator, alpha: float, kinds, pow2=True) -> dict:
    """SmoothQuant factors per layer; q/k/v and gate/up share theirs (they share an input)."""
    groups = {}
    for (layer, kind), mod in sim.linears.items():
        if kind not in kinds:
            continue
        g = {"q_proj": "qkv", "k_proj": "qkv", "v_proj": "qkv", "gate_proj": "gu", "up_proj": "gu"}.get(kind, kind)
        groups.setdefault((layer, g), []).append((layer, kind))
    out = {}
    for members in groups.values():
        xmax = sim.amax[members[0]].clamp(min=1e-5)
        wmax = torch.stack([sim.linears[m].weight.detach().abs().amax(0) for m in members]).amax(0).clamp(min=1e-5)
        s = xmax ** alpha / wmax ** (1 - alpha)
        s = s / torch.exp(torch.log(s).mean())
        s = s.clamp(0.01, 100)
        if pow2:
            s = torch.exp2(torch.round(torch.log2(s)))
        for m in members:
            out[m] = s
    return out


def outlier_channels(sim: Simulator, count: int, kinds) -> dict:
    return {k: torch.topk(sim.amax[k], count).indices for k in sim.linears if k[1] in kinds}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--layers", action="store_true", help="also keep one layer index at a time in fp32")
    args = ap.parse_args()
    torch.set_num_threads(2)
    t0 = time.time()
    sim = Simulator()
    print(f"loaded and calibrated in {time.time() - t0:.0f} s; fp32 ppl {np.exp(sim.ref_nll):.4f}")
    m = sim.margin
    print("fp32 top-1/top-2 logit margin: " + ", ".join(f"p{q}={np.percentile(m, q):.3f}" for q in (5, 10, 25, 50)))
    all_kinds = KINDS
    schemes = [
        Scheme("W8A8 per token (today)"),
        Scheme("weights int8, activations fp32", acts_int8=False),
        Scheme("weights fp32, activations int8 per token", weights_int8=False),
    ]
    for b in (32, 64, 128):
        schemes.append(Scheme(f"activation blocks of {b}", block=b))
    for a in (0.5, 0.65, 0.8):
        schemes.append(Scheme(f"SmoothQuant alpha {a} all", smooth=smoothing(sim, a, all_kinds)))
        schemes.append(Scheme(f"SmoothQuant alpha {a} qkv+gate/up (fold into norms)",
                              smooth=smoothing(sim, a, ("q_proj", "k_proj", "v_proj", "gate_proj", "up_proj"))))
    for n in (4, 8, 16, 32):
        schemes.append(Scheme(f"{n} outlier channels fp32 (calibration)", outliers=outlier_channels(sim, n, all_kinds)))
    for kind in KINDS + ("head",):
        schemes.append(Scheme(f"only {kind} in fp32", fp32=lambda l, k, kind=kind: k == kind))
    schemes.append(Scheme("blocks of 32 + SmoothQuant 0.5 all", block=32, smooth=smoothing(sim, 0.5, all_kinds)))
    for a in (0.5, 0.6, 0.7, 0.85):
        schemes.append(Scheme(f"SmoothQuant alpha {a} all ", smooth=smoothing(sim, a, all_kinds)))
    if args.layers:
        for i in range(len(sim.model.model.layers)):
            schemes.append(Scheme(f"layer {i} fp32", fp32=lambda l, k, i=i: l == i))
    if args.only:
        schemes = [s for s in schemes if any(o in s.name for o in args.only)]
    print(f"{'scheme':58s} top-1 agree    ppl vs fp32  wrong@margin<0.5")
    for s in schemes:
        agree, ppl, wrong = sim.evaluate(s)
        low = int((wrong & (m < 0.5)).sum())
        print(f"{s.name:58s} {agree:3d}/512 {agree / 512:6.1%}  {ppl:+7.2%}   {low}/{int(wrong.sum())}", flush=True)


if __name__ == "__main__":
    main()
