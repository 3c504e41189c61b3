"""Drawing functions for the test split's sources whose pictures are not scenes (make_images.py asks draw() first).

llavamed: greyscale cross-sections (CT/MRI/X-ray-like) or pink-purple histology fields; mimicit: two panels side
by side (spot-the-difference pairs and frame sequences are one picture in this pool); mathvista: a bar chart or a
triangle figure with labelled vertices. Everything else returns None and gets make_images.py's scene.
"""
from PIL import Image, ImageDraw, ImageFont


def _font(size):
    return ImageFont.load_default(size=size)


def _scan(rng, w=512, h=512):
    im = Image.new("L", (w, h), 0)
    d = ImageDraw.Draw(im)
    d.ellipse([40, 60, w - 40, h - 50], fill=rng.randrange(90, 130))
    for _ in range(rng.randrange(3, 7)):
        x, y, r = rng.randrange(120, w - 120), rng.randrange(120, h - 120), rng.randrange(15, 70)
        d.ellipse([x - r, y - r, x + r, y + r], fill=rng.randrange(30, 240))
    d.text((12, 10), rng.choice(["R", "L", "AX", "COR"]), fill=255, font=_font(18))
    return im


def _histology(rng, w=512, h=384):
    im = Image.new("RGB", (w, h), (rng.randrange(225, 245), rng.randrange(180, 205), rng.randrange(210, 230)))
    d = ImageDraw.Draw(im)
    for _ in range(rng.randrange(150, 260)):
        x, y, r = rng.randrange(w), rng.randrange(h), rng.randrange(3, 9)
        d.ellipse([x - r, y - r, x + r, y + r], fill=(rng.randrange(70, 120), rng.randrange(40, 80), rng.randrange(130, 170)))
    return im


def _panel(rng, w, h, seed_shift):
    im = Image.new("RGB", (w, h), (rng.randrange(120, 220), rng.randrange(150, 230), rng.randrange(170, 250)))
    d = ImageDraw.Draw(im)
    d.rectangle([0, h * 2 // 3, w, h], fill=(110, 140 + seed_shift, 70))
    for _ in range(rng.randrange(4, 8)):
        x, y, s = rng.randrange(0, w - 60), rng.randrange(h // 4, h - 50), rng.randrange(25, 90)
        d.rectangle([x, y, x + s, y + s // 2], fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    return im


def _pair(rng, w=640, h=240):
    im = Image.new("RGB", (w, h), "white")
    state = rng.getstate()
    left = _panel(rng, w // 2 - 4, h, 0)
    rng.setstate(state)
    right = _panel(rng, w // 2 - 4, h, 30)
    ImageDraw.Draw(right).ellipse([40, 30, 90, 80], fill=(240, 60, 60))  # the difference to spot
    im.paste(left, (0, 0))
    im.paste(right, (w // 2 + 4, 0))
    return im


def _math(rng, w=560, h=420):
    im = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(im)
    if rng.random() < 0.5:
        n = rng.randrange(3, 7)
        bw = (w - 80) // n
        for i in range(n):
            v = rng.randrange(10, 100)
            d.rectangle([50 + i * bw + 8, h - 40 - v * 3, 50 + (i + 1) * bw - 8, h - 40], fill=(66, 114, 196))
            d.text((50 + i * bw + 10, h - 34), f"c{i + 1}", fill="black", font=_font(14))
        d.line([45, 20, 45, h - 40, w - 20, h - 40], fill="black", width=2)
    else:
        pts = [(rng.randrange(40, 200), rng.randrange(300, 380)), (rng.randrange(360, 520), rng.randrange(300, 380)),
               (rng.randrange(150, 400), rng.randrange(40, 160))]
        d.polygon(pts, outline="black", width=3)
        for name, (x, y) in zip("ABC", pts):
            d.text((x + 6, y + 4), name, fill="black", font=_font(20))
    return im


def draw(rel, rng):
    source = rel.split("/")[0]
    if source == "llavamed":
        return _histology(rng) if rng.random() < 0.35 else _scan(rng)
    if source == "mimicit":
        return _pair(rng)
    if source == "mathvista":
        return _math(rng)
    return None
