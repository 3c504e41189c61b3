#!/usr/bin/env python3
"""Random score table (and matching pool) for select benchmarks.

  gen_scores.py ROWS OUT_DIR [--seed S] [--no-pool] [--text]

Writes OUT_DIR/scores.parquet (uncompressed, plain, as mmssr writes it) and OUT_DIR/pool.json (a JSON
array of small LLaVA items). --text also writes the same rows as OUT_DIR/scores.csv, OUT_DIR/scores.jsonl and
the official mmSSR folder OUT_DIR/official/ ({capability}.jsonl with the rounded score, style.jsonl; no lines
for error rows), the inputs of the text readers' benchmarks. Scores lie on a 0.01 grid with a per-source bias, 1-3 styles per row,
1% error rows with null scores.
"""
import argparse
import json
import os

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

CAPS = ["spatial", "attribute", "logical", "scene", "finegrained", "language", "incontext",
        "comparative", "activity", "causal", "humanities", "stem", "data", "ocr"]
STYLE_KEYS = ["style_multichoice", "style_coordinate", "style_yesno", "style_short_phrase", "style_short_desc",
              "style_detailed_desc", "style_comparison", "style_cot", "style_specified"]
STYLE_NAMES = ["multi-choice", "coordinate", "yes/no", "word/short-phrase", "short description",
               "detailed description", "comparison", "chain-of-thought (step-by-step)", "specified style"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("rows", type=int)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-pool", action="store_true")
    ap.add_argument("--text", action="store_true")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rng = np.random.default_rng(a.seed)
    writer = None
    pool = None if a.no_pool else open(os.path.join(a.out, "pool.json"), "w", encoding="utf-8")
    if pool:
        pool.write("[\n")
    text = TextOutputs(a.out) if a.text else None
    chunk = 500_000
    for start in range(0, a.rows, chunk):
        n = min(chunk, a.rows - start)
        idx = np.arange(start, start + n, dtype=np.int64)
        src = rng.integers(0, 30, n)
        sources = np.array([f"source{i}" for i in range(30)], dtype=object)[src]
        images = np.array([f"{s}/{i}.jpg" for s, i in zip(sources, idx)], dtype=object)
        bad = rng.integers(0, 100, n) == 0
        cols = {"idx": pa.array(idx), "id": pa.array([f"s{i}" for i in idx]), "image": pa.array(images),
                "image_source": pa.array(sources), "status": pa.array(np.where(bad, "error", "ok")),
                "error": pa.array(np.where(bad, "truncated JPEG", ""))}
        for c, key in enumerate(CAPS):
            v = np.minimum(rng.integers(0, 351, n) + (src * 7 + c * 3) % 150, 500).astype(np.float32) / 100
            cols[key] = pa.array(v, mask=bad)
        for key in STYLE_KEYS:
            cols[key] = pa.array((rng.integers(0, 1000, n) - 500).astype(np.float32) / 100, mask=bad)
        count = rng.integers(1, 4, n)
        picks = rng.integers(0, 9, (n, 3))
        styles = []
        for k, p in zip(count, picks):
            names = []
            for j in p[:k]:
                if STYLE_NAMES[j] not in names:
                    names.append(STYLE_NAMES[j])
            styles.append(", ".join(names))
        cols["styles"] = pa.array(styles)
        table = pa.table(cols)
        if writer is None:
            writer = pq.ParquetWriter(os.path.join(a.out, "scores.parquet"), table.schema, compression="none",
                                      use_dictionary=False)
        writer.write_table(table, row_group_size=65536)
        if text:
            text.write(table, first=start == 0)
        if pool:
            pool.write(",\n".join(
                '{"id":"s%d","image":"%s","conversations":[{"from":"human","value":"<image>\\nQuestion %d?"},'
                '{"from":"gpt","value":"Answer."}]}' % (i, im, i) for i, im in zip(idx, images)))
            pool.write(",\n" if start + n < a.rows else "\n")
    writer.close()
    if text:
        text.close()
    if pool:
        pool.write("]\n")
        pool.close()


class TextOutputs:
    """The CSV (pyarrow's writer: quoted strings, empty nulls), JSONL and official-folder copies of the rows."""

    def __init__(self, out):
        import pyarrow.csv as pcsv
        self.pcsv = pcsv
        self.csv = open(os.path.join(out, "scores.csv"), "wb")
        self.jsonl = open(os.path.join(out, "scores.jsonl"), "w", encoding="utf-8")
        folder = os.path.join(out, "official")
        os.makedirs(folder, exist_ok=True)
        self.official = {k: open(os.path.join(folder, k + ".jsonl"), "w", encoding="utf-8") for k in CAPS + ["style"]}

    def write(self, table, first):
        self.pcsv.write_csv(table, self.csv, self.pcsv.WriteOptions(include_header=first, quoting_style="needed"))
        cols = table.to_pydict()
        names = list(cols)
        num = CAPS + STYLE_KEYS
        lines = []
        for r in range(table.num_rows):
            fields = []
            for k in names:
                v = cols[k][r]
                if k in num:
                    fields.append('"%s":%s' % (k, "null" if v is None else "%.2f" % v))
                else:
                    fields.append('"%s":%s' % (k, json.dumps(v)))
            lines.append("{" + ",".join(fields) + "}\n")
        self.jsonl.write("".join(lines))
        ok = [s == "ok" for s in cols["status"]]
        for k in CAPS:
            self.official[k].write("".join(
                '{"idx": %d, "pred_response": "%d"}\n' % (i, min(max(round(v), 0), 5))
                for i, v, good in zip(cols["idx"], cols[k], ok) if good))
        self.official["style"].write("".join(
            '{"idx": %d, "pred_response": %s}\n' % (i, json.dumps(st))
            for i, st, good in zip(cols["idx"], cols["styles"], ok) if good))

    def close(self):
        for f in [self.csv, self.jsonl, *self.official.values()]:
            f.close()


if __name__ == "__main__":
    main()
