"""The event feed: outbox rows in an order no late commit can break.

Outbox ids come from a sequence, and transactions commit out of id order, so "events after id N"
would skip an event whose transaction took its id early and committed late. Each row therefore
carries its transaction id (`xact_id`), and the feed serves, ordered by (xact_id, id), only rows
of transactions older than the oldest one still running (`pg_snapshot_xmin`): every transaction
below that horizon has ended, and any event written later belongs to a transaction above it, so
it sorts after every event already served. A transaction's events stay together, in the order
they were written. The price: the feed waits for the oldest running transaction of the database
server, so a long transaction delays it (never reorders or loses it).

Retention deletes events (workers.retention); a trigger keeps, in `outbox_horizon`, the position
of the last event ever deleted, so a cursor before it has missed events (`Horizon.missed`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

# A position in the feed: (xact_id, id) of the last event served; (0, 0) is the start.
Position = tuple[int, int]
START: Position = (0, 0)

_PAGE = text(
    """
    SELECT xact_id, id, created_at, type, data::text AS data
      FROM outbox
     WHERE xact_id < (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint
       AND (xact_id, id) > (:xact_id, :id)
     ORDER BY xact_id, id
     LIMIT :limit
    """
)

# The oldest event held is the first in feed order (the `ix_outbox_feed` index's first entry).
_HORIZON = text(
    """
    SELECT h.xact_id, h.outbox_id, oldest.id AS oldest_id, oldest.created_at AS oldest_at
      FROM outbox_horizon h
      LEFT JOIN LATERAL (SELECT id, created_at FROM outbox ORDER BY xact_id, id LIMIT 1) AS oldest
        ON true
    """
)


@dataclass(frozen=True)
class Horizon:
    """How far back the feed reaches: the last event deleted, and the oldest still held."""

    deleted: Position
    oldest: tuple[int, datetime] | None

    def missed(self, after: Position) -> bool:
        """Whether events after `after` were deleted: a reader there must resync."""
        return after < self.deleted


async def horizon(conn: AsyncConnection) -> Horizon:
    row = (await conn.execute(_HORIZON)).one()
    oldest = None if row.oldest_id is None else (row.oldest_id, row.oldest_at)
    return Horizon((row.xact_id, row.outbox_id), oldest)


async def page(
    conn: AsyncConnection, after: Position, limit: int, tz: ZoneInfo
) -> tuple[list[dict[str, Any]], Position]:
    """Up to `limit` events after `after`, and the position after the last one (or `after`)."""
    rows = (await conn.execute(_PAGE, {"xact_id": after[0], "id": after[1], "limit": limit})).all()
    events = [
        {
            "id": row.id,
            "at": row.created_at.astimezone(tz),
            "type": row.type,
            # Stored JSON goes out as it is, without a parse and a re-serialisation.
            "data": orjson.Fragment(row.data),
        }
        for row in rows
    ]
    return events, (rows[-1].xact_id, rows[-1].id) if rows else after
