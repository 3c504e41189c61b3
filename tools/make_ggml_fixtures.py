#!/usr/bin/env python3
"""Writes Tests/TensorTests/Fixtures/ggml_blocks.json: random blocks of every ggml type mmssr dequantises and
the `gguf` package's gguf.quants.dequantize of them (the reference), values as fp32 bit patterns.

Random bytes are valid blocks for these types once their fp16 scale fields hold finite values.
    python3 tools/make_ggml_fixtures.py
"""
import json
import os

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import quants

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "TensorTests", "Fixtures", "ggml_blocks.json")

# type -> byte offsets of its fp16 scale fields within a block
SCALES = {
    T.Q4_0: [0], T.Q4_1: [0, 2], T.Q5_0: [0], T.Q5_1: [0, 2], T.Q8_0: [0],
    T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208],
}


def main() -> None:
    rng = np.random.default_rng(2026)
    entries = []
    blocks = 5
    for t, offsets in SCALES.items():
        elements, size = quants.GGML_QUANT_SIZES[t]
        raw = rng.integers(0, 256, size=(blocks, size), dtype=np.uint8)
        for off in offsets:
            raw[:, off:off + 2] = rng.normal(0, 0.05, size=blocks).astype(np.float16).view(np.uint8).reshape(blocks, 2)
        values = quants.dequantize(raw.reshape(-1), t).astype(np.float32).reshape(-1)
        assert values.size == blocks * elements and np.isfinite(values).all()
        entries.append({"type": int(t), "name": t.name, "blocks": blocks, "bytes": raw.tobytes().hex(),
                        "bits": values.view(np.uint32).tolist()})
    for t, dtype in ((T.F16, np.float16), (T.BF16, None)):
        x = rng.normal(0, 3, size=64).astype(np.float32)
        if dtype is np.float16:
            raw = x.astype(np.float16).view(np.uint8)
        else:
            raw = (x.view(np.uint32) >> 16).astype(np.uint16).view(np.uint8)
        values = quants.dequantize(raw, t).astype(np.float32).reshape(-1)
        entries.append({"type": int(t), "name": t.name, "blocks": 64, "bytes": raw.tobytes().hex(),
                        "bits": values.view(np.uint32).tolist()})
    with open(OUT, "w") as f:
        json.dump({"types": entries}, f)
    print(f"wrote {OUT} ({os.path.getsize(OUT):,} bytes, {len(entries)} types)")


if __name__ == "__main__":
    main()
