#!/usr/bin/env python3
"""Straightforward transcription of SPEC §5 (--method mmssr), the independent reference for the Swift selector.

  select_reference.py TABLE.(csv|parquet|jsonl) --budget B --caps k1,k2 [--thr T]

Prints the selected idx in the order they were picked, one per line; a shortfall goes to stderr.
"""
import argparse
import json
import math
import sys


def load(path):
    if path.endswith(".parquet"):
        import pyarrow.parquet as pq
        return pq.read_table(path).to_pylist()
    if path.endswith(".jsonl"):
        return [json.loads(l) for l in open(path, encoding="utf-8") if l.strip()]
    import csv
    rows = list(csv.DictReader(open(path, encoding="utf-8", newline="")))
    for r in rows:
        r["idx"] = int(r["idx"])
        for k, v in list(r.items()):
            if k not in ("idx", "id", "image", "image_source", "status", "error", "styles"):
                r[k] = float(v) if v != "" else None
    return rows


def styles_of(row):
    out = []
    for s in (row.get("styles") or "").split(","):
        s = s.strip()
        if s and s not in out:
            out.append(s)
    return out


def SELECT(D, n):
    labels = {r["idx"]: [s + "+" + r["image_source"] for s in styles_of(r)] for r in D}
    bins = {}
    k = 0
    while True:
        any_k = False
        for r in D:
            ls = labels[r["idx"]]
            if len(ls) > k:
                any_k = True
                bins.setdefault(ls[k], []).append(r)
        if not any_k:
            break
        k += 1
    order = sorted(bins, key=lambda L: (len(bins[L]), L))
    if not order:
        return []
    quota = max(n // len(order), 1)
    debt = 0
    sel = []
    chosen = set()
    for L in order:
        if len(sel) >= n:
            break
        avail = [r for r in bins[L] if r["idx"] not in chosen]
        take = min(quota + debt, len(avail))
        debt = max(quota + debt - len(avail), 0)
        take = min(take, n - len(sel))
        for r in avail[:take]:
            sel.append(r)
            chosen.add(r["idx"])
    return sel


def select(rows, B, caps, thr):
    S = []
    in_S = set()
    C = [r for r in rows if r["status"] == "ok"]
    caps = list(caps)
    while len(S) < B and caps:
        per = max((B - len(S)) // len(caps), 1)
        exhausted = []
        for c in caps:
            per = min(per, B - len(S))
            D = [r for r in C if r[c] is not None and not math.isnan(r[c]) and r[c] > thr]
            D.sort(key=lambda r: (-r[c], r["idx"]))
            new = SELECT(D, per)
            if not new:
                exhausted.append(c)
            else:
                ids = {r["idx"] for r in new}
                C = [r for r in C if r["idx"] not in ids]
                S += [r["idx"] for r in new]
                in_S |= ids
            if len(S) >= B:
                break
        caps = [c for c in caps if c not in exhausted]
    return S


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("table")
    ap.add_argument("--budget", type=int, required=True)
    ap.add_argument("--caps", required=True)
    ap.add_argument("--thr", type=float, default=0.0)
    a = ap.parse_args()
    S = select(load(a.table), a.budget, a.caps.split(","), a.thr)
    if len(S) < a.budget:
        print(f"shortfall {a.budget - len(S)}", file=sys.stderr)
    sys.stdout.write("".join(f"{i}\n" for i in S))


if __name__ == "__main__":
    main()
