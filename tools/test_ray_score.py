#!/usr/bin/env python3
"""End-to-end check of tools/ray_score.py on a private Ray bound to 127.0.0.1 (no other network):

4 shards of the example pool's first 24 items, shard 1's `mmssr score` SIGKILLed once after its first
checkpointed batch; Ray retries it, the launcher says so on stderr, the retry resumes from the checkpoint, and
the merged table is byte for byte the table of one `mmssr score` process. A second launch finds every shard
table and only merges. Then 3 shards of the teacher (`--scorer`/`--styler`: `mmssr teach` on the tiny teachers in
.build/teacher) merge to the table of one `mmssr teach`. Meanwhile every socket of the launcher and its descendants (GCS, raylet, workers,
agents) is read from /proc every 50 ms: any bound or peer address outside 127.0.0.0/8 and ::1 (a wildcard
0.0.0.0 or :: included) fails the test. The launch runs with a HOME holding another cluster's
~/.ray/auth_token and a foreign RAY_AUTH_TOKEN, as a user's machine may have.

    python3 tools/test_ray_score.py --mmssr .build/release/mmssr

Exits non-zero with the reason on failure; the whole run is bounded by --timeout (default 240 s).
"""
import argparse
import ipaddress
import os
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def fail(message):
    sys.exit(f"FAIL: {message}")


def run(command, timeout, env=None):
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)
    if done.returncode != 0:
        fail(f"{' '.join(command)} exited with {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


def children_by_parent():
    tree = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            tree.setdefault(ppid, []).append(int(entry))
    return tree


def descendants(root):
    tree, found, todo = children_by_parent(), [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(tree.get(pid, []))
    return found


def socket_owners(pids):
    """socket inode -> (pid, command) for the sockets the processes hold."""
    owners = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                command = " ".join(part.decode(errors="replace") for part in f.read().split(b"\0")[:4] if part)
            command = os.path.basename(command.split(" ")[0]) + command[len(command.split(" ")[0]):]
            for fd in os.listdir(f"/proc/{pid}/fd"):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:["):
                    owners[target[8:-1]] = (pid, command)
        except OSError:
            continue
    return owners


def proc_address(text):
    """An address of /proc/net/{tcp,udp}{,6}: hex words in host (little-endian) order, then the port."""
    host, port = text.split(":")
    raw = b"".join(bytes.fromhex(host[i:i + 8])[::-1] for i in range(0, len(host), 8))
    return ipaddress.ip_address(raw), int(port, 16)


def is_loopback(address):
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_loopback


class SocketWatch:
    """Polls the sockets of a process tree; records every one and each address outside loopback."""

    def __init__(self, root):
        self.root, self.seen, self.violations = root, set(), []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop.is_set():
            self.poll()
            self.stop.wait(0.05)

    def poll(self):
        owners = socket_owners(descendants(self.root))
        for table in ("tcp", "tcp6", "udp", "udp6"):
            try:
                with open(f"/proc/net/{table}") as f:
                    rows = f.read().splitlines()[1:]
            except OSError:
                continue
            for row in rows:
                fields = row.split()
                inode = fields[9]
                if inode not in owners:
                    continue
                (local, lport), (peer, pport) = proc_address(fields[1]), proc_address(fields[2])
                listening = fields[3] == "0A" or table.startswith("udp")
                key = (table, str(local), lport, str(peer), pport, owners[inode][1])
                if key in self.seen:
                    continue
                self.seen.add(key)
                bad_peer = pport != 0 and not is_loopback(peer)
                if not is_loopback(local) or bad_peer:
                    what = "listens" if listening else "is connected"
                    self.violations.append(f"{owners[inode][1]} (pid {owners[inode][0]}) {what} on {table} "
                                           f"{local}:{lport} peer {peer}:{pport}")

    def finish(self):
        self.stop.set()
        self.thread.join()
        listening = {key for key in self.seen if key[4] == 0}
        # Programs by name: the executable, or a Python process's script or Ray's "ray::ROLE" title.
        names = {next((w for w in key[5].split(" ") if w.endswith(".py")), key[5].split(" ")[0]) for key in self.seen}
        return len(listening), sorted(os.path.basename(name) for name in names)


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
        # Another cluster's token login in HOME and in the environment must neither break nor reach ours.
        home = os.path.join(tmp, "home")
        os.makedirs(os.path.join(home, ".ray"))
        with open(os.path.join(home, ".ray", "auth_token"), "w") as f:
            f.write("0" * 64)
        env = dict(os.environ, MMSSR_TEST_KILL_SHARD="1", RAY_USAGE_STATS_ENABLED="0", HOME=home,
                   RAY_AUTH_TOKEN="f" * 64)
        child = subprocess.Popen(launch, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        watch = SocketWatch(child.pid)
        try:
            out, err = child.communicate(timeout=deadline - time.monotonic())
        finally:
            child.kill()
            listening, commands = watch.finish()
        if child.returncode != 0:
            fail(f"{' '.join(launch)} exited with {child.returncode}:\n{out}\n{err}")
        if watch.violations:
            fail("Ray used addresses outside loopback:\n" + "\n".join(watch.violations))
        if listening < 3 or "gcs_server" not in commands or "raylet" not in commands:
            fail(f"the socket watch saw only {listening} listening sockets of {commands}: it cannot have seen Ray")
        retries = [line for line in err.splitlines() if line.startswith("retry: ")]
        if len(retries) != 1 or "shard-1-of-4" not in retries[0] or "killed by signal 9" not in retries[0]:
            fail(f"the launcher's stderr should report shard 1's one retry:\n{err}")
        first = subprocess.CompletedProcess(launch, 0, out, err)

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
        teach_shards_merge_to_single_teach(args, deadline, tmp)
    print(f"ok: 4 Ray shards ({what} in shard 1, retried and resumed) merge to the single-process table; "
          f"{listening} listening sockets of {', '.join(commands)}, all on loopback; 3 teacher shards likewise")


def teach_shards_merge_to_single_teach(args, deadline, tmp):
    """--scorer/--styler: the shards run `mmssr teach` (the tiny official-layout teachers scripts/test.sh converts)."""
    fixtures = os.path.join(ROOT, "Tests", "ScorerTests", "Fixtures")
    pool, images = os.path.join(fixtures, "teacher_pool.json"), os.path.join(fixtures, "teacher_images")
    scorer, styler = (os.path.join(ROOT, ".build", "teacher", f"{role}-int8.gguf") for role in ("scorer", "styler"))
    for path in (scorer, styler):
        if not os.path.exists(path):
            fail(f"{path} is missing (python3 tools/test_convert_mllm.py --keep .build/teacher makes it)")
    teachers = ["--scorer", scorer, "--styler", styler, "--max-new-tokens", "8"]
    reference = os.path.join(tmp, "teach-reference.parquet")
    run([args.mmssr, "teach", pool, "--images", images, "-o", reference, "--threads", "1", "--quiet", *teachers],
        timeout=deadline - time.monotonic())
    merged = os.path.join(tmp, "teach-merged.parquet")
    run([sys.executable, os.path.join(ROOT, "tools", "ray_score.py"), pool, "--images", images, "-o", merged,
         "--shards", "3", "--shard-dir", os.path.join(tmp, "teach-shards"), "--mmssr", args.mmssr,
         "--local-cpus", "2", "--cpus-per-task", "1", "--timeout", "120", *teachers],
        timeout=deadline - time.monotonic(), env=dict(os.environ, RAY_USAGE_STATS_ENABLED="0"))
    with open(reference, "rb") as a, open(merged, "rb") as b:
        if a.read() != b.read():
            fail(f"3 Ray teacher shards merged ({merged}) differ from one mmssr teach ({reference})")


if __name__ == "__main__":
    main()
