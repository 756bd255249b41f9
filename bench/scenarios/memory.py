"""M1: peak resident memory of the gateway and of the worker over everything run before it."""

from __future__ import annotations

from bench.registry import Goal, Row, Run, scenario

LIMITS_MB = {"gateway": 150, "worker": 200}


@scenario("M1", "peak RSS of the gateway and the worker during the run (MB)")
async def peak_memory(run: Run) -> list[Row]:
    return [
        Row(
            "M1", f"{name} peak RSS", "MB", run.service[name].peak_rss_mb(), None, Goal("<=", limit)
        )
        for name, limit in LIMITS_MB.items()
    ]
