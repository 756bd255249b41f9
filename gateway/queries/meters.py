"""Meter reads: a page of meters, one meter, the meters of an order's assets, and a meter's
readings (newest first, within a window). A meter's last reading is on its row: no read of the
readings table to show it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.queries import keyset
from gateway.queries.refs import pop_asset

_SELECT = (
    "m.id, m.code, m.name, m.unit, m.kind, m.alarm_low, m.alarm_high, m.alarm_priority,"
    " m.active, m.version, m.last_value, m.last_taken_at, m.last_usage,"
    " a.id AS asset_id, a.code AS asset_code, a.name AS asset_name"
)
_FROM = "FROM meters m JOIN assets a ON a.id = m.asset_id"
_DETAIL = text(f"SELECT {_SELECT} {_FROM} WHERE m.id = :id")
_EXISTS = text("SELECT EXISTS (SELECT 1 FROM meters WHERE id = :id)")
# The active meters of an order's assets, by code.
_OF_ORDER = text(
    f"SELECT {_SELECT} {_FROM}"
    " JOIN work_order_assets wa ON wa.asset_id = m.asset_id AND wa.work_order_id = :id"
    " WHERE m.active ORDER BY m.code"
)
# Newest first: the primary key (meter, taken_at) walked backwards within one meter.
_READINGS_SELECT = "r.id, r.value, r.taken_at, r.usage, r.reset, r.source"
_READINGS_FROM = "FROM meter_readings r"


def _meter_json(row: Any, tz: ZoneInfo) -> dict[str, Any]:
    data = dict(row._mapping)
    data["asset"] = pop_asset(data)
    value, taken_at, usage = (
        data.pop("last_value"),
        data.pop("last_taken_at"),
        data.pop("last_usage"),
    )
    data["last_reading"] = (
        None
        if taken_at is None
        else {"value": value, "taken_at": taken_at.astimezone(tz), "usage": usage}
    )
    return data


@dataclass(frozen=True)
class Filters:
    asset_id: int | None = None
    kinds: tuple[str, ...] = ()


async def page(
    conn: AsyncConnection,
    filters: Filters,
    *,
    after: tuple[str, int] | None,
    limit: int,
    tz: ZoneInfo,
) -> tuple[list[dict[str, Any]], int]:
    """One page of meters by code, and the total."""
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if filters.asset_id is not None:
        clauses.append("m.asset_id = :asset_id")
        params["asset_id"] = filters.asset_id
    if filters.kinds:
        clauses.append("m.kind = ANY(:kinds)")
        params["kinds"] = list(filters.kinds)
    rows, total = await keyset.page(
        conn,
        select=_SELECT,
        from_=_FROM,
        where=" AND ".join(clauses) or "TRUE",
        params=params,
        key=("m.code", "m.id"),
        after=after,
        limit=limit,
    )
    return [_meter_json(row, tz) for row in rows], total


async def detail(conn: AsyncConnection, meter_id: int, tz: ZoneInfo) -> dict[str, Any] | None:
    row = (await conn.execute(_DETAIL, {"id": meter_id})).first()
    return None if row is None else _meter_json(row, tz)


async def exists(conn: AsyncConnection, meter_id: int) -> bool:
    return bool((await conn.execute(_EXISTS, {"id": meter_id})).scalar_one())


async def of_order(conn: AsyncConnection, work_order_id: int, tz: ZoneInfo) -> list[dict[str, Any]]:
    rows = await conn.execute(_OF_ORDER, {"id": work_order_id})
    return [_meter_json(row, tz) for row in rows]


async def readings(
    conn: AsyncConnection,
    meter_id: int,
    window: tuple[datetime, datetime],
    *,
    after: tuple[int, datetime] | None,
    limit: int,
    tz: ZoneInfo,
) -> tuple[list[dict[str, Any]], int]:
    """One page of a meter's readings taken in `window` (both ends included), newest first,
    and how many there are in it."""
    rows, total = await keyset.page(
        conn,
        select=_READINGS_SELECT,
        from_=_READINGS_FROM,
        where="r.meter_id = :meter_id AND r.taken_at BETWEEN :start AND :end",
        params={"meter_id": meter_id, "start": window[0], "end": window[1]},
        key=("r.meter_id", "r.taken_at"),
        after=after,
        limit=limit,
        descending=True,
    )
    return [{**row._mapping, "taken_at": row.taken_at.astimezone(tz)} for row in rows], total
