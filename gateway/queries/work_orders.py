"""Work-order reads: one statement for a page or a detail, JSON for the nested parts built by
PostgreSQL so that a page costs the same round trips whatever its size."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.queries import keyset
from gateway.queries.locations import SUBTREE_CTE
from gateway.queries.patterns import contains_pattern
from shared.domain.work_orders import allowed_transitions

_ASSETS = """
    (SELECT coalesce(json_agg(json_build_object(
                'id', a.id, 'code', a.code, 'name', a.name,
                'location', json_build_object('id', l.id, 'code', l.code, 'name', l.name))
              ORDER BY a.id), '[]')
       FROM work_order_assets woa
       JOIN assets a ON a.id = woa.asset_id
       JOIN locations l ON l.id = a.location_id
      WHERE woa.work_order_id = wo.id)::text AS assets
"""
_STEPS = """
    (SELECT coalesce(json_agg(json_build_object(
                'id', s.id, 'order', s.position, 'description', s.description, 'kind', s.kind,
                'unit', s.unit, 'min_value', s.min_value, 'max_value', s.max_value,
                'done', s.done, 'ok', s.ok,
                'value', CASE s.kind WHEN 'MEDICION' THEN to_jsonb(s.numeric_value)
                                     WHEN 'TEXTO' THEN to_jsonb(s.text_value) END,
                'comment', s.comment)
              ORDER BY s.position), '[]')
       FROM work_order_steps s WHERE s.work_order_id = wo.id)::text AS steps
"""
_COLUMNS = """
    wo.id, wo.code, wo.type, wo.status, wo.title, wo.scheduled_start, wo.scheduled_end,
    wo.actual_start, wo.actual_end, u.full_name AS technician, wo.technician_id, wo.notes,
    wo.routine_id, wo.program_id, wo.aviso_id, wo.version, wo.created_at, wo.updated_at
"""
_FROM = "FROM work_orders wo LEFT JOIN users u ON u.id = wo.technician_id"
_DATETIMES = (
    "scheduled_start",
    "scheduled_end",
    "actual_start",
    "actual_end",
    "created_at",
    "updated_at",
)

_DETAIL = text(f"SELECT {_COLUMNS}, {_ASSETS}, {_STEPS} {_FROM} WHERE wo.id = :id")


def _to_json(row: Any, tz: ZoneInfo) -> dict[str, Any]:
    data = dict(row._mapping)
    for key in _DATETIMES:
        if data[key] is not None:
            data[key] = data[key].astimezone(tz)
    data["assets"] = orjson.loads(data["assets"])
    if "steps" in data:
        data["steps"] = orjson.loads(data["steps"])
    data["allowed_transitions"] = allowed_transitions(data["status"])
    return data


async def detail(conn: AsyncConnection, work_order_id: int, tz: ZoneInfo) -> dict[str, Any] | None:
    row = (await conn.execute(_DETAIL, {"id": work_order_id})).first()
    return None if row is None else _to_json(row, tz)


@dataclass(frozen=True)
class Filters:
    q: str | None = None
    statuses: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    start_date: date | None = None
    end_date: date | None = None
    technician_id: int | None = None
    asset_id: int | None = None
    location_id: int | None = None


def _where(filters: Filters, tz: ZoneInfo) -> tuple[list[str], dict[str, Any]]:
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if filters.q:
        params["q"] = contains_pattern(filters.q)
        clauses.append(
            "(wo.search_text ILIKE :q"
            " OR u.full_name ILIKE :q"
            " OR EXISTS (SELECT 1 FROM work_order_assets qa JOIN assets a ON a.id = qa.asset_id"
            "            WHERE qa.work_order_id = wo.id AND a.search_text ILIKE :q))"
        )
    if filters.statuses:
        params["statuses"] = list(filters.statuses)
        clauses.append("wo.status = ANY(:statuses)")
    if filters.types:
        params["types"] = list(filters.types)
        clauses.append("wo.type = ANY(:types)")
    # The scheduled window overlaps [start_date, end_date], whole days in plant time.
    if filters.start_date:
        params["window_start"] = datetime.combine(filters.start_date, time(), tz)
        clauses.append("wo.scheduled_end >= :window_start")
    if filters.end_date:
        params["window_end"] = datetime.combine(filters.end_date + timedelta(days=1), time(), tz)
        clauses.append("wo.scheduled_start < :window_end")
    if filters.technician_id is not None:
        params["technician_id"] = filters.technician_id
        clauses.append("wo.technician_id = :technician_id")
    if filters.asset_id is not None:
        params["asset_id"] = filters.asset_id
        clauses.append(
            "EXISTS (SELECT 1 FROM work_order_assets fa"
            " WHERE fa.work_order_id = wo.id AND fa.asset_id = :asset_id)"
        )
    if filters.location_id is not None:
        params["location_id"] = filters.location_id
        clauses.append(
            f"EXISTS ({SUBTREE_CTE} SELECT 1 FROM work_order_assets la"
            " JOIN assets a ON a.id = la.asset_id"
            " WHERE la.work_order_id = wo.id AND a.location_id IN (SELECT id FROM subtree))"
        )
    return clauses, params


async def search(
    conn: AsyncConnection,
    filters: Filters,
    *,
    after: tuple[datetime, int] | None,
    limit: int,
    tz: ZoneInfo,
) -> tuple[list[dict[str, Any]], int]:
    """One page ordered by (scheduled_start, id) after the cursor, and the total count."""
    clauses, params = _where(filters, tz)
    rows, total = await keyset.page(
        conn,
        select=f"{_COLUMNS}, {_ASSETS}",
        from_=_FROM,
        where=" AND ".join(clauses) or "TRUE",
        params=params,
        key=("wo.scheduled_start", "wo.id"),
        after=after,
        limit=limit,
    )
    return [_to_json(row, tz) for row in rows], total
