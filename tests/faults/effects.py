"""What the checker reads straight from the private database: notices and notifications.

Their uniqueness is the database's (`UNIQUE (source, external_id)`, `UNIQUE (event_id,
user_id)`); the checker counts anyway, and above all looks for what is missing.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

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
