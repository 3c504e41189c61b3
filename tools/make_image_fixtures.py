#!/usr/bin/env python3
"""Generates the image-decoding and resize fixtures for Tests/VisionTests (Pillow is the reference).

Run from the repository root:  python3 tools/make_image_fixtures.py
Needs Pillow 13, numpy and scikit-image (for its bundled photos). Output is deterministic.

Writes Tests/VisionTests/Fixtures/images/:
  *.jpg/*.png/...      inputs of every kind the decoder handles, plus broken and unsupported files
  resize_*.png         Pillow's bicubic resize outputs (PNG, lossless) for the resize tests
  manifest.json        per input: Pillow's decode (size + FNV-1a-64 of the RGB bytes) or the error
                       kind we expect; truncation sweeps; resize cases.

Synthetic resize sources are not stored: both sides generate them with `pattern()` below, which the
Swift tests reimplement exactly.
"""
import io
import json
import os
import struct
import warnings
import zlib

import numpy as np
from PIL import Image
import skimage.data

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "VisionTests", "Fixtures", "images")
SKDATA = os.path.dirname(skimage.data.__file__)
manifest = {"decode": {}, "errors": {}, "truncation": [], "resize": []}


def fnv1a64(data: bytes) -> str:
    h = 0xCBF29CE484222325
    arr = np.frombuffer(data, dtype=np.uint8)
    # Plain loop is too slow for large images; process in Python ints over bytes anyway (small files).
    for b in arr.tobytes():
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def pil_rgb(data: bytes):
    im = Image.open(io.BytesIO(data))
    return im.convert("RGB")


def write(name: str, data: bytes):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def add_decode(name: str, data: bytes):
    write(name, data)
    rgb = pil_rgb(data)
    manifest["decode"][name] = {"width": rgb.width, "height": rgb.height, "fnv": fnv1a64(rgb.tobytes())}


def add_error(name: str, data: bytes, kind: str):
    write(name, data)
    try:
        pil_rgb(data)
        pil_ok = True
    except Exception:
        pil_ok = False
    # Broken files must fail in Pillow too; over-cap files pass its higher cap, and unsupported
    # formats are ones Pillow reads but we deliberately do not.
    assert kind in ("tooLarge", "unsupportedFormat") or not pil_ok, f"Pillow decodes {name}"
    manifest["errors"][name] = kind


def encode(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


# ---------------------------------------------------------------- a minimal PNG writer
# Pillow cannot write interlaced PNGs, 2-bit grey or 16-bit grey+alpha, so PNGs are written by hand.

def chunk(tag: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body) & 0xFFFFFFFF)


def pack_row(samples: np.ndarray, bit_depth: int) -> bytes:
    """samples: 1-D array of sample values for one row (channels interleaved)."""
    if bit_depth == 16:
        return samples.astype(">u2").tobytes()
    if bit_depth == 8:
        return samples.astype(np.uint8).tobytes()
    per = 8 // bit_depth
    out = bytearray()
    for i in range(0, len(samples), per):
        byte = 0
        group = samples[i:i + per]
        for j in range(per):
            v = int(group[j]) if j < len(group) else 0
            byte |= v << (8 - bit_depth * (j + 1))
        out.append(byte)
    return bytes(out)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def filter_rows(rows, bpp):
    """Applies filter types 0-4 in rotation so the decoder's unfiltering is exercised."""
    out = bytearray()
    prev = bytes(len(rows[0])) if rows else b""
    for i, row in enumerate(rows):
        ftype = i % 5
        res = bytearray()
        for x in range(len(row)):
            a = row[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            pred = [0, a, b, (a + b) // 2, paeth(a, b, c)][ftype]
            res.append((row[x] - pred) & 0xFF)
        out.append(ftype)
        out += res
        prev = row
    return bytes(out)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def make_png(pixels: np.ndarray, color_type: int, bit_depth: int, interlace=False, plte=None, trns=None) -> bytes:
    """pixels: H x W x C array of raw sample values (palette indices for type 3)."""
    h, w = pixels.shape[:2]
    ch = CHANNELS[color_type]
    pixels = pixels.reshape(h, w, ch)
    bpp = max(1, ch * bit_depth // 8)
    if interlace:
        data = b""
        for x0, y0, dx, dy in ADAM7:
            sub = pixels[y0::dy, x0::dx]
            if sub.size == 0:
                continue
            rows = [pack_row(r.reshape(-1), bit_depth) for r in sub]
            data += filter_rows(rows, bpp)
    else:
        rows = [pack_row(r.reshape(-1), bit_depth) for r in pixels]
        data = filter_rows(rows, bpp)
    out = b"\x89PNG\r\n\x1a\n"
    out += chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 1 if interlace else 0))
    out += chunk(b"gAMA", struct.pack(">I", 100000))  # a gamma of 1.0: must be ignored, as Pillow does
    if plte is not None:
        out += chunk(b"PLTE", bytes(np.asarray(plte, dtype=np.uint8).reshape(-1)))
    if trns is not None:
        out += chunk(b"tRNS", trns)
    # Two IDAT chunks, to exercise chunk boundaries inside the stream.
    z = zlib.compress(data, 9)
    half = len(z) // 2
    out += chunk(b"IDAT", z[:half]) + chunk(b"IDAT", z[half:])
    out += chunk(b"IEND", b"")
    return out


# ---------------------------------------------------------------- sources

rng = np.random.default_rng(20240605)
astronaut = np.asarray(Image.open(os.path.join(SKDATA, "astronaut.png")).convert("RGB"))
coffee = np.asarray(Image.open(os.path.join(SKDATA, "coffee.png")).convert("RGB"))
camera = np.asarray(Image.open(os.path.join(SKDATA, "camera.png")).convert("L"))


def crop(a, y, x, h, w):
    return np.ascontiguousarray(a[y:y + h, x:x + w])


photo = Image.fromarray(crop(astronaut, 60, 150, 45, 61))  # odd size: partial MCUs on both edges
photo2 = Image.fromarray(crop(coffee, 100, 200, 37, 50))
gray = Image.fromarray(crop(camera, 80, 200, 41, 53))


def pattern(w, h, seed, smooth):
    """Deterministic RGB8 test pattern; mirrored in Tests/VisionTests/ResizeTests.swift."""
    y, x, c = np.meshgrid(np.arange(h, dtype=np.uint64), np.arange(w, dtype=np.uint64),
                          np.arange(3, dtype=np.uint64), indexing="ij")
    m = np.uint64(0xFFFFFFFF)
    v = (x * np.uint64(73856093)) ^ (y * np.uint64(19349663)) ^ (c * np.uint64(83492791)) ^ np.uint64(seed * 2654435761 & 0xFFFFFFFF)
    v &= m
    v = ((v ^ (v >> np.uint64(13))) * np.uint64(0x5BD1E995)) & m
    v ^= v >> np.uint64(15)
    if smooth:
        # Wrapping ramps: smooth areas plus hard 255->0 edges whose overshoot must clip. No noise,
        # so the 224x224 references compress well; noise is covered by the small random cases.
        v = (x * np.uint64(5) + y * np.uint64(3) + c * np.uint64(40) + np.uint64(seed))
    return (v & np.uint64(255)).astype(np.uint8)


def main():
    warnings.simplefilter("ignore")  # Pillow nags about palette tRNS, which is the point
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))

    # JPEG: baseline at every chroma subsampling, progressive, grey, CMYK (Adobe-inverted, as Pillow
    # writes it), restart markers, EXIF orientation (must NOT rotate), and a real-world file.
    add_decode("jpeg_420.jpg", encode(photo, "JPEG", quality=85, subsampling=2))
    add_decode("jpeg_422.jpg", encode(photo2, "JPEG", quality=90, subsampling=1))
    add_decode("jpeg_444.jpg", encode(photo, "JPEG", quality=95, subsampling=0))
    add_decode("jpeg_progressive.jpg", encode(photo2, "JPEG", quality=80, progressive=True))
    add_decode("jpeg_optimized.jpg", encode(photo, "JPEG", quality=70, optimize=True))
    add_decode("jpeg_gray.jpg", encode(gray, "JPEG", quality=85))
    add_decode("jpeg_gray_progressive.jpg", encode(gray, "JPEG", quality=85, progressive=True))
    add_decode("jpeg_cmyk.jpg", encode(photo.convert("CMYK"), "JPEG", quality=90))
    cmyk = Image.fromarray(rng.integers(0, 256, (23, 29, 4), dtype=np.uint8), "CMYK")
    add_decode("jpeg_cmyk_random.jpg", encode(cmyk, "JPEG", quality=95))
    exif = Image.Exif()
    exif[0x0112] = 6
    add_decode("jpeg_exif_rotated.jpg", encode(photo2, "JPEG", quality=85, exif=exif.tobytes()))
    add_decode("jpeg_1x1.jpg", encode(Image.new("RGB", (1, 1), (200, 30, 90)), "JPEG"))
    add_decode("jpeg_tall_1x500.jpg", encode(Image.fromarray(pattern(1, 500, 3, True)), "JPEG", quality=90))
    add_decode("jpeg_wide_500x1.jpg", encode(Image.fromarray(pattern(500, 1, 4, True)), "JPEG", quality=90))
    with open(os.path.join(SKDATA, "rocket.jpg"), "rb") as f:
        add_decode("rocket.jpg", f.read())  # 427x640, from another encoder

    # PNG: every colour type and bit depth, palettes with tRNS and short PLTEs, 16-bit, interlaced.
    rgb = np.asarray(photo2)
    alpha = rng.integers(0, 256, rgb.shape[:2], dtype=np.uint8)
    alpha[::3, :] = 0  # fully transparent rows: their colour must survive
    add_decode("png_rgb.png", make_png(rgb, 2, 8))
    add_decode("png_rgba.png", make_png(np.dstack([rgb, alpha]), 6, 8))
    add_decode("png_rgb_trns.png", make_png(rgb, 2, 8, trns=struct.pack(">HHH", *rgb[0, 0])))
    g = np.asarray(gray)
    add_decode("png_gray.png", make_png(g, 0, 8))
    add_decode("png_gray_trns.png", make_png(g, 0, 8, trns=struct.pack(">H", int(g[0, 0]))))
    add_decode("png_gray_alpha.png", make_png(np.dstack([g, alpha[:g.shape[0], :g.shape[1]] if alpha.shape[0] >= g.shape[0] else np.resize(alpha, g.shape)]), 4, 8))
    for bits in (1, 2, 4):
        add_decode(f"png_gray_{bits}bit.png", make_png(rng.integers(0, 1 << bits, (19, 37)), 0, bits))
    add_decode("png_gray_16bit.png", make_png(rng.integers(0, 1 << 16, (17, 23)) >> rng.integers(0, 16, (17, 23)), 0, 16))
    add_decode("png_gray_alpha_16bit.png", make_png(rng.integers(0, 1 << 16, (13, 21, 2)), 4, 16))
    add_decode("png_rgb_16bit.png", make_png(rng.integers(0, 1 << 16, (15, 22, 3)), 2, 16))
    add_decode("png_rgba_16bit.png", make_png(rng.integers(0, 1 << 16, (14, 25, 4)), 6, 16))
    pal = rng.integers(0, 256, (256, 3))
    add_decode("png_palette.png", make_png(rng.integers(0, 256, (21, 33)), 3, 8, plte=pal))
    add_decode("png_palette_trns.png", make_png(rng.integers(0, 256, (21, 33)), 3, 8, plte=pal,
                                                 trns=bytes(rng.integers(0, 256, 200, dtype=np.uint8))))
    for bits in (1, 2, 4):
        add_decode(f"png_palette_{bits}bit.png", make_png(rng.integers(0, 1 << bits, (18, 29)), 3, bits, plte=pal[:1 << bits]))
    add_decode("png_palette_short.png", make_png(rng.integers(0, 16, (12, 17)), 3, 4, plte=pal[:5]))
    add_decode("png_interlaced_rgb.png", make_png(rgb, 2, 8, interlace=True))
    add_decode("png_interlaced_rgba_16bit.png", make_png(rng.integers(0, 1 << 16, (19, 13, 4)), 6, 16, interlace=True))
    add_decode("png_interlaced_gray_2bit.png", make_png(rng.integers(0, 4, (11, 9)), 0, 2, interlace=True))
    add_decode("png_interlaced_palette_4bit.png", make_png(rng.integers(0, 16, (10, 15)), 3, 4, interlace=True, plte=pal[:16]))
    add_decode("png_interlaced_3x2.png", make_png(rng.integers(0, 256, (2, 3, 3)), 2, 8, interlace=True))
    add_decode("png_1x1.png", make_png(np.array([[[10, 20, 30]]]), 2, 8))
    add_decode("png_tall_1x700.png", make_png(pattern(1, 700, 5, True), 2, 8))
    add_decode("png_wide_700x1.png", make_png(pattern(700, 1, 6, True), 2, 8))
    add_decode("png_named.jpg", encode(photo, "PNG"))  # a PNG with a .jpg name: chosen by signature
    add_decode("jpeg_named.png", encode(photo, "JPEG"))

    # Broken and unsupported files.
    base = encode(photo, "JPEG", quality=85)
    prog = encode(photo2, "JPEG", quality=80, progressive=True)
    png = make_png(rgb, 2, 8)
    add_error("truncated.jpg", base[: len(base) * 6 // 10], "truncated")
    add_error("truncated_progressive.jpg", prog[: len(prog) // 2], "truncated")
    add_error("truncated.png", png[: len(png) * 7 // 10], "truncated")
    add_error("header_only.jpg", base[:300], "truncated")
    add_error("empty.jpg", b"", "emptyFile")
    add_error("text.jpg", b"this is not an image, just text named .jpg\n", "notAnImage")
    add_error("bm_text.jpg", b"BM is how this text starts, but it is not a bitmap\n", "notAnImage")
    twelve = bytearray(base)
    twelve[base.index(b"\xff\xc0") + 4] = 12  # SOF sample precision: a 12-bit JPEG
    add_error("jpeg_12bit.jpg", bytes(twelve), "unsupportedFormat")
    add_error("animation.gif", encode(photo, "GIF"), "unsupportedFormat")
    add_error("photo.webp", encode(photo, "WEBP"), "unsupportedFormat")
    add_error("photo.bmp", encode(photo, "BMP"), "unsupportedFormat")
    bad_crc = bytearray(png)
    bad_crc[40] ^= 0xFF  # inside the first IDAT's data: CRC mismatch on a critical chunk
    add_error("bad_crc.png", bytes(bad_crc), "corrupt")
    garbage = bytearray(base)
    garbage[400:] = bytes(rng.integers(0, 256, len(base) - 400, dtype=np.uint8))
    # Random entropy data usually decodes to noise with warnings; zero the SOS marker to make it fatal.
    sos = base.index(b"\xff\xda")
    garbage = bytearray(base[:sos]) + b"\xff\x01" + bytes(garbage[sos + 2:])
    add_error("corrupt.jpg", bytes(garbage), "corrupt")
    # Headers declaring more than 100 megapixels over tiny bodies: refused before allocation.
    huge = bytearray(base)
    sof = huge.index(b"\xff\xc0")
    huge[sof + 5:sof + 9] = struct.pack(">HH", 10001, 10001)
    add_error("over_cap.jpg", bytes(huge), "tooLarge")
    big_png = bytearray(make_png(np.zeros((1, 1, 3), np.uint8), 2, 8))
    ihdr = struct.pack(">IIBBBBB", 20000, 6000, 8, 2, 0, 0, 0)
    big_png[8:33] = chunk(b"IHDR", ihdr)
    add_error("over_cap.png", bytes(big_png), "tooLarge")

    # Truncation sweep: for cuts through small files, Pillow's verdict (ok + hash, or error).
    for name, data in (("jpeg_420.jpg", base), ("jpeg_progressive.jpg", prog), ("png_rgb.png", png)):
        cuts = sorted(set(list(range(2, len(data), max(1, len(data) // 60))) + list(range(len(data) - 8, len(data)))))
        outcomes = []
        for cut in cuts:
            try:
                im = pil_rgb(data[:cut])
                outcomes.append([cut, fnv1a64(im.tobytes())])
            except Exception:
                outcomes.append([cut, None])
        manifest["truncation"].append({"file": name, "cuts": outcomes})

    # Resize: photos (through their JPEG decode) and synthetic patterns of many shapes.
    add_decode("resize_src_astronaut_640x480.jpg", encode(Image.fromarray(crop(astronaut, 0, 0, 480, 512)).resize((640, 480)), "JPEG", quality=75))
    add_decode("resize_src_coffee_300x400.jpg", encode(Image.fromarray(crop(coffee, 0, 100, 400, 300)), "JPEG", quality=75))
    for src in ("resize_src_astronaut_640x480.jpg", "resize_src_coffee_300x400.jpg", "rocket.jpg"):
        out = pil_rgb(open(os.path.join(OUT, src), "rb").read()).resize((224, 224), Image.BICUBIC)
        ref = src.replace(".jpg", "_224.png").replace("resize_src_", "resize_ref_")
        if not ref.startswith("resize_ref_"):
            ref = "resize_ref_" + ref
        write(ref, encode(out, "PNG", optimize=True))
        manifest["resize"].append({"source": src, "width": 224, "height": 224, "reference": ref,
                                   "fnv": fnv1a64(out.tobytes())})
    # Extreme and near-identity shapes at 224, then random shapes at small targets (noise: the
    # hardest case for rounding).
    shapes = [(1, 5000), (5000, 1), (3, 2000), (2000, 3), (1, 1), (2, 2), (7, 3), (224, 225), (225, 224),
              (223, 224), (224, 223), (448, 224), (224, 1000), (1000, 224), (449, 671), (10, 224), (224, 10), (700, 520)]
    for i, (w, h) in enumerate(shapes):
        add_resize_case(w, h, 224, 224, seed=100 + i, smooth=True)
    for i in range(45):
        w, h = int(rng.integers(1, 400)), int(rng.integers(1, 400))
        ow, oh = int(rng.integers(1, 48)), int(rng.integers(1, 48))
        add_resize_case(w, h, ow, oh, seed=1000 + i, smooth=i % 2 == 0)

    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"{len(os.listdir(OUT))} files, {total / 1024:.0f} KiB")


def add_resize_case(w, h, ow, oh, seed, smooth):
    src = Image.fromarray(pattern(w, h, seed, smooth), "RGB")
    out = src.resize((ow, oh), Image.BICUBIC)
    ref = f"resize_ref_pattern_{w}x{h}_to_{ow}x{oh}_s{seed}.png"
    write(ref, encode(out, "PNG", optimize=True))
    manifest["resize"].append({"pattern": {"width": w, "height": h, "seed": seed, "smooth": smooth},
                               "width": ow, "height": oh, "reference": ref, "fnv": fnv1a64(out.tobytes())})


if __name__ == "__main__":
    main()
