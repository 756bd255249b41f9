"""A technician's schedule: their orders starting in a window of plant-local days, in one
statement, grouped by plant-local day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import groupby
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

_ORDERS = text(
    """
    SELECT wo.id, wo.code, wo.type, wo.status, wo.title, wo.scheduled_start, wo.scheduled_end,
           wo.version, wo.updated_at,
           (SELECT coalesce(json_agg(json_build_object('id', a.id, 'code', a.code,
                                                       'name', a.name) ORDER BY a.id), '[]')
              FROM work_order_assets woa JOIN assets a ON a.id = woa.asset_id
             WHERE woa.work_order_id = wo.id)::text AS assets
      FROM work_orders wo
     WHERE wo.technician_id = :technician_id AND wo.status <> 'CANCELADA'
       AND wo.scheduled_start >= :window_start AND wo.scheduled_start < :window_end
     ORDER BY wo.scheduled_start, wo.id
    """
)


@dataclass(frozen=True)
class ScheduledOrder:
    id: int
    code: str
    type: str
    status: str
    title: str
    scheduled_start: datetime
    scheduled_end: datetime
    assets: list[dict[str, Any]]
    # For calendar feeds: a change bumps the version.
    version: int
    updated_at: datetime

    def summary(self) -> dict[str, Any]:
        """The compact object of the app's schedule."""
        return {
            "id": self.id,
            "code": self.code,
            "type": self.type,
            "status": self.status,
            "title": self.title,
            "scheduled_start": self.scheduled_start,
            "scheduled_end": self.scheduled_end,
            "assets": self.assets,
        }


async def orders(
    conn: AsyncConnection, technician_id: int, start: date, end: date, tz: ZoneInfo
) -> list[ScheduledOrder]:
    """The technician's orders (but cancelled ones) starting on plant-local days start … end."""
    rows = await conn.execute(
        _ORDERS,
        {
            "technician_id": technician_id,
            "window_start": datetime.combine(start, time(), tz),
            "window_end": datetime.combine(end + timedelta(days=1), time(), tz),
        },
    )
    return [
        ScheduledOrder(
            id=row.id,
            code=row.code,
            type=row.type,
            status=row.status,
            title=row.title,
            scheduled_start=row.scheduled_start.astimezone(tz),
            scheduled_end=row.scheduled_end.astimezone(tz),
            assets=orjson.loads(row.assets),
            version=row.version,
            updated_at=row.updated_at,
        )
        for row in rows
    ]


def by_day(scheduled: list[ScheduledOrder]) -> list[dict[str, Any]]:
    """`[{"date", "work_orders"}]` for the days that have orders, in order (input is sorted)."""
    return [
        {"date": day, "work_orders": [order.summary() for order in day_orders]}
        for day, day_orders in groupby(scheduled, key=lambda order: order.scheduled_start.date())
    ]
