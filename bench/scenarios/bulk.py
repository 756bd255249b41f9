"""B1: `POST /ot/fechas/` moving 10,000 PENDIENTE orders of the plant, beside one
`UPDATE … FROM unnest(...)` of the same rows with asyncpg.

Both sides move the same orders, in turns: the ceiling one day forward, the service back to
their own day. Each changes the same columns of the same rows (indexed ones, so neither gets a
HOT update the other would not), and after each turn the rows are checked where they must be.
The figure is the median over a few turns.
"""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta

import asyncpg

from bench.registry import Row, Run, WrongAnswer, median_times, scenario

BATCH = 10_000
TURNS = 5
QUICK_TURNS = 2
SHIFT = timedelta(days=1)
REASON = "bench B1"

# What the service's handler changes: the start, the end (same duration), version, updated_at.
CEILING = """
UPDATE work_orders wo
   SET scheduled_start = moved.start,
       scheduled_end = moved.start + (wo.scheduled_end - wo.scheduled_start),
       version = wo.version + 1,
       updated_at = now()
  FROM unnest($1::integer[], $2::timestamptz[]) AS moved(id, start)
 WHERE wo.id = moved.id
"""
AT = """
SELECT count(*) FROM work_orders wo
  JOIN unnest($1::integer[], $2::timestamptz[]) AS expected(id, start)
    ON wo.id = expected.id AND wo.scheduled_start = expected.start
"""


async def _pending(connection: asyncpg.Connection, count: int) -> list[tuple[int, datetime]]:
    """`count` PENDIENTE orders drawn at random (seeded), with their start, by id."""
    rows = await connection.fetch(
        "SELECT id, scheduled_start FROM work_orders WHERE status = 'PENDIENTE' ORDER BY id"
    )
    if not rows:
        raise WrongAnswer("B1: the plant has no PENDIENTE order")
    picked = random.Random(6).sample(rows, min(count, len(rows)))
    return sorted((row["id"], row["scheduled_start"]) for row in picked)


async def _check_at(
    connection: asyncpg.Connection, ids: list[int], starts: list[datetime], who: str
) -> None:
    found = await connection.fetchval(AT, ids, starts)
    if found != len(ids):
        raise WrongAnswer(f"B1 {who}: {found} of {len(ids)} orders where they were sent")


@scenario("B1", "POST /ot/fechas/ with 10,000 updates: answer time")
async def bulk_reschedule(run: Run) -> list[Row]:
    service: list[float] = []
    ceiling: list[float] = []
    async with run.database() as connection:
        orders = await _pending(connection, BATCH)
        ids = [order_id for order_id, _ in orders]
        home = [start for _, start in orders]
        away = [start + SHIFT for start in home]
        body = {
            "updates": [
                {"id": order_id, "date": start.date().isoformat(), "reason": REASON}
                for order_id, start in orders
            ]
        }
        for _ in range(QUICK_TURNS if run.quick else TURNS):
            await run.quiet()
            began = time.perf_counter()
            status = await connection.execute(CEILING, ids, away)
            ceiling.append(time.perf_counter() - began)
            if status != f"UPDATE {len(ids)}":
                raise WrongAnswer(f"B1 ceiling: {status}")
            await _check_at(connection, ids, away, "ceiling")
            await run.quiet()
            answer = await run.command("/mantenimiento/ot/fechas/", body)
            service.append(answer.seconds)
            if answer.status != 200 or answer.body.get("updated") != len(ids):
                raise WrongAnswer(f"B1: {answer.status} {str(answer.body)[:300]}")
            await _check_at(connection, ids, home, "service")
    return [median_times("B1", f"{len(ids):,} reschedules", service, ceiling, orders=len(ids))]
