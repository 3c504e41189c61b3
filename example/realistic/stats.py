#!/usr/bin/env python3
"""Counts of a realistic split (or all): per style, per capability, per source, turns and lengths.

    python3 example/realistic/stats.py            # dev and test, whichever exist
    python3 example/realistic/stats.py dev

Checks DATASET.md's floors: >= 200 items and >= 6 sources per split, every style and capability on >= 10 items.
"""
import collections
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
STYLES = ["multi-choice", "coordinate", "yes/no", "word/short-phrase", "short description",
          "detailed description", "comparison", "chain-of-thought (step-by-step)", "specified style"]
CAPS = ["spatial", "attribute", "logical", "scene", "finegrained", "language", "incontext", "comparative",
        "activity", "causal", "humanities", "stem", "data", "ocr"]


def split_stats(name):
    pool = json.load(open(os.path.join(HERE, name, "pool.json")))
    labels = json.load(open(os.path.join(HERE, name, "labels.json")))
    if [l["idx"] for l in labels] != list(range(len(pool))):
        sys.exit(f"{name}: labels idx must be 0..{len(pool) - 1} in order")
    styles = collections.Counter(s for l in labels for s in l["styles"])
    caps = collections.Counter(c for l in labels for c in l["capabilities"])
    sources = collections.Counter(it["id"].split("-", 1)[-1].rsplit("-", 1)[0] for it in pool)
    turns = collections.Counter(len(it["conversations"]) // 2 for it in pool)
    answers = [len(c["value"]) for it in pool for c in it["conversations"] if c["from"] == "gpt"]
    sample = [sum(len(c["value"]) for c in it["conversations"]) for it in pool]
    print(f"== {name}: {len(pool)} items, {len(sources)} sources, {sum(1 for it in pool if 'image' not in it)} text-only")
    print("sources:", ", ".join(f"{k} {v}" for k, v in sources.most_common()))
    print("turns:", ", ".join(f"{k}: {v}" for k, v in sorted(turns.items())),
          f"(multi-turn {sum(v for k, v in turns.items() if k > 1) / len(pool):.0%})")
    print(f"answer chars: min {min(answers)}, median {sorted(answers)[len(answers) // 2]}, max {max(answers)}; "
          f"sample chars: mean {sum(sample) / len(sample):.0f}")
    problems = []
    for group, names, counts in (("style", STYLES, styles), ("capability", CAPS, caps)):
        print(f"{group}:", ", ".join(f"{n} {counts[n]}" for n in names))
        problems += [f"{group} '{n}' on {counts[n]} items" for n in names if counts[n] < 10]
        problems += [f"unknown {group} '{n}'" for n in counts if n not in names]
    if len(pool) < 200:
        problems.append(f"{len(pool)} items (< 200)")
    if len(sources) < 6:
        problems.append(f"{len(sources)} sources (< 6)")
    for p in problems:
        print("  below floor:", p)
    return sources


def main():
    names = sys.argv[1:] or [n for n in ("dev", "test") if os.path.exists(os.path.join(HERE, n, "pool.json"))]
    seen = [set(split_stats(n)) for n in names]
    if len(seen) == 2 and seen[0] & seen[1]:
        print("sources in both splits:", ", ".join(sorted(seen[0] & seen[1])))


if __name__ == "__main__":
    main()
