"""Start-up time of the `centrex` command line: how long a script waits for a simple command.

Run (numbers go to docs/performance.md, section "CLI start-up"):

    .venv/bin/python bench/cli/startup_bench.py --runs 10

Each command is run `--runs` times as a fresh process (the console script next to this
interpreter, `.venv/bin/centrex`, as scripts and checks call it) and the median wall time is
printed, with the minimum and maximum; `python -c pass` gives the interpreter's own start-up for
comparison. `--source DIR` runs the commands against another checkout's `centrex` package (put
first on PYTHONPATH), e.g. a `git archive` of an older commit, to measure before/after on the
same machine in the same minute. The one-minute load average is printed too: on a shared
machine it explains most of the spread. The list commands run against a migrated SQLite
database of a temporary data directory (three tenants, one partner); their median CPU time
(user + system of the child) is printed beside the wall times.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS = (
    ("centrex --version", ["--version"]),
    ("centrex --help", ["--help"]),
    ("centrex tenant list --help", ["tenant", "list", "--help"]),
    ("centrex tenant list", ["tenant", "list"]),
    ("centrex partner list", ["partner", "list"]),
)


def wall_times(argv: list[str], runs: int, env: dict[str, str]) -> tuple[list[float], list[float]]:
    """Wall and CPU (user + system) seconds of each run: CPU is what a loaded machine blurs
    least, wall what a script waits."""
    times, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=True)  # fmt: skip
        times.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return times, cpu


def seeded_env(env: dict[str, str], script: Path, workdir: Path) -> dict[str, str]:
    """A migrated SQLite database of its own with three tenants and a partner, for the list
    commands (the settings come from the environment only)."""
    env = {**env, "CENTREX_DATA_DIR": str(workdir / "data")}
    env.pop("CENTREX_CONFIG", None)
    env.pop("CENTREX_DATABASE_URL", None)
    run = [str(script)]
    subprocess.run([*run, "db", "upgrade"], env=env, capture_output=True, check=True)
    subprocess.run([*run, "partner", "create", "--name", "Bench"], env=env, capture_output=True,
                   check=True)  # fmt: skip
    for n in range(3):
        subprocess.run([*run, "tenant", "create", "--name", f"T{n}", "--domain",
                        f"t{n}.example.com", "--extension-digits", "3", "--max-calls", "4"],
                       env=env, capture_output=True, check=True)  # fmt: skip
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--source", type=Path, help="a directory holding another `centrex`")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    env = dict(os.environ)
    if args.source is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(args.source.resolve()), env.get("PYTHONPATH", "")])
    script = Path(sys.executable).with_name("centrex")
    results: dict[str, dict[str, float]] = {}
    rows = [("python -c pass", [sys.executable, "-c", "pass"])]
    rows += [(label, [str(script), *argv]) for label, argv in COMMANDS]
    with tempfile.TemporaryDirectory() as workdir:
        env = seeded_env(env, script, Path(workdir))
        for label, argv in rows:
            times, cpu = wall_times(argv, args.runs, env)
            results[label] = {
                "median_s": round(statistics.median(times), 3),
                "min_s": round(min(times), 3),
                "max_s": round(max(times), 3),
                "median_cpu_s": round(statistics.median(cpu), 3),
            }
    load = os.getloadavg()[0]
    if args.json:
        print(json.dumps({"runs": args.runs, "load_1min": load, "results": results}))
        return
    print(f"{args.runs} runs each, load average {load:.2f}")
    print(f"{'command':<30}{'median':>8}{'min':>8}{'max':>8}{'cpu':>8}")
    for label, r in results.items():
        print(f"{label:<30}{r['median_s']:>8.3f}{r['min_s']:>8.3f}{r['max_s']:>8.3f}"
              f"{r['median_cpu_s']:>8.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
