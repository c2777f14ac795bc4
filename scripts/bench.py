#!/usr/bin/env python3
"""Benchmarks for post-merge-smoke, each figure printed beside its baseline.

Every figure is a median over repeats, and the tool and its baseline take turns within one
run (tool, baseline, baseline, tool, ...), so drift in the machine's load hits both alike.
Each row names the command that produced it.

1. Capture: `post-merge-smoke run --quiet -- sh -c SMOKE` against `sh -c 'SMOKE | cat >
   /dev/null'` (the same bytes through one more pipe to one reader), for a smoke printing
   1 GiB in 4 KiB writes (`yes | head -c`), in 4 KiB writes that cost the writer almost
   nothing (`head -c` from /dev/zero, the previous benchmark), and in 64 KiB writes
   (`dd bs=64K`), and for the first again with one secret set (`GITHUB_TOKEN`), so the
   masking is on.
2. Echo: the 4 KiB writer without `--quiet` (echoed live to stderr), against
   `sh -c 'SMOKE | cat >&2'`; both stderrs go into a pipe read by `cat > /dev/null`, as a
   runner reads the job log.
3. Peak memory: the largest VmHWM of any one process in the tool's tree during the 1 GiB
   capture, sampled every 2 ms in a run of its own (sampling slows the timed runs;
   getrusage is no use: `exec` records the launcher's peak as the child's).
4. Start-up: `run --skip-stale-check --quiet -- true` against `true`, and the launcher
   alone (`post-merge-smoke __post-merge-smoke-launch PID -- true`) against `true`.

Usage:
  scripts/bench.py                    the full run (a few minutes on 2 cores)
  scripts/bench.py --quick            256 MiB, fewer repeats (about half a minute)
  scripts/bench.py --before OLD_BIN   adds a column for another build, measured in turn
  scripts/bench.py --profiles         clean release builds under a few profiles: build
                                      time and the 4 KiB capture figure of each (slow)

The release binary is built first (`cargo build --release --locked`) unless --bin is given.
The environment is scrubbed of GITHUB_*, RUNNER_*, CI, POST_MERGE_SMOKE_* and of variables
that would count as secrets, so "no secret" means none.
"""

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_BIN = os.path.join(ROOT, "target", "release", "post-merge-smoke")
LAUNCH_ARG = "__post-merge-smoke-launch"
SECRET = "ghs_" + "0123456789abcdefghijABCDEFGHIJ012345"

# name: [profile.release] settings, as CARGO_PROFILE_RELEASE_* overrides
PROFILES = {
    "thin-lto, codegen-units=4 (was)": {"LTO": "thin", "CODEGEN_UNITS": "4", "OPT_LEVEL": "3"},
    "no lto, codegen-units=16": {"LTO": "false", "CODEGEN_UNITS": "16", "OPT_LEVEL": "3"},
    "fat lto, codegen-units=1": {"LTO": "fat", "CODEGEN_UNITS": "1", "OPT_LEVEL": "3"},
    "thin-lto, codegen-units=16, opt-level=2": {"LTO": "thin", "CODEGEN_UNITS": "16", "OPT_LEVEL": "2"},
}


def scrubbed_env():
    secretish = ("TOKEN", "SECRET", "PASSWORD", "KEY")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GITHUB_", "RUNNER_", "POST_MERGE_SMOKE_"))
        and k != "CI"
        and not k.upper().endswith(secretish)
    }
    env.update(GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@e", GIT_COMMITTER_NAME="b", GIT_COMMITTER_EMAIL="b@e")
    return env


def timed(argv, cwd, env):
    """Wall time, and CPU time (user + system) of the command and everything it waited for."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime


def in_turn(variants, repeat, cwd, cpu=False):
    """Runs each (argv, env) variant `repeat` times, taking turns (the order reversed every
    other round), and returns the median wall time of each (with `cpu`, also the median
    CPU time)."""
    walls, cpus = [[] for _ in variants], [[] for _ in variants]
    for i in range(repeat):
        order = list(range(len(variants)))
        if i % 2:
            order.reverse()
        for j in order:
            argv, env = variants[j]
            wall, used = timed(argv, cwd, env)
            walls[j].append(wall)
            cpus[j].append(used)
    medians = [statistics.median(t) for t in walls]
    return (medians, [statistics.median(t) for t in cpus]) if cpu else medians


def tree_of(root):
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


def peak_rss_mib(argv, cwd, env):
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while proc.poll() is None:
        for pid in tree_of(proc.pid):
            peak = max(peak, vm_hwm_kib(pid))
        time.sleep(0.002)
    return peak / 1024


def make_repo(path, env):
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=path, check=True)
    subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", "bench"], cwd=path, check=True, env=env)


class Row:
    def __init__(self, figure, command, baseline_command, unit, target):
        self.figure, self.command, self.baseline_command = figure, command, baseline_command
        self.unit, self.target = unit, target
        self.values = []  # tool, baseline[, before]
        self.cpu = []  # the same, CPU seconds of the whole command, for the output cases

    def compare(self, value, baseline):
        if self.unit == "s":
            return f"{value / baseline:.2f}x"
        if self.unit == "ms":
            return f"+{value - baseline:.2f} ms"
        return ""

    def met(self, value, baseline):
        kind, limit = self.target
        if kind == "ratio":
            return value / baseline <= limit
        if kind == "extra":
            return value - baseline <= limit
        return value <= limit


def fmt(value, unit):
    if unit == "s":
        return f"{value:.3f} s"
    if unit == "ms":
        return f"{value:.2f} ms"
    return f"{value:.1f} MiB"


def target_text(target):
    kind, limit = target
    return {"ratio": f"<= {limit:.2f}x", "extra": f"<= +{limit:g} ms", "max": f"< {limit:g} MiB"}[kind]


def measure(args, bins, repo, env):
    """The rows of the report; `bins` is [tool] or [tool, before]."""
    n = args.bytes
    four_k = f"yes {'x' * 63} | head -c {n}"
    zeros = f"head -c {n} /dev/zero"
    big = f"dd if=/dev/zero bs=64K count={n // 65536} status=none"
    secret_env = dict(env, GITHUB_TOKEN=SECRET)
    q = shlex.quote
    rows = []

    def capture(figure, smoke, tool_env):
        tool = [[b, "run", "--skip-stale-check", "--quiet", "--", "sh", "-c", smoke] for b in bins]
        base = ["sh", "-c", f"{smoke} | cat > /dev/null"]
        row = Row(figure, shlex.join(tool[0]), shlex.join(base), "s", ("ratio", 1.10))
        variants = [(tool[0], tool_env), (base, env)] + [(t, tool_env) for t in tool[1:]]
        row.values, row.cpu = in_turn(variants, args.repeat, repo, cpu=True)
        if tool_env is secret_env:
            row.command = f"GITHUB_TOKEN=ghs_… {row.command}"
        rows.append(row)

    mib = n / (1 << 20)
    capture(f"capture {mib:.0f} MiB, 4 KiB writes", four_k, env)
    capture(f"capture {mib:.0f} MiB, 4 KiB from /dev/zero", zeros, env)
    capture(f"capture {mib:.0f} MiB, 64 KiB writes", big, env)
    capture(f"capture {mib:.0f} MiB, 4 KiB writes, 1 secret", four_k, secret_env)

    log = "2>&1 >/dev/null | cat > /dev/null"
    echo = [["sh", "-c", f"{q(b)} run --skip-stale-check -- sh -c {q(four_k)} {log}"] for b in bins]
    echo_base = ["sh", "-c", f"sh -c {q(four_k + ' | cat >&2')} {log}"]
    row = Row(f"echo {mib:.0f} MiB to the log, 4 KiB writes", echo[0][2], echo_base[2], "s", ("ratio", 1.10))
    variants = [(echo[0], env), (echo_base, env)] + [(e, env) for e in echo[1:]]
    row.values, row.cpu = in_turn(variants, args.repeat, repo, cpu=True)
    rows.append(row)

    rss_cmd = [[b, "run", "--skip-stale-check", "--quiet", "--", "sh", "-c", four_k] for b in bins]
    row = Row("peak RSS, 4 KiB capture", shlex.join(rss_cmd[0]), "cat, same bytes", "MiB", ("max", 16))
    tool_rss = [peak_rss_mib(c, repo, env) for c in rss_cmd]
    base_rss = peak_rss_mib(["sh", "-c", f"{four_k} | cat > /dev/null"], repo, env)
    row.values = [tool_rss[0], base_rss] + tool_rss[1:]
    rows.append(row)

    start = [[b, "run", "--skip-stale-check", "--quiet", "--", "true"] for b in bins]
    row = Row(f"start-up, median of {args.runs}", shlex.join(start[0]), "true", "ms", ("extra", 5))
    medians = in_turn([(start[0], env), (["true"], env)] + [(s, env) for s in start[1:]], args.runs, repo)
    row.values = [m * 1000 for m in medians]
    rows.append(row)

    # The launcher checks that its parent is the pid it was given: here, this script.
    launch = [[b, LAUNCH_ARG, str(os.getpid()), "--", "true"] for b in bins]
    row = Row(f"launcher alone, median of {args.runs}", shlex.join(launch[0]), "true", "ms", ("extra", 5))
    medians = in_turn([(launch[0], env), (["true"], env)] + [(s, env) for s in launch[1:]], args.runs, repo)
    row.values = [m * 1000 for m in medians]
    rows.append(row)
    return rows


def report(rows, before):
    head = f"{'figure':<40}{'post-merge-smoke':>17}{'baseline':>12}{'':>10}"
    if before:
        head += f"{'before':>12}{'':>10}"
    print(head + f"  {'target':<12}met")
    for r in rows:
        tool, base = r.values[0], r.values[1]
        line = f"{r.figure:<40}{fmt(tool, r.unit):>17}{fmt(base, r.unit):>12}{r.compare(tool, base):>10}"
        if before:
            line += f"{fmt(r.values[2], r.unit):>12}{r.compare(r.values[2], base):>10}"
        print(line + f"  {target_text(r.target):<12}{'yes' if r.met(tool, base) else 'NO'}")
    print("\nCPU time (user + system, every process of the command), same runs:")
    for r in rows:
        if r.cpu:
            line = f"{r.figure:<40}{fmt(r.cpu[0], 's'):>17}{fmt(r.cpu[1], 's'):>12}{r.compare(r.cpu[0], r.cpu[1]):>10}"
            if before:
                line += f"{fmt(r.cpu[2], 's'):>12}{r.compare(r.cpu[2], r.cpu[1]):>10}"
            print(line)
    print()
    for r in rows:
        print(f"{r.figure}:\n  tool:     {r.command}\n  baseline: {r.baseline_command}")


def build(target_dir=None, env=None):
    cmd = ["cargo", "build", "--release", "--locked", "-q"]
    extra = dict(env or {})
    if target_dir:
        extra["CARGO_TARGET_DIR"] = target_dir
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, env=dict(os.environ, **extra))
    return time.perf_counter() - start


def profiles(args, repo, env):
    """Clean release builds under each profile: build time, binary size, and the 4 KiB
    capture figure of each binary, measured in turn against one baseline."""
    bins, built = [], []
    with tempfile.TemporaryDirectory() as scratch:
        for name, settings in PROFILES.items():
            target = os.path.join(scratch, name.split(",")[0].replace(" ", "-") + str(len(bins)))
            overrides = {f"CARGO_PROFILE_RELEASE_{k}": v for k, v in settings.items()}
            seconds = build(target, overrides)
            binary = os.path.join(target, "release", "post-merge-smoke")
            bins.append(binary)
            built.append((name, seconds, os.path.getsize(binary)))
            print(f"built {name}: {seconds:.0f} s", file=sys.stderr)
        smoke = f"yes {'x' * 63} | head -c {args.bytes}"
        base = ["sh", "-c", f"{smoke} | cat > /dev/null"]
        variants = [(base, env)] + [
            ([b, "run", "--skip-stale-check", "--quiet", "--", "sh", "-c", smoke], env) for b in bins
        ]
        medians = in_turn(variants, args.repeat, repo)
        starts = in_turn(
            [(["true"], env)] + [([b, "run", "--skip-stale-check", "--quiet", "--", "true"], env) for b in bins],
            args.runs,
            repo,
        )
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} cores, load average {load:.2f} at the end; capture: median of {args.repeat}, "
          f"start-up: median of {args.runs}")
    print(f"{'profile':<42}{'clean build':>12}{'size':>10}{'capture 4 KiB':>15}{'ratio':>8}{'start-up':>11}")
    for (name, seconds, size), t, st in zip(built, medians[1:], starts[1:]):
        print(f"{name:<42}{seconds:>10.0f} s{size / 1e6:>7.1f} MB{t:>13.3f} s{t / medians[0]:>7.2f}x"
              f"{(st - starts[0]) * 1000:>+8.2f} ms")
    print(f"capture baseline: {shlex.join(base)}: {medians[0]:.3f} s; start-up over `true` ({starts[0] * 1000:.2f} ms)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="256 MiB, 5 repeats, 40 start-up runs")
    parser.add_argument("--bytes", type=int, default=None, help="bytes the smoke prints (default 1 GiB)")
    parser.add_argument("--repeat", type=int, default=None, help="runs of each output case (default 9)")
    parser.add_argument("--runs", type=int, default=None, help="runs of each start-up case (default 200)")
    parser.add_argument("--bin", default=None, help="measure this binary instead of building one")
    parser.add_argument("--before", default=None, help="another build to measure in turn, as a column")
    parser.add_argument("--profiles", action="store_true", help="compare release profiles (clean builds)")
    args = parser.parse_args()
    args.bytes = args.bytes or (256 << 20 if args.quick else 1 << 30)
    args.repeat = args.repeat or (5 if args.quick else 9)
    args.runs = args.runs or (40 if args.quick else 200)

    env = scrubbed_env()
    with tempfile.TemporaryDirectory() as repo:
        make_repo(repo, env)
        if args.profiles:
            profiles(args, repo, env)
            return
        binary = os.path.abspath(args.bin) if args.bin else DEFAULT_BIN
        if not args.bin:
            build()
        bins = [binary] + ([os.path.abspath(args.before)] if args.before else [])
        load = os.getloadavg()[0]
        rows = measure(args, bins, repo, env)
        load_after = os.getloadavg()[0]
    print(f"{os.cpu_count()} cores, load average {load:.2f} before, {load_after:.2f} after; medians, "
          f"{args.repeat} repeats of each output case, {args.runs} of each start-up case\n")
    report(rows, bool(args.before))


if __name__ == "__main__":
    main()
