#!/usr/bin/env python3
"""mmssr's language model beside llama.cpp on the same GGUF, the same prompt length and thread count, in one run.

Each round runs `mmssr bench lm` and llama.cpp (through llama-cpp-python, compiled for this CPU:
`CMAKE_ARGS="-DGGML_NATIVE=ON" pip install llama-cpp-python`) one after the other, alternating which goes first,
each in its own process, so both see the same machine state. Reports prompt processing (prefill) and decode
tokens/s per round, the medians, and the ratios mmssr / llama.cpp.

    python3 tools/bench_vs_llamacpp.py --model weights/cache/qwen2.5-coder-0.5b-instruct.gguf \
        --prompt-tokens 1024 --gen-tokens 32 --threads 2 --rounds 3

The llama.cpp side measures as llama-bench does: random prompt tokens evaluated in one call (n_batch = the
prompt, n_ubatch 512), then one token per call for decode; only the last position's logits are computed.
llama.cpp's AMX repacking (its "extra buffer types", used for Q8_0/Q4_0 tensors when built natively on an AMX
CPU) crashes in ggml_backend_amx_mul_mat with llama-cpp-python 0.3.36 on Sapphire Rapids, so it is off by
default (llama.cpp then runs its AVX-512 VNNI kernels); --llama-extra-bufts turns it back on.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def llama_cpp_round(model: str, prompt_tokens: int, gen_tokens: int, threads: int, seed: int,
                    extra_bufts: bool) -> dict:
    """One llama.cpp measurement in this process (called in a child process by main)."""
    import random

    import llama_cpp
    import llama_cpp.llama as high_level

    defaults = high_level.llama_cpp.llama_model_default_params

    def model_params():
        p = defaults()
        p.use_extra_bufts = extra_bufts
        return p

    high_level.llama_cpp.llama_model_default_params = model_params

    llm = llama_cpp.Llama(model_path=model, n_ctx=prompt_tokens + gen_tokens + 16, n_threads=threads,
                          n_threads_batch=threads, n_batch=prompt_tokens, n_ubatch=512, verbose=False)
    rng = random.Random(seed)
    vocab = llm.n_vocab()
    prompt = [rng.randrange(vocab) for _ in range(prompt_tokens)]
    llm.eval(prompt[:8])  # warm-up: page in the weights, start the threads
    llm.reset()
    t0 = time.perf_counter()
    llm.eval(prompt)
    t1 = time.perf_counter()
    token = prompt[-1]
    for _ in range(gen_tokens):
        llm.eval([token])
        token = rng.randrange(vocab)
    t2 = time.perf_counter()
    return {"prefill_tokens_per_s": prompt_tokens / (t1 - t0), "decode_tokens_per_s": gen_tokens / (t2 - t1)}


def mmssr_round(binary: str, model: str, prompt_tokens: int, gen_tokens: int, threads: int) -> dict:
    cmd = [binary, "bench", "lm", "--model", model, "--prompt-tokens", str(prompt_tokens),
           "--gen-tokens", str(gen_tokens), "--threads", str(threads), "--json"]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"bench_vs_llamacpp: {' '.join(cmd)} failed: {p.stderr.strip().splitlines()[-1:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def child_llama(args: argparse.Namespace, seed: int) -> dict:
    cmd = [sys.executable, __file__, "--llama-child", "--model", args.model, "--prompt-tokens",
           str(args.prompt_tokens), "--gen-tokens", str(args.gen_tokens), "--threads", str(args.threads),
           "--seed", str(seed)] + (["--llama-extra-bufts"] if args.llama_extra_bufts else [])
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"bench_vs_llamacpp: llama.cpp round failed: {p.stderr.strip().splitlines()[-1:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=os.path.join(ROOT, "weights/cache/qwen2.5-coder-0.5b-instruct.gguf"))
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build/release/mmssr"))
    ap.add_argument("--prompt-tokens", type=int, default=1024)
    ap.add_argument("--gen-tokens", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--llama-extra-bufts", action="store_true",
                    help="let llama.cpp repack tensors for AMX (crashes with llama-cpp-python 0.3.36 here)")
    ap.add_argument("--llama-child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.prompt_tokens < 1 or args.gen_tokens < 1 or args.threads < 1 or args.rounds < 1:
        ap.error("--prompt-tokens, --gen-tokens, --threads and --rounds must be >= 1")
    if args.llama_child:
        print(json.dumps(llama_cpp_round(args.model, args.prompt_tokens, args.gen_tokens, args.threads, args.seed,
                                         args.llama_extra_bufts)))
        return
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        sys.exit('bench_vs_llamacpp: llama-cpp-python is missing: CMAKE_ARGS="-DGGML_NATIVE=ON" pip install llama-cpp-python')
    if not os.path.exists(args.binary):
        sys.exit(f"bench_vs_llamacpp: {args.binary} not found: swift build -c release")

    results: dict[str, list[dict]] = {"mmssr": [], "llama.cpp": []}
    print(f"model {os.path.basename(args.model)}, prompt {args.prompt_tokens} tokens, {args.gen_tokens} generated, "
          f"{args.threads} threads, {args.rounds} rounds (alternating order)")
    print(f"{'round':>5} {'engine':>10} {'prefill tok/s':>14} {'decode tok/s':>13}")
    for r in range(args.rounds):
        order = ["mmssr", "llama.cpp"] if r % 2 == 0 else ["llama.cpp", "mmssr"]
        for engine in order:
            if engine == "mmssr":
                res = mmssr_round(args.binary, args.model, args.prompt_tokens, args.gen_tokens, args.threads)
            else:
                res = child_llama(args, args.seed + r)
            results[engine].append(res)
            print(f"{r:>5} {engine:>10} {res['prefill_tokens_per_s']:>14.1f} {res['decode_tokens_per_s']:>13.1f}",
                  flush=True)
    med = {e: {k: statistics.median(x[k] for x in rs) for k in ("prefill_tokens_per_s", "decode_tokens_per_s")}
           for e, rs in results.items()}
    for e in ("mmssr", "llama.cpp"):
        print(f"median {e:>10}: prefill {med[e]['prefill_tokens_per_s']:.1f} tok/s, "
              f"decode {med[e]['decode_tokens_per_s']:.1f} tok/s")
    pre = med["mmssr"]["prefill_tokens_per_s"] / med["llama.cpp"]["prefill_tokens_per_s"]
    dec = med["mmssr"]["decode_tokens_per_s"] / med["llama.cpp"]["decode_tokens_per_s"]
    print(f"mmssr / llama.cpp: prefill {pre:.2f}x, decode {dec:.2f}x")


if __name__ == "__main__":
    main()
