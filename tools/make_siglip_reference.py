#!/usr/bin/env python3
"""Writes the SigLIP fixtures of Tests/VisionTests/Fixtures/siglip/ (llm.c style: the Swift tests compare
against what Hugging Face transformers computes, torch CPU, fp32):

- siglip_tiny.gguf: a tiny random `transformers.SiglipVisionModel` (hidden 72, 3 layers, 4 heads of 18: a head
  dim the SIMD attention kernels run padded, like so400m's 72; ffn 96, image 56, patch 14, LayerNorm eps 1e-6,
  gelu_pytorch_tanh) in the mmssr layout of docs/model-file.md ("Teacher files: SigLIP"), with the LAST layer
  left out as LLaVA-NeXT deletes it: 2 blocks stored and run.
  Matrices are F16 (the model's weights are rounded to f16 first, so both sides use the same values), the rest
  F32.
- three small PNGs: a non-square RGB image, an RGBA one (alpha dropped by convert("RGB")) and a palette one.
- siglip_reference.json: per image, the preprocessed pixel values (float32, base64, CHW) of LLaVA-NeXT's
  SigLipImageProcessor, transcribed here with transformers' own image transforms in its order (convert_to_rgb,
  to_numpy_array, resize bicubic reducing_gap None, rescale 1/255 in float64 then float32, normalize), and the
  tower's features: `hidden_states[-2]` of the full 3-layer model, which the script checks equal
  `hidden_states[-1]` after deleting the last layer (what LLaVA-NeXT runs) and equal the batched forward.

    python3 tools/make_siglip_reference.py     # needs torch, transformers, gguf, Pillow (seconds)

transformers >= 4.41 composites transparent images on white in `convert_to_rgb`; LLaVA-NeXT pins 4.39/4.40,
whose `convert_to_rgb` is a plain `image.convert("RGB")` (SPEC §6), so that is what is called here.
"""
import base64
import json
import os

import gguf
import numpy as np
import torch
from PIL import Image
from transformers import SiglipVisionConfig, SiglipVisionModel
from transformers.image_transforms import normalize, rescale, resize
from transformers.image_utils import ChannelDimension, PILImageResampling

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "VisionTests", "Fixtures", "siglip")
MEAN = STD = (0.5, 0.5, 0.5)
CONFIG = dict(hidden_size=72, intermediate_size=96, num_hidden_layers=3, num_attention_heads=4, num_channels=3,
              image_size=56, patch_size=14, layer_norm_eps=1e-6, hidden_act="gelu_pytorch_tanh",
              attention_dropout=0.0, vision_use_head=False)


def make_images() -> list[str]:
    rng = np.random.default_rng(16)
    y, x = np.mgrid[0:41, 0:73]
    rgb = np.stack([x * 3, y * 6, (x + y) * 2], -1) + rng.integers(0, 40, (41, 73, 3))
    Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB").save(os.path.join(OUT, "siglip_rgb_73x41.png"))
    rgba = rng.integers(0, 256, (30, 30, 4)).astype(np.uint8)
    Image.fromarray(rgba, "RGBA").save(os.path.join(OUT, "siglip_rgba_30x30.png"))
    y, x = np.mgrid[0:120, 0:97]
    index = ((x // 7 + y // 5) % 16).astype(np.uint8)
    palette = Image.fromarray(index, "P")
    palette.putpalette(rng.integers(0, 256, 16 * 3).astype(np.uint8).tolist())
    palette.save(os.path.join(OUT, "siglip_palette_97x120.png"))
    return ["siglip_rgb_73x41.png", "siglip_rgba_30x30.png", "siglip_palette_97x120.png"]


def preprocess(path: str, size: int) -> np.ndarray:
    """LLaVA-NeXT SigLipImageProcessor.preprocess on one image (transformers 4.40 transforms)."""
    image = Image.open(path)
    if image.mode != "RGB":
        image = image.convert("RGB")
    array = np.array(image)
    array = resize(array, (size, size), resample=PILImageResampling.BICUBIC, data_format=ChannelDimension.FIRST)
    array = rescale(array, 1 / 255, data_format=ChannelDimension.FIRST)
    array = normalize(array, mean=MEAN, std=STD, data_format=ChannelDimension.FIRST)
    assert array.dtype == np.float32 and array.shape == (3, size, size)
    return array


def randomize(model: SiglipVisionModel, seed: int) -> None:
    """Weights of a trained model's magnitudes (the library's init leaves LayerNorms at 1/0 and biases at 0,
    which would not test them); matrices rounded to f16, as the fixture stores them."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() >= 2 and "position" not in name:
                fan_in = p[0].numel()
                p.copy_((torch.randn(p.shape, generator=g) / fan_in ** 0.5).half().float())
            elif "position" in name:
                p.copy_(torch.randn(p.shape, generator=g) * 0.5)
            elif "layer_norm" in name and name.endswith("weight"):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(0.1 * torch.randn(p.shape, generator=g))


def write_gguf(model: SiglipVisionModel, path: str, blocks: int) -> None:
    c = model.config
    # transformers 5 dropped the `vision_model.` level of 4.x's names.
    sd = {k.removeprefix("vision_model."): v.detach().numpy() for k, v in model.state_dict().items()}
    w = gguf.GGUFWriter(path, arch="siglip")
    w.add_uint32("siglip.image_size", c.image_size)
    w.add_uint32("siglip.patch_size", c.patch_size)
    w.add_uint32("siglip.embedding_length", c.hidden_size)
    w.add_uint32("siglip.block_count", blocks)
    w.add_uint32("siglip.attention.head_count", c.num_attention_heads)
    w.add_uint32("siglip.feed_forward_length", c.intermediate_size)
    w.add_float32("siglip.attention.layer_norm_epsilon", c.layer_norm_eps)
    w.add_array("siglip.image_mean", list(MEAN))
    w.add_array("siglip.image_std", list(STD))

    def matrix(name: str, value: np.ndarray) -> None:
        w.add_tensor(name, value.astype(np.float16))

    def vector(name: str, value: np.ndarray) -> None:
        w.add_tensor(name, value.astype(np.float32))

    patch = sd["embeddings.patch_embedding.weight"]  # [hidden, 3, p, p]: flattened in (c, y, x) order
    matrix("v.patch_embd.weight", patch.reshape(patch.shape[0], -1))
    vector("v.patch_embd.bias", sd["embeddings.patch_embedding.bias"])
    vector("v.position_embd.weight", sd["embeddings.position_embedding.weight"])
    names = {"ln1": "layer_norm1", "ln2": "layer_norm2", "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj",
             "attn_v": "self_attn.v_proj", "attn_out": "self_attn.out_proj", "ffn_up": "mlp.fc1", "ffn_down": "mlp.fc2"}
    for i in range(blocks):
        for ours, theirs in names.items():
            src = f"encoder.layers.{i}.{theirs}"
            (vector if ours.startswith("ln") else matrix)(f"v.blk.{i}.{ours}.weight", sd[src + ".weight"])
            vector(f"v.blk.{i}.{ours}.bias", sd[src + ".bias"])
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def b64(a: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(a, dtype="<f4").tobytes()).decode()


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    config = SiglipVisionConfig(**CONFIG)
    config._attn_implementation = "eager"
    model = SiglipVisionModel(config).eval()
    randomize(model, seed=16)
    blocks = config.num_hidden_layers - 1
    write_gguf(model, os.path.join(OUT, "siglip_tiny.gguf"), blocks)

    names = make_images()
    pixels = [preprocess(os.path.join(OUT, n), config.image_size) for n in names]
    batch = torch.from_numpy(np.stack(pixels))
    with torch.no_grad():
        full = model(pixel_values=batch, output_hidden_states=True).hidden_states[-2]
        del getattr(model, "vision_model", model).encoder.layers[-1:]  # as LLaVA-NeXT's SigLipVisionTower does
        kept = model(pixel_values=batch, output_hidden_states=True).hidden_states[-1]
        single = [model(pixel_values=batch[i:i + 1], output_hidden_states=True).hidden_states[-1][0]
                  for i in range(len(names))]
    assert torch.equal(full, kept), "hidden_states[-2] of the full model is not the output with the last layer deleted"
    for i, s in enumerate(single):
        assert torch.allclose(s, kept[i], rtol=0, atol=1e-5), f"image {i}: batched and single forwards differ"
    grid = (config.image_size // config.patch_size) ** 2
    items = []
    for i, name in enumerate(names):
        feats = kept[i].numpy()
        assert feats.shape == (grid, config.hidden_size)
        items.append({"image": name, "mode": Image.open(os.path.join(OUT, name)).mode,
                      "pixels_f32": b64(pixels[i]), "features_shape": list(feats.shape), "features_f32": b64(feats)})
    with open(os.path.join(OUT, "siglip_reference.json"), "w") as f:
        json.dump({"config": CONFIG, "blocks_run": blocks, "items": items}, f, indent=1)
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"wrote {OUT}: {total} bytes")


if __name__ == "__main__":
    main()
