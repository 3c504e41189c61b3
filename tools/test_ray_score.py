#!/usr/bin/env python3
"""End-to-end check of tools/ray_score.py on a private Ray bound to 127.0.0.1 (no other network):

4 shards of the example pool's first 24 items, shard 1's `mmssr score` SIGKILLed once after its first
checkpointed batch; Ray retries it, the retry resumes from the checkpoint, and the merged table is byte for
byte the table of one `mmssr score` process. A second launch finds every shard table and only merges.

    python3 tools/test_ray_score.py --mmssr .build/release/mmssr

Exits non-zero with the reason on failure; the whole run is bounded by --timeout (default 240 s).
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def fail(message):
    sys.exit(f"FAIL: {message}")


def run(command, timeout, env=None):
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)
    if done.returncode != 0:
        fail(f"{' '.join(command)} exited with {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mmssr", default=os.path.join(ROOT, ".build", "release", "mmssr"))
    p.add_argument("--timeout", type=float, default=240)
    args = p.parse_args()
    deadline = time.monotonic() + args.timeout
    pool, images = os.path.join(ROOT, "example", "pool.json"), os.path.join(ROOT, "example", "images")
    model = os.path.join(ROOT, "weights", "mmssr-small.gguf")
    for path in (args.mmssr, pool, images, model):
        if not os.path.exists(path):
            fail(f"{path} is missing (build mmssr, run weights/setup.sh and example/make_images.py)")
    # --batch 1: the forward's last bits depend on which samples share a batch (a shard's batches group other
    # items than one process's), so only one-sample batches make the two runs comparable byte for byte.
    common = ["--model", model, "--batch", "1", "--limit", "24"]

    with tempfile.TemporaryDirectory(prefix="mmssr-ray-test-") as tmp:
        reference = os.path.join(tmp, "reference.parquet")
        run([args.mmssr, "score", pool, "--images", images, "-o", reference, "--threads", "1", "--quiet", *common],
            timeout=deadline - time.monotonic())

        shard_dir, merged = os.path.join(tmp, "shards"), os.path.join(tmp, "merged.parquet")
        launch = [sys.executable, os.path.join(ROOT, "tools", "ray_score.py"), pool, "--images", images,
                  "-o", merged, "--shards", "4", "--shard-dir", shard_dir, "--mmssr", args.mmssr,
                  "--local-cpus", "2", "--cpus-per-task", "1", "--max-retries", "2", "--timeout", "180", *common]
        env = dict(os.environ, MMSSR_TEST_KILL_SHARD="1", RAY_USAGE_STATS_ENABLED="0")
        first = run(launch, timeout=deadline - time.monotonic(), env=env)

        marker = os.path.join(shard_dir, ".killed-shard-1")
        if not os.path.exists(marker):
            fail(f"shard 1 was never started under the kill switch:\n{first.stderr}")
        with open(marker) as f:
            what = f.read().strip()
        if not what.startswith("killed after"):
            fail(f"shard 1 was not killed mid-run: {what}")
        with open(os.path.join(shard_dir, "shard-1-of-4.parquet.log")) as f:
            log = f.read()
        if log.count("--- ") != 2:
            fail(f"shard 1 ran {log.count('--- ')} times, expected a killed attempt and one retry:\n{log}")
        if " resumed;" not in log:
            fail(f"shard 1's retry did not resume from the checkpoint:\n{log}")
        if os.path.exists(os.path.join(shard_dir, "shard-1-of-4.parquet.checkpoint.jsonl")):
            fail("shard 1's checkpoint is still there after its retry finished")
        with open(reference, "rb") as a, open(merged, "rb") as b:
            if a.read() != b.read():
                fail(f"{merged} differs from the single-process table {reference}")

        # A rerun finds every shard table: no Ray tasks, the same merge.
        os.remove(merged)
        again = run(launch, timeout=deadline - time.monotonic(), env=env)
        if "4 of 4 shard tables already" not in again.stderr:
            fail(f"the rerun did not skip the finished shards:\n{again.stderr}")
        with open(reference, "rb") as a, open(merged, "rb") as b:
            if a.read() != b.read():
                fail("the rerun's merge differs from the single-process table")
    print(f"ok: 4 Ray shards ({what} in shard 1, retried and resumed) merge to the single-process table")


if __name__ == "__main__":
    main()
