"""Technicians' workload: open orders and estimated minutes per technician and plant day."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

# An order is one row of work_orders (no join fans it out), so each counts once. The window is
# a range on scheduled_start itself, so the (technician_id, scheduled_start) index serves it.
_WORKLOAD = """
    SELECT wo.technician_id,
           (wo.scheduled_start AT TIME ZONE :tz)::date AS date,
           count(*)::int AS orders,
           coalesce(sum(r.estimated_duration_min), 0)::int AS estimated_min
      FROM work_orders wo
      LEFT JOIN routines r ON r.id = wo.routine_id
     WHERE wo.status IN ('PENDIENTE', 'EN_PROGRESO')
       AND wo.technician_id IS NOT NULL
       AND wo.scheduled_start >= :start AND wo.scheduled_start < :end
       {only_technician}
     GROUP BY 1, 2
     ORDER BY 1, 2
"""


async def workload(
    conn: AsyncConnection,
    start_date: date,
    end_date: date,
    tz: ZoneInfo,
    technician_id: int | None = None,
) -> list[dict[str, Any]]:
    """One row per technician and day of [start_date, end_date] (plant days) with open orders;
    only `technician_id`'s rows when given."""
    params: dict[str, Any] = {
        "tz": tz.key,
        "start": datetime.combine(start_date, time(), tz),
        "end": datetime.combine(end_date + timedelta(days=1), time(), tz),
    }
    only_technician = ""
    if technician_id is not None:
        params["technician_id"] = technician_id
        only_technician = "AND wo.technician_id = :technician_id"
    statement = text(_WORKLOAD.format(only_technician=only_technician))
    return [dict(row._mapping) for row in await conn.execute(statement, params)]
