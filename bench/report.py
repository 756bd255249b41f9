"""The results: a printed table, `bench/results/latest.json`, and the README's table."""

from __future__ import annotations

import json
import math
import os
import platform
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench.registry import Row

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"
# Quick runs (CI) and runs of chosen scenarios or shorter loads write beside it, so that
# latest.json stays the last full run.
PARTIAL_RESULTS = RESULTS.with_name("partial.json")
HEADER = ("scenario", "what", "service", "ceiling", "ratio", "target", "result")


def _number(value: float | None, unit: str = "") -> str:
    if value is None or math.isnan(value):
        return "—"
    text = f"{value:,.0f}" if value >= 100 else f"{value:,.2f}"
    return f"{text} {unit}".strip()


def _result(row: dict[str, Any]) -> str:
    return {True: "pass", False: "MISS", None: "—"}[row["passed"]]


def as_dict(row: Row) -> dict[str, Any]:
    return {
        "scenario": row.scenario,
        "what": row.what,
        "unit": row.unit,
        "service": row.service,
        "ceiling": row.ceiling,
        "ratio": row.ratio,
        "target": str(row.goal) if row.goal else None,
        "target_on": "ratio" if row.ceiling is not None else "figure",
        "passed": row.passed,
        "detail": row.detail,
    }


def cells(row: dict[str, Any]) -> tuple[str, ...]:
    return (
        row["scenario"],
        row["what"],
        _number(row["service"], row["unit"]),
        _number(row["ceiling"], row["unit"]),
        _number(row["ratio"]),
        f"{row['target_on']} {row['target']}" if row["target"] else "—",
        _result(row),
    )


def table(rows: list[dict[str, Any]]) -> str:
    lines = [HEADER, *(cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADER))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines
    )


def markdown(results: dict[str, Any]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(cells(row)) + " |" for row in results["rows"]]
    machine = results["machine"]
    return (
        f"Last full run: {results['date']}, scale {results['scale']:g}, "
        f"{machine['cores']} cores ({machine['cpu']}), Python {machine['python']}.\n\n"
        + "\n".join(lines)
    )


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def write(
    rows: list[Row], scale: float, quick: bool, complete: bool
) -> tuple[Path, dict[str, Any]]:
    results = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "scale": scale,
        "quick": quick,
        "machine": {
            "cores": os.cpu_count(),
            "cpu": _cpu(),
            "python": platform.python_version(),
        },
        "rows": [as_dict(row) for row in rows],
    }
    path = RESULTS if complete else PARTIAL_RESULTS
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    return path, results
