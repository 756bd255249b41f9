"""S2: I1's measure on counters that already have ten times as many readings stored (COPYed in,
with each counter's last reading set as the service would have; setup, not measured), over I1's
rate in the same run (flat is 1.0). The new readings follow the stored ones in time, in the same
monthly partition, which then holds over a million rows at scale 1.
"""

from __future__ import annotations

import time

from bench.readings import SPACING, Readings, store_history
from bench.registry import Goal, Row, Run, scenario
from bench.scenarios.ingest import ending_now, ingest, new_counters, rate_i1, sizes

# Rounds already stored per counter, as a multiple of the rounds sent.
GROWTH = 10


@scenario("S2", f"I1 with {GROWTH}x as many readings stored, over I1's rate")
async def readings_beside_history(run: Run) -> list[Row]:
    small = run.figures.get("I1_readings_per_s")
    if small is None:
        small = (await rate_i1(run))[0]
    count, rounds = sizes(run)
    # The history, then the rounds sent right after it.
    whole = ending_now(await new_counters(run, "S2-", count), rounds * (GROWTH + 1))
    history = Readings(whole.counters, whole.start, rounds * GROWTH)
    readings = Readings(
        whole.counters, history.last_taken_at + SPACING, rounds, first=history.rounds
    )
    async with run.database() as connection:
        began = time.perf_counter()
        await store_history(connection, history, "bench-s2-history")
        await connection.execute("VACUUM ANALYZE meter_readings")
        stored = await connection.fetchval("SELECT count(*) FROM meter_readings")
        print(f"  {len(history):,} readings stored in {time.perf_counter() - began:.1f}s")
    service_s, ceiling_s, detail = await ingest(run, readings, "bench-s2")
    return [
        Row(
            "S2",
            f"I1 beside {stored:,} stored readings",
            "readings/s",
            len(readings) / service_s,
            small,
            Goal(">=", 0.8),
            detail={
                **detail,
                "stored_before": stored,
                "ceiling_readings_per_s": round(len(readings) / ceiling_s),
            },
        )
    ]
