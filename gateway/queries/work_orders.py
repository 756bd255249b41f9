"""Work-order reads: one statement for a page or a detail, JSON for the nested parts built by
PostgreSQL so that a page costs the same round trips whatever its size."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
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


# Orders whose scheduled range overlaps the window (an open side is unbounded); the expression
# is the one of the index `ix_work_orders_status_window`.
_WINDOW = (
    "tstzrange(wo.scheduled_start, wo.scheduled_end, '[]')"
    " && tstzrange(CAST(:window_start AS timestamptz), CAST(:window_end AS timestamptz), '[)')"
)


@dataclass
class _Where:
    # Conditions on the order's own columns, and those that need joins.
    own: list[str]
    joined: list[str]
    params: dict[str, Any]


def _where(filters: Filters, tz: ZoneInfo) -> _Where:
    where = _Where([], [], {})
    if filters.q:
        where.params["q"] = contains_pattern(filters.q)
        where.joined.append(
            "(wo.search_text ILIKE :q"
            " OR u.full_name ILIKE :q"
            " OR EXISTS (SELECT 1 FROM work_order_assets qa JOIN assets a ON a.id = qa.asset_id"
            "            WHERE qa.work_order_id = wo.id AND a.search_text ILIKE :q))"
        )
    if filters.statuses:
        where.params["statuses"] = list(filters.statuses)
        where.own.append("wo.status = ANY(:statuses)")
    if filters.types:
        where.params["types"] = list(filters.types)
        where.own.append("wo.type = ANY(:types)")
    # The scheduled window overlaps [start_date, end_date], whole days in plant time.
    if filters.start_date or filters.end_date:
        where.params["window_start"] = filters.start_date and datetime.combine(
            filters.start_date, time(), tz
        )
        where.params["window_end"] = filters.end_date and datetime.combine(
            filters.end_date + timedelta(days=1), time(), tz
        )
        where.own.append(_WINDOW)
    if filters.technician_id is not None:
        where.params["technician_id"] = filters.technician_id
        where.own.append("wo.technician_id = :technician_id")
    if filters.asset_id is not None:
        where.params["asset_id"] = filters.asset_id
        where.joined.append(
            "EXISTS (SELECT 1 FROM work_order_assets fa"
            " WHERE fa.work_order_id = wo.id AND fa.asset_id = :asset_id)"
        )
    if filters.location_id is not None:
        where.params["location_id"] = filters.location_id
        where.joined.append(
            f"EXISTS ({SUBTREE_CTE} SELECT 1 FROM work_order_assets la"
            " JOIN assets a ON a.id = la.asset_id"
            " WHERE la.work_order_id = wo.id AND a.location_id IN (SELECT id FROM subtree))"
        )
    return where


def _from(where: _Where) -> tuple[str, list[str]]:
    """The FROM clause and the conditions left for the WHERE.

    With a date window, the order's own conditions are applied first, in a subquery the planner
    keeps apart (OFFSET 0): the window index then finds the matching orders and only those are
    sorted. Otherwise the planner walks the schedule index in page order and filters as it goes,
    which for a window late in the year means reading every earlier order.
    """
    if "window_start" not in where.params:
        return _FROM, where.own + where.joined
    own = " AND ".join(where.own)
    fenced = f"(SELECT * FROM work_orders wo WHERE {own} OFFSET 0) wo"
    return _FROM.replace("work_orders wo", fenced, 1), where.joined


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
    from_, clauses = _from(where)
    rows, total = await keyset.page(
        conn,
        select=f"{_COLUMNS}, {_ASSETS}",
        from_=from_,
        where=" AND ".join(clauses) or "TRUE",
        params=where.params,
        key=("wo.scheduled_start", "wo.id"),
        after=after,
        limit=limit,
    )
    return [order_json(row._mapping, tz) for row in rows], total
