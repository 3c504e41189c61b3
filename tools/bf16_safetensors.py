"""bf16 safetensors for the tools' tiny checkpoints (numpy has no bf16: tensors are uint16 bit patterns)."""
import json

import numpy as np


def bf16_bits(values):
    """float32 -> bf16 bit patterns, round to nearest even."""
    u = values.view(np.uint32)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def write(path, tensors):
    """A safetensors file (metadata format "pt", as torch writes it) of BF16 tensors given as bit patterns."""
    header, offset = {"__metadata__": {"format": "pt"}}, 0
    for name, bits in tensors.items():
        header[name] = {"dtype": "BF16", "shape": list(bits.shape), "data_offsets": [offset, offset + bits.nbytes]}
        offset += bits.nbytes
    blob = json.dumps(header).encode()
    blob += b" " * (-len(blob) % 8)
    with open(path, "wb") as f:
        f.write(len(blob).to_bytes(8, "little"))
        f.write(blob)
        for bits in tensors.values():
            f.write(np.ascontiguousarray(bits).tobytes())
