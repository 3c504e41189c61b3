#!/usr/bin/env python3
"""Scores a pool on a Ray cluster: one `mmssr score --shard i/N --resume` task per shard, then `mmssr merge`.

    python3 tools/ray_score.py POOL --images DIR -o SCORES.parquet --shards 64 --shard-dir /shared/run1 \\
        [--address auto] [--cpus-per-task 16] [--mmssr /shared/bin/mmssr] [--model /shared/mmssr-small.gguf]

With --scorer (and --styler) the shards run the teacher, `mmssr teach --shard i/N --resume`, instead of the
student: the same sharding, retries and merge, for the official MLLMs (one shard per node: ~10 GB each at 7B).

Every path must name the same file on every node (shared storage). Shard i writes
SHARD_DIR/shard-i-of-N.EXT (EXT from -o) with its checkpoint beside it, so:
- a task that fails (its `mmssr score` killed, its node lost) is retried by Ray up to --max-retries times, and
  the retry continues from the checkpoint (`--resume`) instead of starting over;
- rerunning this launcher after it stopped resumes the same way, and skips shards whose table exists.
Shard tables are in pool order and shard i holds the positions p with p mod N == i; `mmssr merge` interleaves
them back into pool order, giving the file a single `mmssr score` would have written, byte for byte.

--local-cpus C starts a private one-node Ray instead of joining --address: every server on 127.0.0.1 (Ray 2.60
replaces a 127.0.0.1 node address with the machine's and listens on every interface unless
RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0, which this sets; see docs/scale-out.md), no dashboard, its own session
folder, and its own token login (a fresh token in RAY_AUTH_TOKEN, so an existing ~/.ray/auth_token or a
RAY_AUTH_TOKEN of another cluster neither breaks nor opens it). A retried shard is reported on stderr.
"""
import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
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
    p.add_argument("--model", help="student model file (mmssr score)")
    p.add_argument("--scorer", help="teacher scorer file: run `mmssr teach` instead of `mmssr score`")
    p.add_argument("--styler", help="teacher styler file (with --scorer)")
    p.add_argument("--max-new-tokens", type=int, help="teacher answer length (with --scorer)")
    p.add_argument("--batch", type=int)
    p.add_argument("--limit", type=int)
    p.add_argument("--fp32", action="store_true")
    args = p.parse_args(argv)
    if args.shards < 1:
        p.error("--shards must be at least 1")
    if args.cpus_per_task < 1:
        p.error("--cpus-per-task must be at least 1")
    if args.scorer and args.model:
        p.error("--model is the student's and --scorer the teacher's: give one")
    if not args.scorer and (args.styler or args.max_new_tokens is not None):
        p.error("--styler and --max-new-tokens need --scorer")
    return args


def shard_command(args, mmssr):
    """The command every shard runs, without its --shard and -o: `mmssr teach` with a teacher, else `mmssr score`."""
    command = [mmssr, "teach" if args.scorer else "score", os.path.abspath(args.pool),
               "--images", os.path.abspath(args.images), "--threads", str(args.threads or args.cpus_per_task),
               "--resume"]
    for flag, path in (("--model", args.model), ("--scorer", args.scorer), ("--styler", args.styler)):
        if path:
            command += [flag, os.path.abspath(path)]
    for flag, value in (("--batch", args.batch), ("--limit", args.limit), ("--max-new-tokens", args.max_new_tokens)):
        if value is not None:
            command += [flag, str(value)]
    if args.fp32:
        command.append("--fp32")
    return command


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


ATTEMPT = "--- "
FAILED = "!!! "


def attempts(log):
    """(attempts started, last failure reason) in a shard's log."""
    try:
        with open(log, errors="replace") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return 0, None
    failures = [line[len(FAILED):] for line in lines if line.startswith(FAILED)]
    return sum(line.startswith(ATTEMPT) for line in lines), failures[-1] if failures else None


def private_cluster_environment(session_dir):
    """os.environ changes for a one-node Ray that only this launcher can reach, all on loopback.

    Set before `import ray`: ray_constants reads RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER at import, and with it 0
    get_node_ip_address() is 127.0.0.1 (not the address seen towards the network), which every server (GCS,
    raylet, object manager, workers, runtime-env agent) then binds. The token: Ray 2.60 turns token login on
    for every new local cluster and reads RAY_AUTH_TOKEN before RAY_AUTH_TOKEN_PATH and ~/.ray/auth_token.
    HOME: Ray's processes read ~/.ray (token, usage-stats config) and ~/ray_bootstrap_config.yaml; without
    that file the API server Ray always starts (even with include_dashboard=False, for its usage-stats module)
    probes cloud metadata servers (169.254.169.254, metadata.google.internal) over the network. An empty
    config there makes it stop at the file. The shards' `mmssr score` gets the user's HOME back.
    """
    with open(os.path.join(session_dir, "ray_bootstrap_config.yaml"), "w") as f:
        f.write("{}\n")
    return {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_AUTH_MODE": "token",
            "RAY_AUTH_TOKEN": secrets.token_hex(32), "RAY_AUTH_TOKEN_PATH": None, "HOME": session_dir}


def run_shard(command, table, log, kill_marker, home):
    """Runs one shard's `mmssr score` (or `teach`); raises on failure so Ray retries the task.

    home: HOME for mmssr (the user's, when the launcher gave its private Ray another).
    kill_marker (tests only): on the first attempt (the marker file does not exist yet) the child is
    SIGKILLed as soon as its checkpoint holds a row, as a crashed node would leave it.
    """
    os.makedirs(os.path.dirname(table), exist_ok=True)
    with open(log, "ab") as err:
        err.write(f"{ATTEMPT}{time.strftime('%Y-%m-%d %H:%M:%S')} on {os.uname().nodename}: {' '.join(command)}\n".encode())
        err.flush()
        env = dict(os.environ, HOME=home) if home else None
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err, env=env)
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
    failure = None
    if status < 0:
        failure = f"{os.path.basename(command[0])} {command[1]} was killed by signal {-status}"
    elif status != 0:
        with open(log, "rb") as f:
            last = f.read()[-2000:].decode(errors="replace").strip().splitlines()[-1]
        failure = f"{os.path.basename(command[0])} {command[1]} exited with {status}: {last}"
    if failure:
        with open(log, "a") as f:
            f.write(f"{FAILED}{failure}\n")
        raise RuntimeError(f"{table}: {failure}")
    return table


def wait_reporting_retries(ray, refs, logs, timeout):
    """ray.get(refs) that prints each new attempt of a shard (a Ray retry) on stderr as it starts."""
    deadline = None if timeout is None else time.monotonic() + timeout
    seen = {ref: attempts(log)[0] for ref, log in zip(refs, logs)}
    first = dict(seen)
    log_of = dict(zip(refs, logs))
    pending = list(refs)
    while pending:
        wait = 1.0 if deadline is None else max(0.0, min(1.0, deadline - time.monotonic()))
        done, pending = ray.wait(pending, num_returns=len(pending), timeout=wait)
        for ref in pending + done:
            started, reason = attempts(log_of[ref])
            if started > max(seen[ref], first[ref] + 1):
                print(f"retry: {log_of[ref][:-len('.log')]}: attempt {started - first[ref]} after: "
                      f"{reason or 'its worker or node was lost'}",
                      file=sys.stderr, flush=True)
            seen[ref] = max(seen[ref], started)
        for table in ray.get(done):
            print(f"done: {table}", file=sys.stderr, flush=True)
        if pending and deadline is not None and time.monotonic() >= deadline:
            raise ray.exceptions.GetTimeoutError()


def main(argv=None):
    args = parse_args(argv)
    ext = os.path.splitext(args.output)[1].lower()
    if ext not in (".parquet", ".csv", ".jsonl"):
        sys.exit(f"error: {args.output}: unknown table format (use .parquet, .csv or .jsonl)")
    mmssr = find_mmssr(args.mmssr)
    shard_dir = os.path.abspath(args.shard_dir)
    os.makedirs(shard_dir, exist_ok=True)
    n = args.shards
    tables = [shard_table(shard_dir, i, n, ext) for i in range(n)]
    kill_shard = os.environ.get("MMSSR_TEST_KILL_SHARD")

    base = shard_command(args, mmssr)

    todo = [i for i in range(n) if not os.path.exists(tables[i])]
    print(f"{n - len(todo)} of {n} shard tables already in {shard_dir}; scoring {len(todo)}", file=sys.stderr)
    if todo:
        score_on_ray(args, base, tables, todo, shard_dir, kill_shard)

    merged = subprocess.run([mmssr, "merge", *tables, "-o", os.path.abspath(args.output), "--pool", os.path.abspath(args.pool)])
    if merged.returncode != 0:
        sys.exit(merged.returncode)


def score_on_ray(args, base, tables, todo, shard_dir, kill_shard):
    # Ray would otherwise report usage statistics over the network.
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    # The private cluster's session folder (logs, sockets) is its own, not /tmp/ray shared with other clusters.
    session_dir = tempfile.mkdtemp(prefix="mmssr-ray-") if args.local_cpus else None
    home = os.environ.get("HOME")
    if args.local_cpus:
        for name, value in private_cluster_environment(session_dir).items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    import ray  # after the environment above: Ray reads some of it at import

    n = args.shards
    if args.local_cpus:
        ray.init(address="local", num_cpus=args.local_cpus, include_dashboard=False, _node_ip_address="127.0.0.1",
                 _temp_dir=session_dir, log_to_driver=False)
    else:
        ray.init(address=args.address, log_to_driver=False)
    task = ray.remote(run_shard).options(num_cpus=args.cpus_per_task, max_retries=args.max_retries,
                                         retry_exceptions=True)
    refs, logs = [], []
    for i in todo:
        command = base + ["--shard", f"{i}/{n}", "-o", tables[i]]
        marker = os.path.join(shard_dir, f".killed-shard-{i}") if kill_shard == str(i) else None
        refs.append(task.remote(command, tables[i], tables[i] + ".log", marker, home if session_dir else None))
        logs.append(tables[i] + ".log")
    try:
        wait_reporting_retries(ray, refs, logs, args.timeout)
    except ray.exceptions.GetTimeoutError:
        sys.exit(f"error: shards unfinished after {args.timeout} s; rerun to resume them")
    except ray.exceptions.RayTaskError as e:
        sys.exit(f"error: a shard failed after {args.max_retries} retries: {e.cause}; rerun to resume it")
    finally:
        ray.shutdown()
        if session_dir:
            shutil.rmtree(session_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
