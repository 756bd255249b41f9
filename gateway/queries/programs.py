"""Program reads: a page or one program, each with its `next_due`, in a bounded number of
statements whatever the page's size."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.queries import keyset
from shared.domain.due_dates import due_dates_from
from shared.enums import FrequencyUnit, ProgramBasis
from shared.generation import Horizon, forecast

# `generated`: the dates on or after today for which every asset of the program has its key.
_SELECT = """
    p.id, p.routine_id, p.start_date, p.frequency_id, p.technician_id, p.one_order_per_asset,
    p.basis, p.meter_interval, p.meter_unit, p.meter_lead, p.active, p.version, f.interval, f.unit,
    (SELECT coalesce(array_agg(pa.asset_id ORDER BY pa.asset_id), '{}')
       FROM program_assets pa WHERE pa.program_id = p.id) AS asset_ids,
    (SELECT coalesce(array_agg(g.due_date), '{}')
       FROM (SELECT g.due_date FROM program_generations g
               JOIN program_assets pa ON pa.program_id = g.program_id
                                     AND pa.asset_id = g.asset_id
              WHERE g.program_id = p.id AND g.due_date >= :today
              GROUP BY g.due_date
             HAVING count(*) = (SELECT count(*) FROM program_assets pa2
                                 WHERE pa2.program_id = p.id)) g) AS generated
"""
_FROM = "FROM programs p LEFT JOIN frequencies f ON f.id = p.frequency_id"
# Far enough to find the one pending date of a program on the last-execution basis or by use.
_NO_END = date(9999, 12, 31)


def _next_fixed(row: Row[Any], today: date) -> date | None:
    if not row.active:
        return None
    generated = set(row.generated)
    first = max(today, row.start_date)
    dates = due_dates_from(row.start_date, row.interval, FrequencyUnit(row.unit), first)
    return next(due for due in dates if due not in generated)


async def _with_next_due(
    conn: AsyncConnection, rows: Sequence[Row[Any]], today: date, tz: str
) -> list[dict[str, Any]]:
    """The programs as JSON; `next_due` of those on the last-execution basis or by use is the
    first day the forecast shows (one forecast for the whole page), None while every asset has
    an open order (or, by use alone, no use to predict from)."""
    forecast_ids = [row.id for row in rows if row.basis != ProgramBasis.FIJA and row.active]
    pending: dict[int, date] = {}
    if forecast_ids:
        planned = await forecast(conn, Horizon(today, _NO_END, forecast_ids), tz)
        for item in planned.items:
            pending.setdefault(item.program_id, item.date)
    return [
        {
            "id": row.id,
            "routine_id": row.routine_id,
            "asset_ids": list(row.asset_ids),
            "start_date": row.start_date,
            "frequency_id": row.frequency_id,
            "technician_id": row.technician_id,
            "one_order_per_asset": row.one_order_per_asset,
            "basis": row.basis,
            "meter_interval": row.meter_interval,
            "meter_unit": row.meter_unit,
            "meter_lead": row.meter_lead,
            "active": row.active,
            "next_due": (
                _next_fixed(row, today) if row.basis == ProgramBasis.FIJA else pending.get(row.id)
            ),
            "version": row.version,
        }
        for row in rows
    ]


async def page(
    conn: AsyncConnection,
    *,
    routine_id: int | None,
    after: tuple[int, int] | None,
    limit: int,
    today: date,
    tz: str,
) -> tuple[list[dict[str, Any]], int]:
    """One page of programs by (routine, id), and the total."""
    where, params = "TRUE", {"today": today, "routine_id": routine_id}
    if routine_id is not None:
        where = "p.routine_id = :routine_id"
    rows, total = await keyset.page(
        conn,
        select=_SELECT,
        from_=_FROM,
        where=where,
        params=params,
        key=("p.routine_id", "p.id"),
        after=after,
        limit=limit,
    )
    return await _with_next_due(conn, rows, today, tz), total


async def detail(
    conn: AsyncConnection, program_id: int, today: date, tz: str
) -> dict[str, Any] | None:
    statement = text(f"SELECT {_SELECT} {_FROM} WHERE p.id = :id")
    row = (await conn.execute(statement, {"id": program_id, "today": today})).first()
    return None if row is None else (await _with_next_due(conn, [row], today, tz))[0]
