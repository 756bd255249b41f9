"""I1: 100,000 readings of 1,000 hour counters published over AMQP in messages of 1,000, until
every one is stored, in readings per second, beside COPY of the same rows into the same
(partitioned) table. The measure is shared with S2 (`bench.scenarios.ingest_scale`).

The counters are added to the plant first (setup). Each message holds one reading of each of
1,000 counters, as a SCADA polling its meters sends them. The time runs from the first publish
(all of them at once, each confirmed by the broker) until the stored readings of the counters
number the readings sent: a poll of the last round's readings (one index probe per counter),
then of all of them. Then every stored reading's value, usage and source, each counter's last
reading, the drained queue and the empty queue of invalid readings are checked.

The ceiling runs first, in a transaction that is rolled back, timed up to the rollback; the
readings table is vacuumed afterwards (not timed), so that the service writes into it as clean.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import asyncpg

from bench.readings import (
    COLUMNS,
    MESSAGE,
    SPACING,
    Counter,
    Readings,
    add_counters,
    inbound_queues,
    publisher,
    queued,
)
from bench.registry import Goal, Row, Run, WrongAnswer, scenario

COUNTERS, ROUNDS = 1_000, 100
QUICK_COUNTERS, QUICK_ROUNDS = 250, 40
POLL_S = 0.05
INGEST_WAIT_S = 900.0
DRAIN_WAIT_S = 30.0

_LAST_ROUND = "SELECT count(*) FROM meter_readings WHERE meter_id = ANY($1) AND taken_at = $2"
_SO_FAR = "SELECT count(*) FROM meter_readings WHERE meter_id = ANY($1) AND taken_at >= $2"
_SENT = """
    SELECT count(*) AS stored, sum(value) AS value_sum,
           count(*) FILTER (WHERE usage = value AND NOT reset AND source = $3) AS as_sent
      FROM meter_readings WHERE meter_id = ANY($1) AND taken_at >= $2
"""
_LAST = """
    SELECT count(*) FROM meters
     WHERE id = ANY($1) AND last_taken_at = $2 AND last_value = $3 AND last_usage = $3
"""


async def _ceiling(connection: asyncpg.Connection, readings: Readings, source: str) -> float:
    """Seconds to COPY the readings' rows (rolled back)."""
    records = list(readings.records(source))  # built before the clock starts
    transaction = connection.transaction()
    await transaction.start()
    try:
        began = time.perf_counter()
        status = await connection.copy_records_to_table(
            "meter_readings", records=records, columns=list(COLUMNS)
        )
        seconds = time.perf_counter() - began
    finally:
        await transaction.rollback()
    if status != f"COPY {len(records)}":
        raise WrongAnswer(f"ceiling: {status}")
    await connection.execute("VACUUM meter_readings")
    return seconds


async def _until(what: str, began: float, probe: Callable[[], Awaitable[bool]]) -> None:
    while not await probe():
        if time.perf_counter() - began > INGEST_WAIT_S:
            raise WrongAnswer(f"{what} after {INGEST_WAIT_S:g}s")
        await asyncio.sleep(POLL_S)


async def _stored(connection: asyncpg.Connection, readings: Readings, began: float) -> float:
    """When every reading sent is stored (perf_counter)."""
    ids = [c.id for c in readings.counters]

    async def last_round() -> bool:
        found = await connection.fetchval(_LAST_ROUND, ids, readings.last_taken_at)
        return bool(found == len(ids))

    async def all_of_them() -> bool:
        found = await connection.fetchval(_SO_FAR, ids, readings.start)
        return bool(found >= len(readings))

    await _until("the last round is not stored", began, last_round)
    await _until("not every reading is stored", began, all_of_them)
    return time.perf_counter()


async def _check(run: Run, connection: asyncpg.Connection, readings: Readings, source: str) -> None:
    ids = [c.id for c in readings.counters]
    row = await connection.fetchrow(_SENT, ids, readings.start, source)
    sent = (len(readings), readings.value_sum(), len(readings))
    if (row["stored"], row["value_sum"], row["as_sent"]) != sent:
        raise WrongAnswer(f"stored (count, value sum, as sent) {tuple(row)}, sent {sent}")
    last = readings.value(readings.rounds - 1)
    updated = await connection.fetchval(_LAST, ids, readings.last_taken_at, last)
    if updated != len(ids):
        raise WrongAnswer(f"{len(ids) - updated} counters without their last reading")
    queue, invalid = inbound_queues(run.site)
    deadline = time.perf_counter() + DRAIN_WAIT_S
    while (left := await queued(run.site, queue)) and time.perf_counter() < deadline:
        await asyncio.sleep(POLL_S)
    if left or await queued(run.site, invalid):
        raise WrongAnswer(f"{left} messages left in {queue}, or invalid readings in {invalid}")


async def ingest(run: Run, readings: Readings, source: str) -> tuple[float, float, dict[str, Any]]:
    """The service's and the ceiling's seconds for `readings`, and the detail."""
    async with run.database() as connection:
        ceiling_s = await _ceiling(connection, readings, source)
        messages = readings.messages(source)
        await run.quiet()
        async with publisher(run.site) as publish:
            began = time.perf_counter()
            await publish(messages)
            published = time.perf_counter()
            done = await _stored(connection, readings, began)
        await _check(run, connection, readings, source)
    service_s = done - began
    print(f"  {len(readings):,} readings: service {service_s:.1f}s, ceiling {ceiling_s:.2f}s")
    return (
        service_s,
        ceiling_s,
        {
            "readings": len(readings),
            "messages": len(messages),
            "service_s": round(service_s, 2),
            "published_s": round(published - began, 2),
            "ceiling_s": round(ceiling_s, 3),
        },
    )


def sizes(run: Run) -> tuple[int, int]:
    return (QUICK_COUNTERS, QUICK_ROUNDS) if run.quick else (COUNTERS, ROUNDS)


async def new_counters(run: Run, prefix: str, count: int) -> list[Counter]:
    async with run.database() as connection:
        assets = await connection.fetchval("SELECT count(*) FROM assets")
        return await add_counters(connection, count, prefix, assets)


def ending_now(counters: list[Counter], rounds: int) -> Readings:
    """`rounds` readings of each counter, the last a minute ago."""
    start = datetime.now(timezone.utc) - timedelta(minutes=1) - SPACING * (rounds - 1)
    return Readings(counters, start, rounds)


async def rate_i1(run: Run) -> tuple[float, float, dict[str, Any]]:
    """I1's measure: the service's and the ceiling's readings per second, and the detail."""
    count, rounds = sizes(run)
    readings = ending_now(await new_counters(run, "I1-", count), rounds)
    service_s, ceiling_s, detail = await ingest(run, readings, "bench-i1")
    run.figures["I1_readings_per_s"] = len(readings) / service_s
    return len(readings) / service_s, len(readings) / ceiling_s, detail


@scenario("I1", f"readings over AMQP in messages of {MESSAGE:,}, all stored: readings/s")
async def readings_in(run: Run) -> list[Row]:
    service, ceiling, detail = await rate_i1(run)
    return [
        Row(
            "I1",
            f"{detail['readings']:,} readings in {detail['messages']} messages",
            "readings/s",
            service,
            ceiling,
            Goal(">=", 0.3),
            detail=detail,
        )
    ]
