#!/usr/bin/env python3
"""A small GGUF file written by the `gguf` PyPI package (Tests/TensorTests/Fixtures/gguf_py.gguf) and the
values the Swift reader must see in it (gguf_py.json): every metadata value type, and F32, F16, I8, Q8_0
tensors of several ranks."""
import json
import os

import gguf
import numpy as np

here = os.path.join(os.path.dirname(__file__), "..", "Tests", "TensorTests", "Fixtures")
path = os.path.join(here, "gguf_py.gguf")
rng = np.random.default_rng(7)

w = gguf.GGUFWriter(path, arch="mmssr-test")
w.add_uint8("t.u8", 200)
w.add_int8("t.i8", -100)
w.add_uint16("t.u16", 60000)
w.add_int16("t.i16", -30000)
w.add_uint32("t.u32", 4_000_000_000)
w.add_int32("t.i32", -2_000_000_000)
w.add_uint64("t.u64", 2**40 + 3)
w.add_int64("t.i64", -(2**40) - 3)
w.add_float32("t.f32", 1.5e-6)
w.add_float64("t.f64", 3.141592653589793)
w.add_bool("t.bool", True)
w.add_string("t.str", "héllo wörld ✓ 中文")
w.add_array("t.strs", ["a", "", "ß", "[UNK]"])
w.add_array("t.floats", [0.485, 0.456, 0.406])
w.add_array("t.ints", [1, -2, 3])

f32 = rng.standard_normal((3, 5)).astype(np.float32)
f16 = rng.standard_normal((2, 3, 4)).astype(np.float16)
i8 = rng.integers(-128, 128, size=(4, 7), dtype=np.int8)
q8_src = rng.standard_normal((2, 64)).astype(np.float32)
q8 = gguf.quants.quantize(q8_src, gguf.GGMLQuantizationType.Q8_0)
w.add_tensor("f32", f32)
w.add_tensor("f16", f16)
w.add_tensor("i8", i8)
w.add_tensor("q8", q8, raw_shape=q8.shape, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()

q8_deq = gguf.quants.dequantize(q8, gguf.GGMLQuantizationType.Q8_0)
expected = {
    "tensors": {
        "f32": {"shape": list(f32.shape), "type": "F32", "values": f32.ravel().tolist()},
        "f16": {"shape": list(f16.shape), "type": "F16", "values": f16.astype(np.float32).ravel().tolist()},
        "i8": {"shape": list(i8.shape), "type": "I8", "values": i8.ravel().astype(float).tolist()},
        "q8": {"shape": list(q8_src.shape), "type": "Q8_0", "values": q8_deq.ravel().tolist()},
    }
}
with open(os.path.join(here, "gguf_py.json"), "w") as f:
    json.dump(expected, f)
print("wrote", path, os.path.getsize(path), "bytes")

# A small safetensors file from the `safetensors` package, for the safetensors reader.
from safetensors.numpy import save_file  # noqa: E402

st = {"w": rng.standard_normal((3, 4)).astype(np.float32), "b": rng.standard_normal(4).astype(np.float16)}
save_file(st, os.path.join(here, "small.safetensors"))
with open(os.path.join(here, "small_safetensors.json"), "w") as f:
    json.dump({k: {"shape": list(v.shape), "values": v.astype(np.float32).ravel().tolist()} for k, v in st.items()}, f)
