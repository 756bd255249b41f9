"""Work-order reads: one statement for a page or a detail, JSON for the nested parts built by
PostgreSQL so that a page costs the same round trips whatever its size."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.queries import driver, keyset
from gateway.queries.locations import SUBTREE_CTE
from gateway.queries.patterns import contains_pattern
from shared.domain.work_orders import allowed_transitions
from shared.enums import WorkOrderStatus

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
    wo.actual_start, wo.actual_end,
    (SELECT u.full_name FROM users u WHERE u.id = wo.technician_id) AS technician,
    wo.technician_id, wo.notes,
    wo.routine_id, wo.program_id, wo.aviso_id, wo.trigger, wo.due_usage, wo.version,
    wo.created_at, wo.updated_at
"""
# No join: a count over the orders alone can then be answered from an index only (PostgreSQL 15
# still reads the table for a count through a LEFT JOIN it removes).
_FROM = "FROM work_orders wo"
_DATETIMES = (
    "scheduled_start",
    "scheduled_end",
    "actual_start",
    "actual_end",
    "created_at",
    "updated_at",
)

# Made once: a page asks for them fifty times (the lists are only serialised, never changed).
_ALLOWED = {status.value: allowed_transitions(status) for status in WorkOrderStatus}

# One order with its assets and steps (`$1`: its id), for `auth.fetch_as_caller`.
DETAIL = f"SELECT {_COLUMNS}, {_ASSETS}, {_STEPS} {_FROM} WHERE wo.id = $1"


def order_json(row: Mapping[Any, Any], tz: ZoneInfo) -> dict[str, Any]:
    """A row of DETAIL or of a search page as the answer's object."""
    data = dict(row)
    for key in _DATETIMES:
        if data[key] is not None:
            data[key] = data[key].astimezone(tz)
    # Built as JSON by PostgreSQL: passed through to the answer as it is, never parsed.
    data["assets"] = orjson.Fragment(data["assets"])
    if "steps" in data:
        data["steps"] = orjson.Fragment(data["steps"])
    data["allowed_transitions"] = _ALLOWED[data["status"]]
    return data


async def detail(conn: AsyncConnection, work_order_id: int, tz: ZoneInfo) -> dict[str, Any] | None:
    """One order as the answer's object, or None."""
    row = await driver.fetchrow(conn, DETAIL, work_order_id)
    return None if row is None else order_json(row, tz)


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


@dataclass
class _Where:
    conditions: list[str]
    params: dict[str, Any]
    # Disjoint conditions whose union is the match (see `keyset.page`).
    parts: list[str] = field(default_factory=lambda: ["TRUE"])


def _where(filters: Filters, tz: ZoneInfo) -> _Where:
    where = _Where([], {})
    if filters.q:
        where.params["q"] = contains_pattern(filters.q)
        where.conditions.append(
            "(wo.search_text ILIKE :q"
            " OR EXISTS (SELECT 1 FROM users qu"
            "            WHERE qu.id = wo.technician_id AND qu.full_name ILIKE :q)"
            " OR EXISTS (SELECT 1 FROM work_order_assets qa JOIN assets a ON a.id = qa.asset_id"
            "            WHERE qa.work_order_id = wo.id AND a.search_text ILIKE :q))"
        )
    statuses = tuple(dict.fromkeys(filters.statuses))
    if statuses:
        where.params["statuses"] = list(statuses)
    if filters.start_date or filters.end_date:
        where.parts = _window_parts(filters, tz, statuses, where.params)
    elif statuses:
        where.conditions.append("wo.status = ANY(:statuses)")
    if filters.types:
        where.params["types"] = list(filters.types)
        where.conditions.append("wo.type = ANY(:types)")
    if filters.technician_id is not None:
        where.params["technician_id"] = filters.technician_id
        where.conditions.append("wo.technician_id = :technician_id")
    if filters.asset_id is not None:
        where.params["asset_id"] = filters.asset_id
        where.conditions.append(
            "EXISTS (SELECT 1 FROM work_order_assets fa"
            " WHERE fa.work_order_id = wo.id AND fa.asset_id = :asset_id)"
        )
    if filters.location_id is not None:
        where.params["location_id"] = filters.location_id
        where.conditions.append(
            f"EXISTS ({SUBTREE_CTE} SELECT 1 FROM work_order_assets la"
            " JOIN assets a ON a.id = la.asset_id"
            " WHERE la.work_order_id = wo.id AND a.location_id IN (SELECT id FROM subtree))"
        )
    return where


_WINDOW_START = "CAST(:window_start AS timestamptz)"
_WINDOW_END = "CAST(:window_end AS timestamptz)"


def _window_parts(
    filters: Filters, tz: ZoneInfo, statuses: tuple[str, ...], params: dict[str, Any]
) -> list[str]:
    """The orders whose scheduled range overlaps the window [start_date, end_date] (whole days in
    plant time; an open side is unbounded), with the statuses, as disjoint parts each walked in
    page order by an index: per status, those starting inside the window (the btree on
    (status, scheduled_start, id), or (scheduled_start, id) without a status); and those starting
    before it and still running at its start (the GiST index on the scheduled range: few)."""
    starts_inside = []
    if filters.start_date:
        params["window_start"] = datetime.combine(filters.start_date, time(), tz)
        starts_inside.append(f"wo.scheduled_start >= {_WINDOW_START}")
    if filters.end_date:
        params["window_end"] = datetime.combine(filters.end_date + timedelta(days=1), time(), tz)
        starts_inside.append(f"wo.scheduled_start < {_WINDOW_END}")
    inside = " AND ".join(starts_inside)
    parts = [f"wo.status = :status_{i} AND {inside}" for i in range(len(statuses))] or [inside]
    params |= {f"status_{i}": status for i, status in enumerate(statuses)}
    if filters.start_date:
        # The expression of the index `ix_work_orders_status_window`.
        spanning = (
            f"tstzrange(wo.scheduled_start, wo.scheduled_end, '[]') @> {_WINDOW_START}"
            f" AND wo.scheduled_start < {_WINDOW_START}"
        )
        parts.append(f"wo.status = ANY(:statuses) AND {spanning}" if statuses else spanning)
    return parts


async def search(
    conn: AsyncConnection,
    filters: Filters,
    *,
    after: tuple[datetime, int] | None,
    limit: int,
    tz: ZoneInfo,
) -> tuple[list[dict[str, Any]], int]:
    """One page ordered by (scheduled_start, id) after the cursor, and the total count."""
    where = _where(filters, tz)
    rows, total = await keyset.page(
        conn,
        select=f"{_COLUMNS}, {_ASSETS}",
        from_=_FROM,
        where=" AND ".join(where.conditions) or "TRUE",
        params=where.params,
        parts=where.parts,
        key=("wo.scheduled_start", "wo.id"),
        after=after,
        limit=limit,
    )
    return [order_json(row._mapping, tz) for row in rows], total
