"""Dialer pacing on simulated days: drop rate and agent occupancy of predictive vs ratio 1 and 2.

Every method plays the same seeded days (same calls, same conversations) with the simulator of
centrex/contact_center/simulation.py; nothing is timed, the figures are behaviour. Record the
table in docs/performance.md ("Dialer pacing").

    .venv/bin/python bench/contact_center/pacing_bench.py                  # 8-hour days, seeds 1-3
    .venv/bin/python bench/contact_center/pacing_bench.py --hours 4 --seeds 1 2 --json /tmp/p.json

Days: the goal day (20 agents, 28 % answer rate, 2 min mean talk) and a spread of team sizes,
answer rates and talk times; 15 s mean wrap-up, 9 s mean ring time of an answer, 25 s timeout.
"""

from __future__ import annotations

import argparse
import json
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from centrex.contact_center.simulation import DayProfile, compare_methods

# (label, agents, answer rate, mean talk s)
DAYS = [
    ("goal day", 20, 0.28, 120.0),
    ("small team", 3, 0.28, 120.0),
    ("small team, short calls, 10 %", 5, 0.10, 30.0),
    ("mid team", 10, 0.28, 120.0),
    ("20 agents, 10 %", 20, 0.10, 120.0),
    ("20 agents, 50 %", 20, 0.50, 120.0),
    ("20 agents, 5 min calls", 20, 0.28, 300.0),
    ("large team", 50, 0.28, 120.0),
    ("100 agents, 30 s calls", 100, 0.28, 30.0),
]


def play(job: tuple[str, int, float, float, float, int]) -> list[dict[str, object]]:
    label, agents, answer_rate, talk, hours, seed = job
    profile = DayProfile(answer_rate=answer_rate, talk_mean=talk)
    rows = []
    for result in compare_methods(profile, agents=agents, seconds=hours * 3600.0, seed=seed):
        row = result.as_dict()
        row.update(day=label, answer_rate=answer_rate, talk_mean=talk, seed=seed)
        rows.append(row)
    return rows


def table(rows: list[dict[str, object]], seeds: int) -> str:
    methods = ["predictive", "ratio 1", "ratio 2"]
    lines = [
        "| day | agents | answer rate | talk | "
        + " | ".join(f"{m} drop % / occ. %" for m in methods)
        + " | predictive worst drop % |",
        "|---|---|---|---|" + "---|" * (len(methods) + 1),
    ]
    for label, agents, answer_rate, talk in DAYS:
        cells = []
        worst = 0.0
        for method in methods:
            mine = [r for r in rows if r["day"] == label and r["method"] == method]
            drop = sum(float(str(r["drop_pct"])) for r in mine) / len(mine)
            occ = sum(float(str(r["occupancy_pct"])) for r in mine) / len(mine)
            cells.append(f"{drop:.2f} / {occ:.1f}")
            if method == "predictive":
                worst = max(float(str(r["drop_pct"])) for r in mine)
        lines.append(
            f"| {label} | {agents} | {answer_rate:.0%} | {talk:.0f} s | "
            + " | ".join(cells)
            + f" | {worst:.2f} |"
        )
    lines.append(f"\n(mean of {seeds} seeded days per row)")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    jobs = [
        (label, agents, rate, talk, args.hours, seed)
        for label, agents, rate, talk in DAYS
        for seed in args.seeds
    ]
    with ProcessPoolExecutor(args.jobs) as pool:
        rows = [row for chunk in pool.map(play, jobs) for row in chunk]
    print(table(rows, len(args.seeds)))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
