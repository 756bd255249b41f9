"""`python -m bench [--scale N] [--quick] [--s1] [--only R1,C1]` — see the README's Performance.

Exit status: 0 when every answer was right (a missed target is reported, not fatal unless
`--strict`), 1 on a wrong answer or a crash.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
import time

from bench import report
from bench.load import Loader
from bench.registry import SCENARIOS, Budget, Row, WrongAnswer
from bench.scenarios import commands  # noqa: F401  (registers every scenario)
from bench.session import open_run

FULL = Budget(warmup_s=2.0, duration_s=10.0)
QUICK = Budget(warmup_s=0.5, duration_s=2.0, max_calls=20_000)
QUICK_SCALE = 0.02


def _chosen(only: str | None, s1: bool) -> list[str]:
    if only:
        wanted = [name.strip() for name in only.split(",") if name.strip()]
        unknown = [name for name in wanted if name not in SCENARIOS]
        if unknown:
            raise SystemExit(f"unknown scenario(s) {unknown}; known: {list(SCENARIOS)}")
        return [name for name in SCENARIOS if name in wanted]
    return [
        name for name, spec in SCENARIOS.items() if not spec.on_request or (name == "S1" and s1)
    ]


async def bench(scale: float, budget: Budget, quick: bool, chosen: list[str]) -> list[Row]:
    loader = Loader()
    rows: list[Row] = []
    try:
        async with open_run(scale, loader, budget, quick) as run:
            for name in chosen:
                began = time.perf_counter()
                print(f"{name}: {SCENARIOS[name].title} …", flush=True)
                rows += await SCENARIOS[name].run(run)
                print(f"{name}: done in {time.perf_counter() - began:.0f}s", flush=True)
    finally:
        loader.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--scale", type=float, default=None, help="dataset size (default 1)")
    parser.add_argument("--quick", action="store_true", help="tiny scale, short loads (CI)")
    parser.add_argument("--s1", action="store_true", help="also run S1 (loads 10x the scale)")
    parser.add_argument("--only", help="comma-separated scenario ids")
    parser.add_argument("--seconds", type=float, help="measured seconds per load")
    parser.add_argument("--strict", action="store_true", help="exit 2 when a target is missed")
    args = parser.parse_args()
    scale = args.scale if args.scale is not None else QUICK_SCALE if args.quick else 1.0
    try:
        budget = QUICK if args.quick else FULL
        if args.seconds:
            budget = dataclasses.replace(budget, duration_s=args.seconds)
        rows = asyncio.run(bench(scale, budget, args.quick, _chosen(args.only, args.s1)))
    except WrongAnswer as exc:
        print(f"bench failed: wrong answer: {exc}", file=sys.stderr)
        sys.exit(1)
    complete = not (args.quick or args.only or args.seconds)
    path, results = report.write(rows, scale, args.quick, complete)
    print()
    print(report.table(results["rows"]))
    print(f"\nwritten to {path}")
    if args.strict and any(row.passed is False for row in rows):
        sys.exit(2)


if __name__ == "__main__":
    main()
