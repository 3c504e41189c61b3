#!/usr/bin/env python3
"""mmssr's table readers beside peers that read the same files, alternating, per CPU-second.

  bench_readers.py DIR [--mmssr PATH] [--rounds N] [--formats csv,jsonl,parquet,official]

DIR holds `tools/gen_scores.py ROWS DIR --text`'s files. Each round runs, per format, `mmssr bench select
--reuse` (its read line) and then the peer in a fresh process, the files read once before the pair so both find
them in the page cache: pyarrow's CSV, JSON and Parquet readers (the selection's 18 columns, scores as float32,
all its threads), and for the official folder Python's json.loads per line (what Python selection code does).
Per core = file megabytes / CPU seconds of the reading process: steadier than wall time on a shared machine.
"""
import argparse
import os
import re
import resource
import subprocess
import sys
import time

from gen_scores import CAPS  # the generator of the files read here, beside this script

COLUMNS = ["idx", "status", "image_source", "styles"] + CAPS


def size(path):
    if os.path.isdir(path):
        return sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path))
    return os.path.getsize(path)


def warm(path):
    """Reads the files once, so both readers find them in the page cache (the folder of inputs may not fit)."""
    for name in sorted(os.listdir(path)) if os.path.isdir(path) else [""]:
        with open(os.path.join(path, name) if name else path, "rb") as f:
            while f.read(16 << 20):
                pass


def peer(fmt, path):
    """Reads `path` as the peer does; returns (rows, wall seconds, CPU seconds) of this process."""
    import pyarrow as pa

    def cpu():
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    types = {k: pa.float32() for k in CAPS}
    wall, start = time.time(), cpu()
    if fmt == "csv":
        import pyarrow.csv as pc
        rows = pc.read_csv(path, convert_options=pc.ConvertOptions(include_columns=COLUMNS, column_types=types)).num_rows
    elif fmt == "jsonl":
        import pyarrow.json as pj
        rows = pj.read_json(path).select(COLUMNS).num_rows
    elif fmt == "parquet":
        import pyarrow.parquet as pq
        rows = pq.read_table(path, columns=COLUMNS).num_rows
    else:
        import json
        rows = 0
        for name in sorted(os.listdir(path)):
            with open(os.path.join(path, name), "rb") as f:
                rows += len([json.loads(line) for line in f])
    return rows, time.time() - wall, cpu() - start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--mmssr", default=".build/release/mmssr")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--formats", default="csv,jsonl,parquet,official")
    ap.add_argument("--peer", help=argparse.SUPPRESS)
    a = ap.parse_args()
    paths = {"csv": "scores.csv", "jsonl": "scores.jsonl", "parquet": "scores.parquet", "official": "official"}
    if a.peer:
        rows, wall, cpu = peer(a.peer, os.path.join(a.dir, paths[a.peer]))
        print(f"{rows} {wall} {cpu}")
        return
    for fmt in a.formats.split(","):
        if fmt not in paths:
            sys.exit(f"bench_readers: unknown format {fmt!r} (csv, jsonl, parquet, official)")
        if not os.path.exists(os.path.join(a.dir, paths[fmt])):
            sys.exit(f"bench_readers: {os.path.join(a.dir, paths[fmt])} is missing: "
                     f"make it with tools/gen_scores.py ROWS {a.dir} --text")
    line = re.compile(r"in ([0-9.]+) s: [0-9]+ MB/s, ([0-9]+) MB/s per core \(([0-9.]+) CPU s")
    for round_ in range(1, a.rounds + 1):
        for fmt in a.formats.split(","):
            megabytes = size(os.path.join(a.dir, paths[fmt])) / 1e6
            warm(os.path.join(a.dir, paths[fmt]))
            ours = subprocess.run([a.mmssr, "bench", "select", "--dir", a.dir, "--format", fmt, "--reuse"],
                                  capture_output=True, text=True, check=True).stdout
            m = line.search(ours)
            if not m:
                sys.exit(f"no read line in mmssr's output:\n{ours}")
            wall, per_core, cpu = float(m.group(1)), float(m.group(2)), float(m.group(3))
            out = subprocess.run([sys.executable, __file__, a.dir, "--peer", fmt],
                                 capture_output=True, text=True, check=True).stdout.split()
            peer_wall, peer_cpu = float(out[1]), float(out[2])
            peer_per_core = megabytes / max(peer_cpu, 1e-6)
            print(f"round {round_} {fmt:8} {megabytes:6.0f} MB  mmssr {wall:5.2f} s {per_core:4.0f} MB/s/core  "
                  f"peer {peer_wall:6.2f} s {peer_per_core:4.0f} MB/s/core  ratio {per_core / peer_per_core:4.1f}x "
                  f"per core, " + (f"{peer_wall / wall:4.1f}x wall" if wall > 0 else "wall under mmssr's 0.01 s"), flush=True)


if __name__ == "__main__":
    main()
