"""An order's history: its creation, then every line its commands wrote, oldest first."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

# Lines come in the order they were written (their id): `at` is their transaction's start, and a
# command that waited for another's lock on the order started first but wrote second.
# Orders made outside a command (demo data, fixtures) have no creation line: it is read from the
# order itself.
# Lines moved in from merged orders keep their own creation lines, marked `merged_from`.
_HISTORY = text(
    """
    SELECT o.created_at AS at, NULL AS user, 'creacion' AS event,
           json_build_object('code', o.code, 'type', o.type, 'routine_id', o.routine_id,
                             'program_id', o.program_id, 'aviso_id', o.aviso_id,
                             'due_date', o.due_date)::text AS data,
           0 AS seq
      FROM work_orders o
     WHERE o.id = :id
       AND NOT EXISTS (SELECT 1 FROM work_order_events c
                        WHERE c.work_order_id = :id AND c.event = 'creacion'
                          AND NOT c.data ? 'merged_from')
    UNION ALL
    SELECT e.at,
           CASE WHEN u.id IS NOT NULL THEN json_build_object(
               'id', u.id, 'username', u.username, 'full_name', u.full_name)::text END,
           e.event, e.data::text, e.id
      FROM work_order_events e LEFT JOIN users u ON u.id = e.user_id
     WHERE e.work_order_id = :id
     ORDER BY seq
    """
)


async def history(conn: AsyncConnection, work_order_id: int, tz: ZoneInfo) -> list[dict[str, Any]]:
    """Empty when the order doesn't exist (every existing order has a creation line)."""
    rows = (await conn.execute(_HISTORY, {"id": work_order_id})).all()
    return [
        {
            "at": row.at.astimezone(tz),
            "user": orjson.loads(row.user) if row.user else None,
            "event": row.event,
            "data": orjson.loads(row.data),
        }
        for row in rows
    ]
