#!/usr/bin/env python3
"""Benchmarks for post-merge-smoke, each printed side by side with its baseline.

1. Capturing a smoke that prints 1 GiB: wall time and peak RSS of
   `post-merge-smoke run --quiet -- head -c 1GiB /dev/zero` against the same bytes piped
   straight to /dev/null (`head -c 1GiB /dev/zero | cat > /dev/null`).
2. Start-up overhead: `post-merge-smoke run --skip-stale-check --quiet -- true` against
   `true`, mean of many runs.

Usage: scripts/bench.py [--bytes N] [--runs N]   (builds the release binary first)
Peak RSS is the largest VmHWM of any one process in the measured command's tree.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "post-merge-smoke")


def tree_of(root):
    """The pids of `root` and its descendants, from /proc."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in tree:
                tree.add(pid)
                frontier.append(pid)
    return tree


def vm_hwm_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def wall(argv, cwd):
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def peak_rss_kib(argv, cwd):
    """The largest peak RSS (VmHWM) of any one process of the command's tree, sampled while
    it runs, in a run of its own so the sampling does not slow the timed runs. (getrusage
    would report the launcher's size: exec records the old address space's peak.)"""
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while proc.poll() is None:
        for pid in tree_of(proc.pid):
            peak = max(peak, vm_hwm_kib(pid))
        time.sleep(0.002)
    return peak


def best_of(n, argv, cwd):
    """The fastest of n timed runs, and the peak RSS of one more."""
    return min(wall(argv, cwd) for _ in range(n)), peak_rss_kib(argv, cwd)


def mean_wall(n, argv, cwd):
    total = 0.0
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        total += time.perf_counter() - t
    return total / n


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bytes", type=int, default=1 << 30)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3, help="runs of the 1 GiB case; the fastest counts")
    args = parser.parse_args()

    subprocess.run(["cargo", "build", "--release", "--locked", "-q"], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory() as repo:
        env = dict(os.environ, GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@e", GIT_COMMITTER_NAME="b", GIT_COMMITTER_EMAIL="b@e")
        subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
        subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", "bench"], cwd=repo, check=True, env=env)

        n = str(args.bytes)
        smoke = ["head", "-c", n, "/dev/zero"]
        tool_wall, tool_rss = best_of(args.repeat, [BIN, "run", "--skip-stale-check", "--quiet", "--", *smoke], repo)
        pipe_wall, pipe_rss = best_of(args.repeat, ["sh", "-c", f"head -c {n} /dev/zero | cat > /dev/null"], repo)

        tool_start = mean_wall(args.runs, [BIN, "run", "--skip-stale-check", "--quiet", "--", "true"], repo)
        bare_start = mean_wall(args.runs, ["true"], repo)

    mib = args.bytes / (1 << 20)
    print(f"{'benchmark':<44}{'post-merge-smoke':>18}{'baseline':>14}{'ratio':>9}")
    print(f"{f'wall time, {mib:.0f} MiB of output':<44}{tool_wall:>16.3f} s{pipe_wall:>12.3f} s{tool_wall / pipe_wall:>8.2f}x")
    print(f"{'peak RSS, same run':<44}{tool_rss / 1024:>14.1f} MiB{pipe_rss / 1024:>10.1f} MiB{'':>9}")
    print(
        f"{f'start-up, run -- true vs true ({args.runs} runs)':<44}{tool_start * 1000:>15.2f} ms{bare_start * 1000:>11.2f} ms"
        f"{'':>2}+{(tool_start - bare_start) * 1000:.2f} ms"
    )


if __name__ == "__main__":
    main()
