"""What the checker reads straight from the private database: notices, readings and
notifications.

Their uniqueness is the database's (`UNIQUE (source, external_id)`, the readings' primary key
(meter, taken_at), `UNIQUE (event_id, user_id)`); the checker counts anyway, and above all looks
for what is missing.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime

import asyncpg

SETTLE_S = 30.0


@dataclass
class Counts:
    expected: int
    once: int
    missing: int
    duplicated: int

    @property
    def exact(self) -> bool:
        return not (self.missing or self.duplicated)


def _dsn(database_url: str) -> str:
    return database_url.replace("postgresql+asyncpg://", "postgresql://")


async def _settled(database_url: str, sql: str, *args: object) -> list[asyncpg.Record]:
    """The rows of `sql` once nothing is missing, or after `SETTLE_S` (a straggler is late,
    a loss never arrives)."""
    end = time.monotonic() + SETTLE_S
    connection = await asyncpg.connect(_dsn(database_url))
    try:
        while True:
            rows = await connection.fetch(sql, *args)
            if all(row["n"] >= 1 for row in rows) or time.monotonic() > end:
                return rows
            await asyncio.sleep(0.5)
    finally:
        await connection.close()


def _counts(rows: list[asyncpg.Record]) -> Counts:
    return Counts(
        len(rows),
        sum(1 for r in rows if r["n"] == 1),
        sum(1 for r in rows if r["n"] == 0),
        sum(1 for r in rows if r["n"] > 1),
    )


async def notices(database_url: str, source: str, external_ids: list[str]) -> Counts:
    rows = await _settled(
        database_url,
        "SELECT e.id, count(a.id) AS n FROM unnest($2::text[]) AS e(id)"
        " LEFT JOIN avisos a ON a.source = $1 AND a.external_id = e.id GROUP BY e.id",
        source,
        external_ids,
    )
    return _counts(rows)


async def readings(
    database_url: str, source: str, expected: list[tuple[int, datetime, float]]
) -> Counts:
    """Each expected (meter, taken_at, usage) stored once from `source`; one stored with
    another usage counts as duplicated (its use counted twice, or not at all)."""
    rows = await _settled(
        database_url,
        "SELECT k.meter_id, k.taken_at,"
        # (The expected usage comes from JSON numbers: equal to a millionth.)
        " count(r.meter_id) + count(*) FILTER (WHERE abs(r.usage - k.usage) > 1e-6) AS n"
        " FROM unnest($2::int[], $3::timestamptz[], $4::numeric[]) AS k(meter_id, taken_at, usage)"
        " LEFT JOIN meter_readings r"
        "  ON r.meter_id = k.meter_id AND r.taken_at = k.taken_at AND r.source = $1"
        " GROUP BY k.meter_id, k.taken_at",
        source,
        [key[0] for key in expected],
        [key[1] for key in expected],
        [key[2] for key in expected],
    )
    return _counts(rows)


async def last_event_id(database_url: str) -> int:
    connection = await asyncpg.connect(_dsn(database_url))
    try:
        return int(await connection.fetchval("SELECT coalesce(max(id), 0) FROM outbox"))
    finally:
        await connection.close()


async def reschedule_notifications(database_url: str, after_event: int) -> Counts:
    """For every date-change event after `after_event`: the notifications of its technician."""
    rows = await _settled(
        database_url,
        "SELECT o.id, count(n.id) AS n FROM outbox o"
        " LEFT JOIN notifications n ON n.event_id = o.id"
        "  AND n.user_id = (o.data->>'technician_id')::bigint"
        " WHERE o.id > $1 AND o.type = 'ot.fecha_cambiada' GROUP BY o.id",
        after_event,
    )
    return _counts(rows)
