#!/usr/bin/env python3
"""Write the images of the bundled example pool (example/pool.json) into example/images/.

Offline and deterministic: photographs come from the scikit-image wheel (skimage.data files that ship inside
the package, no download), everything else (charts, tables, receipts, geometry figures, diagrams, a map, a
worksheet, rendered text) is drawn with Pillow primitives and Pillow's bundled font.

    pip install -r example/requirements.txt
    python3 example/make_images.py            # -> example/images/**
    python3 example/make_images.py --out DIR  # elsewhere

The images are git-ignored; run this once on a fresh checkout. Every path referenced by pool.json is produced
here; the script ends by checking that.
"""
import argparse
import json
import math
import os
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFont
import skimage.data as skd

HERE = os.path.dirname(os.path.abspath(__file__))

WHITE = (255, 255, 255)
BLACK = (0, 0, 0)
GREY = (120, 120, 120)
LIGHT = (225, 225, 225)
PALETTE = [(66, 114, 196), (237, 125, 49), (112, 173, 71), (255, 192, 0), (165, 105, 189), (91, 155, 213)]

_fonts = {}


def font(size):
    if size not in _fonts:
        _fonts[size] = ImageFont.load_default(size=size)
    return _fonts[size]


def text(d, xy, s, size=16, fill=BLACK, anchor="la", bold=False):
    d.text(xy, s, font=font(size), fill=fill, anchor=anchor,
           stroke_width=1 if bold else 0, stroke_fill=fill)


def canvas(w, h, bg=WHITE):
    im = Image.new("RGB", (w, h), bg)
    return im, ImageDraw.Draw(im)


def save(im, out, rel):
    path = os.path.join(out, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if rel.lower().endswith((".jpg", ".jpeg")):
        im.convert("RGB").save(path, quality=90, optimize=False, progressive=False, subsampling=2)
    else:
        im.save(path, optimize=False)
    return rel


def arrow(d, p, q, fill=BLACK, width=2, head=10):
    d.line([p, q], fill=fill, width=width)
    ang = math.atan2(q[1] - p[1], q[0] - p[0])
    a1 = (q[0] - head * math.cos(ang - 0.4), q[1] - head * math.sin(ang - 0.4))
    a2 = (q[0] - head * math.cos(ang + 0.4), q[1] - head * math.sin(ang + 0.4))
    d.polygon([q, a1, a2], fill=fill)


# ----------------------------------------------------------------------------------------------------------
# photographs bundled with scikit-image


def photos(out):
    def fit(a, maxside):
        im = Image.fromarray(a)
        if max(im.size) > maxside:
            r = maxside / max(im.size)
            im = im.resize((round(im.width * r), round(im.height * r)), Image.LANCZOS)
        return im

    save(fit(skd.astronaut(), 512), out, "coco/astronaut.jpg")
    save(fit(skd.coffee(), 600), out, "coco/coffee.jpg")
    save(fit(skd.chelsea(), 451), out, "coco/chelsea.png")
    save(fit(skd.rocket(), 640), out, "coco/rocket.jpg")
    save(fit(skd.camera(), 512), out, "coco/cameraman.png")
    save(fit(skd.stereo_motorcycle()[0], 741), out, "coco/motorcycle.jpg")
    save(fit(skd.coins(), 384), out, "museum/coins.png")
    save(fit(skd.hubble_deep_field(), 640), out, "science/hubble.jpg")
    save(fit(skd.immunohistochemistry(), 512), out, "science/ihc.png")
    save(fit(skd.retina(), 600), out, "science/retina.jpg")


# ----------------------------------------------------------------------------------------------------------
# charts


def axes(d, x0, y0, x1, y1, vmax, step, fmt="{:d}"):
    """Plot area with horizontal grid lines; returns value -> y mapping."""
    def ymap(v):
        return y1 - (y1 - y0) * v / vmax
    v = 0
    while v <= vmax:
        y = ymap(v)
        d.line([(x0, y), (x1, y)], fill=LIGHT, width=1)
        text(d, (x0 - 6, y), fmt.format(v), 13, GREY, "rm")
        v += step
    d.line([(x0, y0), (x0, y1), (x1, y1)], fill=BLACK, width=2)
    return ymap


def bar_rainfall(out):
    im, d = canvas(640, 420)
    text(d, (320, 18), "Monthly Rainfall in Springfield, 2023 (mm)", 20, anchor="ma", bold=True)
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun"]
    vals = [78, 64, 52, 41, 33, 20]
    x0, y0, x1, y1 = 70, 60, 610, 370
    ymap = axes(d, x0, y0, x1, y1, 80, 20)
    bw = (x1 - x0) / len(vals)
    for i, (m, v) in enumerate(zip(months, vals)):
        bx = x0 + i * bw + bw * 0.2
        d.rectangle([bx, ymap(v), bx + bw * 0.6, y1 - 1], fill=PALETTE[0])
        text(d, (bx + bw * 0.3, ymap(v) - 4), str(v), 14, anchor="md")
        text(d, (bx + bw * 0.3, y1 + 8), m, 15, anchor="ma")
    text(d, (18, 215), "mm", 14, GREY, "lm")
    return save(im, out, "charts/bar_01.png")


def bar_sales_grouped(out):
    im, d = canvas(680, 440)
    text(d, (340, 16), "Sales by Region (thousand units)", 20, anchor="ma", bold=True)
    regions = ["North", "South", "East", "West"]
    a = [120, 90, 60, 110]
    b = [150, 85, 95, 130]
    x0, y0, x1, y1 = 70, 80, 640, 390
    ymap = axes(d, x0, y0, x1, y1, 160, 40)
    gw = (x1 - x0) / len(regions)
    for i, r in enumerate(regions):
        gx = x0 + i * gw + gw * 0.15
        bw = gw * 0.33
        for j, (v, c) in enumerate(((a[i], PALETTE[0]), (b[i], PALETTE[1]))):
            bx = gx + j * (bw + 4)
            d.rectangle([bx, ymap(v), bx + bw, y1 - 1], fill=c)
            text(d, (bx + bw / 2, ymap(v) - 4), str(v), 13, anchor="md")
        text(d, (x0 + i * gw + gw / 2, y1 + 8), r, 15, anchor="ma")
    d.rectangle([470, 46, 484, 60], fill=PALETTE[0]); text(d, (490, 53), "2022", 14, anchor="lm")
    d.rectangle([550, 46, 564, 60], fill=PALETTE[1]); text(d, (570, 53), "2023", 14, anchor="lm")
    return save(im, out, "charts/bar_02.png")


def hbar_fruit(out):
    im, d = canvas(600, 360)
    text(d, (300, 14), "Favourite Fruit of 120 Students", 19, anchor="ma", bold=True)
    fruit = ["Apple", "Banana", "Cherry", "Grape", "Mango"]
    vals = [34, 22, 15, 27, 22]
    x0, y0, x1, y1 = 100, 55, 560, 320
    d.line([(x0, y0), (x0, y1), (x1, y1)], fill=BLACK, width=2)
    for t in range(0, 41, 10):
        x = x0 + (x1 - x0) * t / 40
        d.line([(x, y0), (x, y1 - 1)], fill=LIGHT)
        text(d, (x, y1 + 6), str(t), 13, GREY, "ma")
    bh = (y1 - y0) / len(fruit)
    for i, (f, v) in enumerate(zip(fruit, vals)):
        by = y0 + i * bh + bh * 0.2
        d.rectangle([x0 + 1, by, x0 + (x1 - x0) * v / 40, by + bh * 0.6], fill=PALETTE[2])
        text(d, (x0 - 8, by + bh * 0.3), f, 15, anchor="rm")
        text(d, (x0 + (x1 - x0) * v / 40 + 6, by + bh * 0.3), str(v), 14, anchor="lm")
    return save(im, out, "charts/bar_03.png")


def line_temps(out):
    im, d = canvas(720, 440)
    text(d, (360, 14), "Average Monthly Temperature (°C)", 20, anchor="ma", bold=True)
    months = ["J", "F", "M", "A", "M", "J", "J", "A", "S", "O", "N", "D"]
    a = [-2, 0, 5, 11, 17, 22, 25, 24, 19, 12, 5, 0]
    b = [12, 13, 15, 17, 20, 24, 27, 27, 24, 20, 16, 13]
    x0, y0, x1, y1 = 70, 60, 690, 390
    vmin, vmax = -5, 30

    def ymap(v):
        return y1 - (y1 - y0) * (v - vmin) / (vmax - vmin)
    for v in range(-5, 31, 5):
        d.line([(x0, ymap(v)), (x1, ymap(v))], fill=LIGHT)
        text(d, (x0 - 6, ymap(v)), str(v), 13, GREY, "rm")
    d.line([(x0, y0), (x0, y1), (x1, y1)], fill=BLACK, width=2)
    step = (x1 - x0) / 12
    for series, c in ((a, PALETTE[0]), (b, PALETTE[1])):
        pts = [(x0 + step * (i + 0.5), ymap(v)) for i, v in enumerate(series)]
        d.line(pts, fill=c, width=3)
        for p in pts:
            d.ellipse([p[0] - 4, p[1] - 4, p[0] + 4, p[1] + 4], fill=c)
    for i, m in enumerate(months):
        text(d, (x0 + step * (i + 0.5), y1 + 8), m, 14, anchor="ma")
    d.line([(90, 60), (115, 60)], fill=PALETTE[0], width=3); text(d, (120, 60), "Northfield", 14, anchor="lm")
    d.line([(220, 60), (245, 60)], fill=PALETTE[1], width=3); text(d, (250, 60), "Port Verde", 14, anchor="lm")
    return save(im, out, "charts/line_01.png")


def line_visitors(out):
    im, d = canvas(600, 380)
    text(d, (300, 14), "Website Visitors per Week (thousands)", 18, anchor="ma", bold=True)
    weeks = list(range(1, 9))
    vals = [4.2, 4.8, 5.1, 5.9, 2.3, 6.4, 7.0, 7.6]
    x0, y0, x1, y1 = 60, 50, 570, 330
    ymap = axes(d, x0, y0, x1, y1, 8, 2)
    step = (x1 - x0) / len(weeks)
    pts = [(x0 + step * (i + 0.5), ymap(v)) for i, v in enumerate(vals)]
    d.line(pts, fill=PALETTE[4], width=3)
    for p, v in zip(pts, vals):
        d.ellipse([p[0] - 4, p[1] - 4, p[0] + 4, p[1] + 4], fill=PALETTE[4])
        text(d, (p[0], p[1] - 8), f"{v:.1f}", 12, anchor="md")
    for i, w in enumerate(weeks):
        text(d, (x0 + step * (i + 0.5), y1 + 8), f"W{w}", 13, anchor="ma")
    text(d, (pts[4][0], pts[4][1] + 26), "server outage", 12, (200, 0, 0), "ma")
    return save(im, out, "charts/line_02.jpg")


def pie_budget(out):
    im, d = canvas(620, 420)
    text(d, (310, 14), "Monthly Household Budget", 20, anchor="ma", bold=True)
    parts = [("Housing", 35), ("Food", 20), ("Transport", 15), ("Other", 12), ("Savings", 10), ("Health", 8)]
    box = [40, 60, 360, 380]
    start = -90.0
    for i, (name, p) in enumerate(parts):
        end = start + 360 * p / 100
        d.pieslice(box, start, end, fill=PALETTE[i], outline=WHITE, width=2)
        mid = math.radians((start + end) / 2)
        cx, cy = 200 + 105 * math.cos(mid), 220 + 105 * math.sin(mid)
        text(d, (cx, cy), f"{p}%", 15, WHITE, "mm", bold=True)
        start = end
    for i, (name, p) in enumerate(parts):
        y = 120 + i * 34
        d.rectangle([400, y - 9, 418, y + 9], fill=PALETTE[i])
        text(d, (428, y), f"{name}", 16, anchor="lm")
    return save(im, out, "charts/pie_01.png")


# ----------------------------------------------------------------------------------------------------------
# tables


def table(out, rel, title, header, rows, colw, w, rowh=34, zebra=True):
    h = 70 + rowh * (len(rows) + 1) + 20
    im, d = canvas(w, h)
    text(d, (20, 18), title, 19, bold=True)
    x0, y = 20, 60
    d.rectangle([x0, y, x0 + sum(colw), y + rowh], fill=(220, 228, 240))
    for r, row in enumerate([header] + rows):
        if r > 0 and zebra and r % 2 == 0:
            d.rectangle([x0, y, x0 + sum(colw), y + rowh], fill=(245, 245, 245))
        x = x0
        for c, cell in enumerate(row):
            text(d, (x + 8, y + rowh / 2), str(cell), 15, anchor="lm", bold=(r == 0))
            x += colw[c]
        y += rowh
    # grid
    yy = 60
    for r in range(len(rows) + 2):
        d.line([(x0, yy), (x0 + sum(colw), yy)], fill=GREY)
        yy += rowh
    x = x0
    for c in range(len(colw) + 1):
        d.line([(x, 60), (x, 60 + rowh * (len(rows) + 1))], fill=GREY)
        if c < len(colw):
            x += colw[c]
    return save(im, out, rel)


def tables(out):
    table(out, "tables/scores_01.png", "Class 7B - Term Test Scores",
          ["Student", "Math", "Science", "English"],
          [["Aisha", 88, 92, 79], ["Ben", 74, 81, 90], ["Carlos", 95, 87, 84], ["Dana", 67, 73, 88],
           ["Eli", 82, 78, 71]], [140, 100, 100, 100], 480)
    table(out, "tables/timetable_02.jpg", "Departures - Central Station, Platform Board",
          ["Train", "Destination", "Departs", "Arrives", "Platform"],
          [["IC 204", "Lakeside", "08:15", "10:42", "3"], ["RE 17", "Hillcrest", "09:05", "11:58", "1"],
           ["IC 206", "Lakeside", "10:15", "12:40", "3"], ["EX 9", "Harbor City", "11:30", "13:05", "5"]],
          [90, 140, 90, 90, 90], 540)
    table(out, "tables/planets_03.png", "Inner Planets of the Solar System",
          ["Planet", "Diameter (km)", "Moons", "Distance from Sun (AU)"],
          [["Mercury", "4,879", 0, "0.39"], ["Venus", "12,104", 0, "0.72"], ["Earth", "12,756", 1, "1.00"],
           ["Mars", "6,792", 2, "1.52"]], [110, 140, 80, 220], 590)


# ----------------------------------------------------------------------------------------------------------
# documents


def receipt_cafe(out):
    im, d = canvas(360, 560, (250, 250, 246))
    lines = [
        ("GREEN LEAF CAFE", "c", 22, True), ("12 Market St., Riverton", "c", 14, False),
        ("Tel 555-0192", "c", 14, False), ("", "", 0, False),
        ("2024-03-14   12:47   Table 6", "l", 14, False), ("Server: Priya", "l", 14, False),
        ("-" * 44, "l", 14, False),
        ("2 x Cappuccino @3.80", "l", 15, False, "7.60"), ("1 x Blueberry muffin", "l", 15, False, "2.95"),
        ("1 x Avocado toast", "l", 15, False, "8.50"), ("-" * 44, "l", 14, False),
        ("Subtotal", "l", 15, False, "19.05"), ("Tax 8%", "l", 15, False, "1.52"),
        ("TOTAL", "l", 18, True, "20.57"), ("-" * 44, "l", 14, False),
        ("Paid: VISA ****4412", "l", 14, False), ("", "", 0, False), ("Thank you! Come again.", "c", 15, False),
    ]
    y = 24
    for ln in lines:
        s, al, sz, b = ln[:4]
        if s:
            if al == "c":
                text(d, (180, y), s, sz, anchor="ma", bold=b)
            else:
                text(d, (24, y), s, sz, bold=b)
            if len(ln) > 4:
                text(d, (336, y), ln[4], sz, anchor="ra", bold=b)
        y += (sz or 12) + 12
    return save(im, out, "docs/receipt_01.png")


def receipt_hardware(out):
    im, d = canvas(380, 540, (255, 253, 240))
    y = 20
    text(d, (190, y), "BOLT & BEAM HARDWARE", 20, anchor="ma", bold=True); y += 32
    text(d, (190, y), "400 Canal Road  -  Open 7am-8pm", 13, anchor="ma"); y += 30
    text(d, (20, y), "Receipt #08817      09/02/2024 16:22", 13); y += 28
    items = [("Wood screws 4x40 (box)", "6.49"), ("Claw hammer 16oz", "14.99"), ("Paint brush set", "9.25"),
             ("Masking tape 2 @ 3.10", "6.20")]
    for n, p in items:
        text(d, (20, y), n, 15); text(d, (360, y), p, 15, anchor="ra"); y += 28
    d.line([(20, y), (360, y)], fill=GREY); y += 12
    for n, p, b in (("Subtotal", "36.93", False), ("Sales tax 6.5%", "2.40", False), ("TOTAL", "39.33", True),
                    ("Cash", "40.00", False), ("Change", "0.67", False)):
        text(d, (20, y), n, 16 if b else 15, bold=b); text(d, (360, y), p, 16 if b else 15, anchor="ra", bold=b)
        y += 28
    y += 10
    text(d, (190, y), "Returns within 30 days with receipt", 13, anchor="ma")
    return save(im, out, "docs/receipt_02.jpg")


def memo(out):
    im, d = canvas(620, 460)
    text(d, (30, 24), "MEMORANDUM", 26, bold=True)
    d.line([(30, 62), (590, 62)], fill=BLACK, width=2)
    y = 78
    for k, v in (("To:", "All staff, Harbor Building"), ("From:", "Facilities Office"), ("Date:", "May 6, 2024"),
                 ("Subject:", "North elevator maintenance")):
        text(d, (30, y), k, 16, bold=True); text(d, (120, y), v, 16); y += 28
    d.line([(30, y + 4), (590, y + 4)], fill=GREY); y += 20
    body = ["The north elevator will be out of service from Monday, May 13",
            "to Wednesday, May 15, while the cables and control panel are",
            "replaced. During this time please use the south elevator or the",
            "stairs. Deliveries should be sent to the loading dock on the",
            "east side of the building.",
            "",
            "We apologise for the inconvenience. Questions: extension 2231."]
    for ln in body:
        text(d, (30, y), ln, 16); y += 26
    return save(im, out, "docs/memo_01.png")


def form(out):
    im, d = canvas(600, 480, (252, 252, 252))
    text(d, (300, 20), "Riverton Public Library", 20, anchor="ma", bold=True)
    text(d, (300, 48), "Library Card Application", 16, anchor="ma")
    y = 95
    pen = (20, 40, 140)
    for k, v in (("Full name", "Maria Lopez"), ("Date of birth", "04/22/1991"), ("Address", "58 Elm Road, Riverton"),
                 ("Phone", "555-0148"), ("Email", "m.lopez@example.org")):
        text(d, (30, y), k + ":", 15)
        d.line([(160, y + 20), (570, y + 20)], fill=GREY)
        text(d, (170, y), v, 17, pen)
        y += 44
    text(d, (30, y), "Card type:", 15)
    for i, (lab, on) in enumerate((("Adult", True), ("Student", False), ("Senior", False))):
        x = 160 + i * 130
        d.rectangle([x, y + 1, x + 16, y + 17], outline=BLACK, width=2)
        if on:
            d.line([(x + 3, y + 9), (x + 7, y + 14), (x + 14, y + 3)], fill=pen, width=3)
        text(d, (x + 24, y), lab, 15)
    y += 50
    text(d, (30, y), "Signature:", 15)
    d.line([(160, y + 20), (400, y + 20)], fill=GREY)
    d.line([(175, y + 14), (200, y + 2), (215, y + 16), (240, y + 4), (262, y + 15), (300, y + 8)], fill=pen, width=2)
    text(d, (420, y), "Date: 03/02/2024", 15)
    return save(im, out, "docs/form_01.png")


def poster(out):
    im, d = canvas(480, 640, (25, 30, 60))
    gold = (240, 200, 90)
    text(d, (240, 60), "SPRING", 48, gold, "ma", bold=True)
    text(d, (240, 120), "JAZZ NIGHT", 48, gold, "ma", bold=True)
    # saxophone-ish note symbols
    for cx, cy in ((150, 270), (330, 250)):
        d.ellipse([cx - 18, cy + 40, cx + 14, cy + 64], fill=WHITE)
        d.line([(cx + 12, cy + 52), (cx + 12, cy - 30)], fill=WHITE, width=4)
    d.line([(162, 240), (342, 220)], fill=WHITE, width=8)
    text(d, (240, 380), "Friday, April 19  -  7:30 PM", 22, WHITE, "ma")
    text(d, (240, 420), "Riverside Hall", 26, WHITE, "ma", bold=True)
    text(d, (240, 470), "The Blue Harbor Quartet", 20, (180, 200, 255), "ma")
    text(d, (240, 540), "Tickets $15  /  Students $8", 20, gold, "ma")
    text(d, (240, 580), "Doors open 7:00 PM", 16, WHITE, "ma")
    return save(im, out, "docs/poster_01.jpg")


def menu(out):
    im, d = canvas(460, 520, (250, 244, 230))
    text(d, (230, 22), "Luigi's Trattoria", 26, (120, 20, 20), "ma", bold=True)
    text(d, (230, 60), "Lunch Menu", 16, anchor="ma")
    y = 100
    sections = [("Starters", [("Bruschetta", "6.50"), ("Minestrone soup", "5.75")]),
                ("Mains", [("Spaghetti carbonara", "13.90"), ("Margherita pizza", "11.50"),
                           ("Mushroom risotto (v)", "12.80")]),
                ("Desserts", [("Tiramisu", "6.20"), ("Panna cotta", "5.90")])]
    for sec, items in sections:
        text(d, (30, y), sec, 18, (120, 20, 20), bold=True); y += 30
        for n, p in items:
            text(d, (40, y), n, 16); text(d, (430, y), "$" + p, 16, anchor="ra"); y += 26
        y += 12
    text(d, (230, y + 4), "(v) vegetarian", 13, GREY, "ma")
    return save(im, out, "text/menu_01.png")


def poem(out):
    im, d = canvas(520, 400, (248, 246, 240))
    text(d, (260, 24), "Nothing Gold Can Stay", 22, anchor="ma", bold=True)
    text(d, (260, 56), "Robert Frost (1923)", 14, GREY, "ma")
    lines = ["Nature's first green is gold,", "Her hardest hue to hold.", "Her early leaf's a flower;",
             "But only so an hour.", "Then leaf subsides to leaf.", "So Eden sank to grief,",
             "So dawn goes down to day.", "Nothing gold can stay."]
    y = 96
    for ln in lines:
        text(d, (90, y), ln, 18); y += 34
    return save(im, out, "text/poem_01.png")


def sign(out):
    im, d = canvas(420, 520, (170, 200, 220))
    d.rectangle([170, 300, 190, 520], fill=GREY)
    d.rectangle([60, 40, 360, 320], fill=(255, 215, 0), outline=BLACK, width=5)
    text(d, (210, 70), "SCHOOL", 40, anchor="ma", bold=True)
    text(d, (210, 120), "ZONE", 40, anchor="ma", bold=True)
    d.rectangle([110, 175, 310, 300], fill=WHITE, outline=BLACK, width=3)
    text(d, (210, 185), "SPEED LIMIT", 20, anchor="ma", bold=True)
    text(d, (210, 212), "20", 56, anchor="ma", bold=True)
    text(d, (210, 274), "WHEN FLASHING", 14, anchor="ma")
    return save(im, out, "text/sign_01.png")


def preamble(out):
    im, d = canvas(640, 300, (244, 236, 214))
    lines = ["We the People of the United States, in Order to form",
             "a more perfect Union, establish Justice, insure domestic",
             "Tranquility, provide for the common defence, promote the",
             "general Welfare, and secure the Blessings of Liberty to",
             "ourselves and our Posterity, do ordain and establish this",
             "Constitution for the United States of America."]
    y = 40
    for ln in lines:
        text(d, (30, y), ln, 19, (60, 40, 20)); y += 36
    return save(im, out, "text/preamble.png")


# ----------------------------------------------------------------------------------------------------------
# geometry


def label(d, p, s, dx=0, dy=0, size=20):
    text(d, (p[0] + dx, p[1] + dy), s, size, anchor="mm")


def geo_right_triangle(out):
    im, d = canvas(480, 380)
    A, C, B = (80, 60), (80, 320), (420, 320)
    d.polygon([A, C, B], outline=BLACK, width=3)
    d.line([(80, 295), (105, 295), (105, 320)], fill=BLACK, width=2)
    label(d, A, "A", -18, -6); label(d, C, "C", -18, 10); label(d, B, "B", 16, 10)
    label(d, (80, 190), "6", -18, 0); label(d, (250, 320), "8", 0, 18)
    return save(im, out, "geometry/tri_01.png")


def geo_triangle_angles(out):
    im, d = canvas(500, 360)
    A, B, C = (60, 300), (440, 300), (300, 60)
    d.polygon([A, B, C], outline=BLACK, width=3)
    label(d, A, "A", -16, 8); label(d, B, "B", 16, 8); label(d, C, "C", 0, -18)
    d.arc([A[0] - 40, A[1] - 40, A[0] + 40, A[1] + 40], -45, 0, fill=BLACK, width=2)
    d.arc([B[0] - 40, B[1] - 40, B[0] + 40, B[1] + 40], 180, 240, fill=BLACK, width=2)
    label(d, A, "50°", 62, -16, 17); label(d, B, "70°", -62, -18, 17)
    label(d, C, "?", 0, 48, 20)
    return save(im, out, "geometry/tri_02.png")


def geo_circle(out):
    im, d = canvas(460, 460)
    O = (230, 230); r = 160
    d.ellipse([O[0] - r, O[1] - r, O[0] + r, O[1] + r], outline=BLACK, width=3)
    A = (O[0] - r, O[1]); B = (O[0] + r, O[1])
    ang = math.radians(-110)  # C on the upper arc
    C = (O[0] + r * math.cos(ang), O[1] + r * math.sin(ang))
    d.line([A, B], fill=BLACK, width=2); d.line([A, C], fill=BLACK, width=2); d.line([B, C], fill=BLACK, width=2)
    d.ellipse([O[0] - 4, O[1] - 4, O[0] + 4, O[1] + 4], fill=BLACK)
    label(d, O, "O", 0, 18); label(d, A, "A", -18, 0); label(d, B, "B", 18, 0); label(d, C, "C", -6, -18)
    label(d, B, "35°", -58, -14, 16)
    return save(im, out, "geometry/circle_01.png")


def geo_parallel(out):
    im, d = canvas(520, 380)
    d.line([(40, 120), (480, 120)], fill=BLACK, width=3); d.line([(40, 270), (480, 270)], fill=BLACK, width=3)
    label(d, (40, 120), "A", -14, 0); label(d, (480, 120), "B", 14, 0)
    label(d, (40, 270), "C", -14, 0); label(d, (480, 270), "D", 14, 0)
    E, F = (160, 40), (380, 350)
    d.line([E, F], fill=BLACK, width=2)
    label(d, E, "E", -10, -10); label(d, F, "F", 10, 10)
    # intersections
    def at(y):
        t = (y - E[1]) / (F[1] - E[1])
        return (E[0] + t * (F[0] - E[0]), y)
    P, Q = at(120), at(270)
    # the transversal meets the parallels at about 55 degrees
    label(d, P, "1", -30, -13, 18)  # acute angle between PA and PE (upper left at the top crossing)
    label(d, Q, "2", -30, 15, 18)   # angle between QC and QF (lower left at the bottom crossing), 125 degrees
    text(d, (260, 340), "AB || CD,  angle 1 = 55°", 17, anchor="ma")
    return save(im, out, "geometry/parallel_01.png")


def geo_rectangle(out):
    im, d = canvas(520, 340)
    P = [(60, 60), (460, 60), (460, 260), (60, 260)]
    d.polygon(P, outline=BLACK, width=3)
    d.line([P[0], P[2]], fill=(200, 0, 0), width=2)
    for p, s, dx, dy in zip(P, "ABCD", (-14, 14, 14, -14), (-12, -12, 12, 12)):
        label(d, p, s, dx, dy)
    label(d, (260, 260), "12 cm", 0, 20, 17); label(d, (460, 160), "5 cm", 34, 0, 17)
    return save(im, out, "geometry/rect_01.png")


# ----------------------------------------------------------------------------------------------------------
# diagrams, map, worksheet, synthetic scene


def box(d, xy, s, fill=(235, 242, 250), size=16):
    x0, y0, x1, y1 = xy
    d.rounded_rectangle(xy, 10, fill=fill, outline=BLACK, width=2)
    text(d, ((x0 + x1) / 2, (y0 + y1) / 2), s, size, anchor="mm")


def food_chain(out):
    im, d = canvas(760, 260)
    text(d, (380, 20), "A Meadow Food Chain", 20, anchor="ma", bold=True)
    names = ["Grass", "Grasshopper", "Frog", "Snake", "Hawk"]
    fills = [(200, 240, 190), (230, 245, 200), (210, 235, 235), (245, 230, 200), (240, 215, 215)]
    xs = [20, 170, 330, 470, 610]
    for i, (n, x) in enumerate(zip(names, xs)):
        box(d, (x, 110, x + 130, 160), n, fills[i])
        if i:
            arrow(d, (xs[i - 1] + 132, 135), (x - 2, 135), width=3)
    text(d, (380, 210), "Arrows point from the organism that is eaten to the one that eats it.", 14, GREY, "ma")
    return save(im, out, "diagrams/food_chain.png")


def circuit(out):
    im, d = canvas(520, 380)
    text(d, (260, 16), "Simple Series Circuit", 19, anchor="ma", bold=True)
    # wire loop
    d.line([(100, 100), (420, 100)], fill=BLACK, width=3)
    d.line([(420, 100), (420, 300)], fill=BLACK, width=3)
    d.line([(100, 300), (230, 300)], fill=BLACK, width=3)
    d.line([(300, 300), (420, 300)], fill=BLACK, width=3)
    d.line([(100, 100), (100, 170)], fill=BLACK, width=3)
    d.line([(100, 230), (100, 300)], fill=BLACK, width=3)
    # battery
    d.line([(75, 170), (125, 170)], fill=BLACK, width=4)
    d.line([(88, 185), (112, 185)], fill=BLACK, width=4)
    d.line([(75, 200), (125, 200)], fill=BLACK, width=4)
    d.line([(88, 215), (112, 215)], fill=BLACK, width=4)
    d.line([(100, 215), (100, 230)], fill=BLACK, width=3)
    text(d, (135, 192), "battery", 14, GREY, "lm"); text(d, (66, 168), "+", 18, anchor="rm")
    # open switch
    d.ellipse([226, 296, 234, 304], fill=BLACK); d.ellipse([296, 296, 304, 304], fill=BLACK)
    d.line([(230, 300), (290, 262)], fill=BLACK, width=3)
    text(d, (265, 325), "switch", 14, GREY, "ma")
    # bulb on right branch
    d.ellipse([395, 170, 445, 220], fill=WHITE, outline=BLACK, width=3)
    d.line([(405, 182), (435, 208)], fill=BLACK, width=2); d.line([(435, 182), (405, 208)], fill=BLACK, width=2)
    text(d, (452, 195), "bulb", 14, GREY, "lm")
    return save(im, out, "diagrams/circuit_01.png")


def flowchart(out):
    im, d = canvas(560, 520)
    box(d, (220, 20, 340, 60), "Start", (220, 240, 220))
    arrow(d, (280, 60), (280, 100))
    # decision diamond
    d.polygon([(280, 100), (400, 170), (280, 240), (160, 170)], fill=(255, 245, 210), outline=BLACK, width=2)
    text(d, (280, 170), "Is it raining?", 16, anchor="mm")
    arrow(d, (160, 170), (110, 170)); arrow(d, (110, 170), (110, 300))
    text(d, (135, 158), "Yes", 15, anchor="mm", bold=True)
    arrow(d, (400, 170), (450, 170)); arrow(d, (450, 170), (450, 300))
    text(d, (425, 158), "No", 15, anchor="mm", bold=True)
    box(d, (30, 300, 190, 350), "Take an umbrella")
    box(d, (370, 300, 530, 350), "Wear sunglasses")
    arrow(d, (110, 350), (110, 420)); arrow(d, (110, 420), (218, 440))
    arrow(d, (450, 350), (450, 420)); arrow(d, (450, 420), (342, 440))
    box(d, (220, 420, 340, 460), "End", (240, 220, 220))
    return save(im, out, "diagrams/flowchart_01.png")


def town_map(out):
    im, d = canvas(640, 520, (238, 234, 222))
    road = (255, 255, 255)
    # streets: two horizontal, two vertical
    d.rectangle([0, 170, 640, 200], fill=road); d.rectangle([0, 350, 640, 380], fill=road)
    d.rectangle([200, 0, 230, 520], fill=road); d.rectangle([420, 0, 450, 520], fill=road)
    text(d, (40, 185), "Oak Street", 13, GREY, "lm"); text(d, (40, 365), "Main Street", 13, GREY, "lm")
    text(d, (215, 480), "1st Ave", 13, GREY, "mm"); text(d, (435, 480), "2nd Ave", 13, GREY, "mm")
    blocks = [((30, 40, 170, 140), "Library", (170, 200, 240)), ((250, 220, 400, 330), "Park", (150, 210, 140)),
              ((470, 40, 610, 140), "School", (250, 220, 160)), ((470, 400, 610, 500), "Hospital", (245, 180, 180)),
              ((30, 400, 170, 500), "Post Office", (220, 200, 240)), ((250, 40, 400, 140), "Town Hall", (210, 210, 210))]
    for xy, n, c in blocks:
        d.rectangle(xy, fill=c, outline=GREY)
        text(d, ((xy[0] + xy[2]) / 2, (xy[1] + xy[3]) / 2), n, 16, anchor="mm", bold=True)
    # compass
    arrow(d, (600, 300), (600, 240), width=3); text(d, (600, 226), "N", 18, anchor="mm", bold=True)
    return save(im, out, "maps/town_01.png")


def worksheet(out):
    im, d = canvas(620, 560)
    text(d, (30, 20), "Worksheet 3: Fractions, Percents and Equations", 19, bold=True)
    text(d, (30, 52), "Name: ______________      Date: ________", 15)
    items = ["1.  3/4 + 1/8 = ________",
             "2.  Solve for x:   2x + 7 = 19",
             "3.  15% of 80 = ________",
             "4.  A rectangle has a perimeter of 30 cm and a width",
             "     of 5 cm. What is its length?",
             "5.  Write 0.625 as a fraction in simplest form.",
             "6.  Continue the pattern:  2, 6, 12, 20, 30, ____"]
    y = 100
    for s in items:
        text(d, (40, y), s, 17)
        y += 58 if not s.startswith("4.") else 30
    return save(im, out, "math/worksheet_01.png")


def shapes_scene(out):
    """600 x 400 canvas with four objects at known boxes (normalised coordinates are quoted in pool.json)."""
    im, d = canvas(600, 400, (245, 245, 245))
    d.ellipse([60, 60, 180, 180], fill=(220, 40, 40))                     # red circle   [0.10,0.15,0.30,0.45]
    d.rectangle([360, 80, 480, 200], fill=(40, 80, 220))                  # blue square  [0.60,0.20,0.80,0.50]
    d.polygon([(150, 360), (270, 360), (210, 240)], fill=(40, 170, 60))   # green triangle [0.25,0.60,0.45,0.90]
    cx, cy, R, r = 480, 300, 60, 25                                        # yellow star  [0.70,0.60,0.90,0.90]
    pts = []
    for k in range(10):
        a = math.radians(-90 + 36 * k)
        rr = R if k % 2 == 0 else r
        pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
    d.polygon(pts, fill=(240, 200, 0))
    return save(im, out, "synthetic/shapes_01.png")


def counting(out):
    rng = np.random.default_rng(7)
    im, d = canvas(560, 400, WHITE)
    # 5 red apples (circles), 3 green pears (ellipses), 4 yellow bananas (arcs) placed on a grid without overlap
    cells = [(c, r) for r in range(4) for c in range(6)]
    order = rng.permutation(len(cells))
    kinds = ["apple"] * 5 + ["pear"] * 3 + ["banana"] * 4
    for k, idx in zip(kinds, order[: len(kinds)]):
        c, r = cells[idx]
        x, y = 50 + c * 85, 45 + r * 90
        if k == "apple":
            d.ellipse([x, y, x + 50, y + 50], fill=(210, 30, 30)); d.line([(x + 25, y), (x + 28, y - 10)], fill=(90, 50, 10), width=3)
        elif k == "pear":
            d.ellipse([x + 8, y - 5, x + 38, y + 25], fill=(130, 190, 60)); d.ellipse([x, y + 12, x + 46, y + 58], fill=(130, 190, 60))
        else:
            d.arc([x - 5, y - 10, x + 55, y + 50], 20, 160, fill=(235, 200, 30), width=12)
    return save(im, out, "synthetic/fruit_count.png")


GENERATORS = [photos, bar_rainfall, bar_sales_grouped, line_temps, line_visitors, pie_budget, tables,
              receipt_cafe, receipt_hardware, memo, form, poster, menu, poem, sign, preamble,
              geo_right_triangle, geo_triangle_angles, geo_circle, geo_parallel,
              food_chain, circuit, flowchart, town_map, worksheet, shapes_scene, counting]


def referenced(pool_path):
    with open(pool_path) as f:
        pool = json.load(f)
    paths = set()
    for it in pool:
        im = it.get("image")
        if isinstance(im, str):
            paths.add(im)
        elif isinstance(im, list):
            paths.update(im)
    return paths


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "images"))
    ap.add_argument("--pool", default=os.path.join(HERE, "pool.json"))
    args = ap.parse_args()
    for g in GENERATORS:
        g(args.out)
    written = []
    for root, _, files in os.walk(args.out):
        for fn in files:
            written.append(os.path.relpath(os.path.join(root, fn), args.out).replace(os.sep, "/"))
    print(f"wrote {len(written)} images under {args.out}")
    if os.path.exists(args.pool):
        missing = sorted(referenced(args.pool) - set(written))
        if missing:
            print("pool.json references images that were not produced: " + ", ".join(missing), file=sys.stderr)
            sys.exit(1)


if __name__ == "__main__":
    main()
