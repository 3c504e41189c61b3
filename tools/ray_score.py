#!/usr/bin/env python3
"""Scores a pool on a Ray cluster: one `mmssr score --shard i/N --resume` task per shard, then `mmssr merge`.

    python3 tools/ray_score.py POOL --images DIR -o SCORES.parquet --shards 64 --shard-dir /shared/run1 \\
        [--address auto] [--cpus-per-task 16] [--mmssr /shared/bin/mmssr] [--model /shared/mmssr-small.gguf]

Every path must name the same file on every node (shared storage). Shard i writes
SHARD_DIR/shard-i-of-N.EXT (EXT from -o) with its checkpoint beside it, so:
- a task that fails (its `mmssr score` killed, its node lost) is retried by Ray up to --max-retries times, and
  the retry continues from the checkpoint (`--resume`) instead of starting over;
- rerunning this launcher after it stopped resumes the same way, and skips shards whose table exists.
Shard tables are in pool order and shard i holds the positions p with p mod N == i; `mmssr merge` interleaves
them back into pool order, giving the file a single `mmssr score` would have written, byte for byte.

--local-cpus C starts a private one-node Ray on 127.0.0.1 (no dashboard) instead of joining --address.
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import time


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("pool")
    p.add_argument("--images", required=True, help="folder the pool's image paths are relative to")
    p.add_argument("-o", "--output", required=True, help="merged table: .parquet, .csv or .jsonl")
    p.add_argument("--shards", type=int, required=True, help="N: tasks, one per shard")
    p.add_argument("--shard-dir", required=True, help="shared folder for the shard tables and checkpoints")
    p.add_argument("--mmssr", default=None, help="mmssr executable (default: on PATH, else .build/release/mmssr)")
    p.add_argument("--cpus-per-task", type=int, default=1, help="Ray num_cpus per task (a node's cores is typical)")
    p.add_argument("--threads", type=int, default=None, help="mmssr --threads (default: --cpus-per-task)")
    p.add_argument("--max-retries", type=int, default=3, help="Ray retries of a failed task")
    p.add_argument("--timeout", type=float, default=None, help="seconds to wait for all shards (default: no limit)")
    p.add_argument("--address", default="auto", help="Ray cluster to join (default: auto)")
    p.add_argument("--local-cpus", type=int, default=None, help="start a local Ray on 127.0.0.1 with this many CPUs")
    p.add_argument("--model")
    p.add_argument("--batch", type=int)
    p.add_argument("--limit", type=int)
    p.add_argument("--fp32", action="store_true")
    args = p.parse_args(argv)
    if args.shards < 1:
        p.error("--shards must be at least 1")
    if args.cpus_per_task < 1:
        p.error("--cpus-per-task must be at least 1")
    return args


def find_mmssr(given):
    if given:
        return os.path.abspath(given)
    found = shutil.which("mmssr")
    if found:
        return found
    built = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".build", "release", "mmssr")
    if os.access(built, os.X_OK):
        return built
    sys.exit("error: no mmssr executable: pass --mmssr or put it on PATH")


def shard_table(shard_dir, i, n, ext):
    return os.path.join(shard_dir, f"shard-{i}-of-{n}{ext}")


def checkpoint_rows(path):
    """Complete row lines in a checkpoint (its first line is a header)."""
    try:
        with open(path, "rb") as f:
            return max(f.read().count(b"\n") - 1, 0)
    except FileNotFoundError:
        return 0


def run_shard(command, table, log, kill_marker):
    """Runs one shard's `mmssr score`; raises on failure so Ray retries the task.

    kill_marker (tests only): on the first attempt (the marker file does not exist yet) the child is
    SIGKILLed as soon as its checkpoint holds a row, as a crashed node would leave it.
    """
    os.makedirs(os.path.dirname(table), exist_ok=True)
    with open(log, "ab") as err:
        err.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} on {os.uname().nodename}: {' '.join(command)}\n".encode())
        err.flush()
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err)
        if kill_marker and not os.path.exists(kill_marker):
            checkpoint = table + ".checkpoint.jsonl"
            while child.poll() is None and checkpoint_rows(checkpoint) < 1:
                time.sleep(0.002)
            killed = child.poll() is None
            if killed:
                child.send_signal(signal.SIGKILL)
            with open(kill_marker, "w") as m:
                m.write(f"killed after {checkpoint_rows(checkpoint)} rows\n" if killed else "finished before the kill\n")
        status = child.wait()
    if status < 0:
        raise RuntimeError(f"{table}: mmssr score was killed by signal {-status}")
    if status != 0:
        with open(log, "rb") as f:
            last = f.read()[-2000:].decode(errors="replace").strip().splitlines()[-1]
        raise RuntimeError(f"{table}: mmssr score exited with {status}: {last}")
    return table


def main(argv=None):
    args = parse_args(argv)
    import ray  # after argument checks, so --help works without Ray

    ext = os.path.splitext(args.output)[1].lower()
    if ext not in (".parquet", ".csv", ".jsonl"):
        sys.exit(f"error: {args.output}: unknown table format (use .parquet, .csv or .jsonl)")
    mmssr = find_mmssr(args.mmssr)
    shard_dir = os.path.abspath(args.shard_dir)
    os.makedirs(shard_dir, exist_ok=True)
    n = args.shards
    tables = [shard_table(shard_dir, i, n, ext) for i in range(n)]
    kill_shard = os.environ.get("MMSSR_TEST_KILL_SHARD")

    base = [mmssr, "score", os.path.abspath(args.pool), "--images", os.path.abspath(args.images),
            "--threads", str(args.threads or args.cpus_per_task), "--resume"]
    if args.model:
        base += ["--model", os.path.abspath(args.model)]
    for flag, value in (("--batch", args.batch), ("--limit", args.limit)):
        if value is not None:
            base += [flag, str(value)]
    if args.fp32:
        base.append("--fp32")

    todo = [i for i in range(n) if not os.path.exists(tables[i])]
    print(f"{n - len(todo)} of {n} shard tables already in {shard_dir}; scoring {len(todo)}", file=sys.stderr)
    if todo:
        # Ray would otherwise report usage statistics over the network.
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        if args.local_cpus:
            ray.init(address="local", num_cpus=args.local_cpus, include_dashboard=False,
                     _node_ip_address="127.0.0.1", log_to_driver=False)
        else:
            ray.init(address=args.address, log_to_driver=False)
        task = ray.remote(run_shard).options(num_cpus=args.cpus_per_task, max_retries=args.max_retries,
                                             retry_exceptions=True)
        refs = []
        for i in todo:
            command = base + ["--shard", f"{i}/{n}", "-o", tables[i]]
            marker = os.path.join(shard_dir, f".killed-shard-{i}") if kill_shard == str(i) else None
            refs.append(task.remote(command, tables[i], tables[i] + ".log", marker))
        try:
            for table in ray.get(refs, timeout=args.timeout):
                print(f"done: {table}", file=sys.stderr)
        except ray.exceptions.GetTimeoutError:
            sys.exit(f"error: shards unfinished after {args.timeout} s; rerun to resume them")
        except ray.exceptions.RayTaskError as e:
            sys.exit(f"error: a shard failed after {args.max_retries} retries: {e.cause}; rerun to resume it")
        finally:
            ray.shutdown()

    merged = subprocess.run([mmssr, "merge", *tables, "-o", os.path.abspath(args.output)])
    if merged.returncode != 0:
        sys.exit(merged.returncode)


if __name__ == "__main__":
    main()
