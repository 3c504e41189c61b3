#!/usr/bin/env python3
"""Render a deterministic image for every `image` path of the realistic pools (dev/ and test/) into images/.

The heads read the text; the images only have to exist and look like their source's kind (a chart for chart QA,
a page for document QA, a figure for geometry, a scene of shapes for photographs), so every item is scored and
none becomes an error row. Pillow only, seeded by the path, so two runs write the same bytes.

    python3 example/realistic/make_images.py            # -> example/realistic/images/**
    python3 example/realistic/make_images.py --out DIR

The test split's helper may add drawing functions in make_images_test.py next to this file: a module with
`draw(rel, rng) -> PIL.Image or None`; it is asked first, and None falls back to the kinds below.
"""
import argparse
import hashlib
import importlib.util
import json
import math
import os
import random
import sys

from PIL import Image, ImageDraw, ImageFont

HERE = os.path.dirname(os.path.abspath(__file__))
PALETTE = [(66, 114, 196), (237, 125, 49), (112, 173, 71), (255, 192, 0), (165, 105, 189), (91, 155, 213)]
WORDS = "total revenue page form date name address invoice report summary table figure north south".split()

# Which kind of picture each source's images are; unknown sources get a scene.
KIND = {
    "chartqa": "chart", "infovqa": "chart", "docvqa": "document", "ocrbench": "document", "textvqa": "sign",
    "geo170k": "geometry", "geoqa": "geometry", "scienceqa": "diagram",
}


def font(size):
    return ImageFont.load_default(size=size)


def rng_for(rel):
    return random.Random(int.from_bytes(hashlib.sha256(rel.encode()).digest()[:8], "little"))


def scene(rng, w=640, h=480):
    im = Image.new("RGB", (w, h), (rng.randrange(90, 200), rng.randrange(120, 220), rng.randrange(150, 255)))
    d = ImageDraw.Draw(im)
    d.rectangle([0, h * 2 // 3, w, h], fill=(rng.randrange(60, 140), rng.randrange(90, 160), 60))
    for _ in range(rng.randrange(4, 9)):
        x, y = rng.randrange(0, w - 80), rng.randrange(h // 4, h - 60)
        s = rng.randrange(30, 160)
        box = [x, y, x + s, y + s * rng.choice([1, 2]) // 2]
        (d.ellipse if rng.random() < 0.5 else d.rectangle)(box, fill=rng.choice(PALETTE), outline=(30, 30, 30))
    return im


def chart(rng, w=800, h=560):
    im = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(im)
    n = rng.randrange(3, 8)
    vals = [rng.randrange(5, 100) for _ in range(n)]
    d.text((20, 12), "Share of respondents, " + str(rng.randrange(2008, 2024)), font=font(22), fill="black")
    d.line([60, h - 60, w - 30, h - 60], fill="black", width=2)
    d.line([60, 60, 60, h - 60], fill="black", width=2)
    bw = (w - 120) // n
    for i, v in enumerate(vals):
        x = 70 + i * bw
        top = h - 60 - int(v / 100 * (h - 140))
        d.rectangle([x, top, x + bw - 16, h - 60], fill=PALETTE[i % len(PALETTE)])
        d.text((x, top - 20), f"{v}%", font=font(16), fill="black")
        d.text((x, h - 50), rng.choice(WORDS).title(), font=font(14), fill="black")
    return im


def document(rng, w=612, h=792):
    im = Image.new("RGB", (w, h), (250, 250, 246))
    d = ImageDraw.Draw(im)
    d.text((40, 30), rng.choice(WORDS).upper() + " " + rng.choice(WORDS).upper(), font=font(26), fill="black")
    y = 90
    while y < h - 40:
        line = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(4, 10)))
        d.text((40, y), line, font=font(14), fill=(20, 20, 20))
        y += rng.randrange(20, 34)
    return im


def sign(rng, w=640, h=480):
    im = scene(rng, w, h)
    d = ImageDraw.Draw(im)
    x, y = rng.randrange(40, 300), rng.randrange(40, 200)
    d.rectangle([x, y, x + 280, y + 90], fill=rng.choice(PALETTE), outline="white", width=4)
    d.text((x + 20, y + 28), rng.choice(WORDS).upper(), font=font(34), fill="white")
    return im


def geometry(rng, w=320, h=240):
    im = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(im)
    cx, cy, r = w // 2, h // 2, min(w, h) // 3
    d.ellipse([cx - r, cy - r, cx + r, cy + r], outline="black", width=2)
    pts = [(cx + r * math.cos(a), cy + r * math.sin(a)) for a in sorted(rng.uniform(0, 2 * math.pi) for _ in range(3))]
    d.polygon(pts, outline="black")
    for p, name in zip(pts, "ABC"):
        d.text((p[0] + 4, p[1] - 14), name, font=font(14), fill="black")
    d.text((cx + 3, cy + 3), "O", font=font(14), fill="black")
    return im


def diagram(rng, w=400, h=300):
    im = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(im)
    for i in range(rng.randrange(2, 5)):
        x, y = 20 + i * 90, rng.randrange(40, 180)
        d.rectangle([x, y, x + 70, y + 50], outline=PALETTE[i % len(PALETTE)], width=3)
        d.text((x + 6, y + 18), rng.choice(WORDS), font=font(13), fill="black")
        if i:
            d.line([x - 20, y + 25, x, y + 25], fill="black", width=2)
    return im


DRAW = {"chart": chart, "document": document, "sign": sign, "geometry": geometry, "diagram": diagram,
        "scene": scene}


def load_test_drawer():
    path = os.path.join(HERE, "make_images_test.py")
    if not os.path.exists(path):
        return None
    spec = importlib.util.spec_from_file_location("make_images_test", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.draw


def image_paths():
    paths = set()
    for split in ("dev", "test"):
        pool = os.path.join(HERE, split, "pool.json")
        if os.path.exists(pool):
            with open(pool) as f:
                paths.update(it["image"] for it in json.load(f) if it.get("image"))
    return sorted(paths)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(HERE, "images"))
    args = ap.parse_args()
    extra = load_test_drawer()
    paths = image_paths()
    for rel in paths:
        rng = rng_for(rel)
        im = extra(rel, rng) if extra else None
        if im is None:
            im = DRAW[KIND.get(rel.split("/")[0], "scene")](rng)
        path = os.path.join(args.out, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if rel.lower().endswith((".jpg", ".jpeg")):
            im.convert("RGB").save(path, quality=88, optimize=False, progressive=False)
        else:
            im.save(path, optimize=False)
    missing = [p for p in paths if not os.path.exists(os.path.join(args.out, p))]
    if missing:
        sys.exit(f"make_images: {len(missing)} paths not written, first {missing[0]}")
    print(f"make_images: {len(paths)} images in {args.out}")


if __name__ == "__main__":
    main()
