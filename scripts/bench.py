#!/usr/bin/env python3
"""Benchmarks for post-merge-smoke, each printed side by side with its baseline.

1. Capturing a smoke that prints 1 GiB: wall time and peak RSS of
   `post-merge-smoke run --quiet -- head -c 1GiB /dev/zero` against the same bytes piped
   straight to /dev/null (`head -c 1GiB /dev/zero | cat > /dev/null`).
2. Start-up overhead: `post-merge-smoke run --skip-stale-check --quiet -- true` against
   `true`, mean of many runs.

Usage: scripts/bench.py [--bytes N] [--runs N]   (builds the release binary first)
Peak RSS is the largest single process of the measured command's tree, from wait4.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "post-merge-smoke")


def measure(argv, cwd):
    """Wall time and peak RSS (KiB) of one run. posix_spawn copies none of Python's memory
    into the child, and wait4 reports the largest RSS in the child's own tree."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    actions = [(os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)]
    here = os.getcwd()
    os.chdir(cwd)
    try:
        start = time.perf_counter()
        pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=actions)
        _, _, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - start
    finally:
        os.chdir(here)
        os.close(devnull)
    return wall, usage.ru_maxrss


def best_of(n, argv, cwd):
    runs = [measure(argv, cwd) for _ in range(n)]
    return min(r[0] for r in runs), max(r[1] for r in runs)


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
