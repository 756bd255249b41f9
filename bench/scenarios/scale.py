"""S1: R2's p50 on a site ten times larger over R2's p50 on this run's site (flat is 1.0).

Only on request (`make bench S1=1`): it builds and loads a second site of 10× the scale
(a million orders from scale 1).
"""

from __future__ import annotations

from bench.registry import Goal, Row, Run, scenario
from bench.scenarios.reads import search_service
from bench.session import open_run

GROWTH = 10


@scenario("S1", "R2's p50 at 10x the scale over R2's p50 at this scale", on_request=True)
async def flat_search(run: Run) -> list[Row]:
    small = run.figures.get("R2_p50_ms")
    if small is None:
        small = (await search_service(run)).percentile(0.5)
    scale = run.data.scale * GROWTH
    async with open_run(scale, run.loader, run.budget, run.quick) as big:
        large = (await search_service(big)).percentile(0.5)
    return [
        Row(
            "S1",
            f"R2 p50 at scale {scale:g} / {run.data.scale:g}",
            "ms",
            large,
            small,
            Goal("<=", 1.5),
        )
    ]
