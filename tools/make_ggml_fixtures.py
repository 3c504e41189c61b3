#!/usr/bin/env python3
"""Dequantisation references for GGMLDequantTests, from the `gguf` package (gguf.quants.dequantize).

ggml_blocks.gguf: for every ggml type mmssr decodes, a tensor TYPE (random blocks: random bytes are valid
blocks, with each fp16 scale field overwritten by a random finite half, subnormals included) and TYPE.expected
(F32, what gguf.quants.dequantize makes of it). Shapes give odd block counts so the SIMD tails are exercised.

qwen05b_rows.gguf (with --qwen FILE): the first and last row of a few tensors of the real
Qwen2.5-Coder-0.5B GGUF (one per quantised type it holds), as NAME.first / NAME.last in F32.
"""
import argparse
import os

import gguf
import numpy as np
from gguf import GGMLQuantizationType as T

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "TensorTests", "Fixtures")

# Byte offsets of the fp16 fields inside one block of each type (ggml's block_* structs).
HALF_FIELDS = {
    T.Q4_0: [0], T.Q4_1: [0, 2], T.Q5_0: [0], T.Q5_1: [0, 2], T.Q8_0: [0],
    T.Q2_K: [80, 82], T.Q3_K: [108], T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208],
}
ROWS_COLS = {T.F16: (3, 37), T.BF16: (3, 37), T.I8: (3, 37), T.F32: (3, 37)}
LEGACY = (5, 32 * 9)     # 45 blocks of 32
K_QUANTS = (3, 256 * 3)  # 9 super-blocks of 256


def finite_halves(rng, n):
    bits = rng.integers(0, 1 << 16, size=n, dtype=np.uint16)
    bad = (bits & 0x7C00) == 0x7C00  # exponent all ones: inf or NaN
    bits[bad] &= np.uint16(0xBFFF)   # clear the top exponent bit: a finite value of the same sign
    return bits


def random_tensor(rng, qtype):
    rows, cols = ROWS_COLS.get(qtype, K_QUANTS if qtype in (T.Q2_K, T.Q3_K, T.Q4_K, T.Q5_K, T.Q6_K) else LEGACY)
    block, size = gguf.GGML_QUANT_SIZES[qtype]
    nblocks = rows * cols // block
    raw = rng.integers(0, 256, size=(nblocks, size), dtype=np.uint8)
    if qtype == T.F16:
        raw = finite_halves(rng, nblocks).view(np.uint8).reshape(nblocks, size)
    for off in HALF_FIELDS.get(qtype, []):
        raw[:, off:off + 2] = finite_halves(rng, nblocks).view(np.uint8).reshape(nblocks, 2)
    raw = raw.reshape(rows, cols // block * size)
    if qtype == T.I8:
        expected = raw.view(np.int8).astype(np.float32)
    elif qtype == T.F32:
        raw = rng.standard_normal((rows, cols)).astype(np.float32).view(np.uint8)
        expected = raw.view(np.float32)
    else:
        expected = gguf.quants.dequantize(raw, qtype)
    return raw, expected.reshape(rows, cols).astype(np.float32)


def write_blocks():
    rng = np.random.default_rng(15)
    w = gguf.GGUFWriter(os.path.join(here, "ggml_blocks.gguf"), arch="mmssr-test")
    for qtype in [T.F32, T.F16, T.BF16, T.I8, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0,
                  T.Q2_K, T.Q3_K, T.Q4_K, T.Q5_K, T.Q6_K]:
        raw, expected = random_tensor(rng, qtype)
        w.add_tensor(qtype.name, raw, raw_shape=raw.shape, raw_dtype=qtype)
        w.add_tensor(qtype.name + ".expected", expected)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def write_qwen_rows(path):
    reader = gguf.GGUFReader(path)
    picks = ["token_embd.weight", "blk.0.attn_v.weight", "blk.0.ffn_down.weight", "blk.23.ffn_down.weight",
             "blk.5.ffn_down.weight"]
    w = gguf.GGUFWriter(os.path.join(here, "qwen05b_rows.gguf"), arch="mmssr-test")
    seen = set()
    for t in reader.tensors:
        if t.name not in picks:
            continue
        data = np.asarray(t.data)  # rows of raw blocks, numpy order
        rows = gguf.quants.dequantize(data[[0, -1]], t.tensor_type).astype(np.float32)
        w.add_string(f"rows.{t.name}.type", t.tensor_type.name)
        w.add_tensor(t.name + ".first", rows[0])
        w.add_tensor(t.name + ".last", rows[1])
        seen.add(t.tensor_type.name)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print("types covered:", sorted(seen))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--qwen", help="the Qwen2.5-Coder-0.5B GGUF (weights/cache/qwen2.5-coder-0.5b-instruct.gguf)")
    args = ap.parse_args()
    write_blocks()
    if args.qwen:
        write_qwen_rows(args.qwen)
