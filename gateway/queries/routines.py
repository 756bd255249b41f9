"""Routine reads: a page of routines (without steps), or one routine with its steps; one
statement each (plus the count for the page)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.queries import keyset
from gateway.queries.patterns import contains_pattern

_SELECT = (
    "r.id, r.name, r.description, r.estimated_duration_min, r.version,"
    " m.id AS type_id, m.name AS type_name,"
    ' f.id AS frequency_id, f.name AS frequency_name, f."interval", f.unit'
)
_FROM = (
    "FROM routines r"
    " JOIN maintenance_types m ON m.id = r.maintenance_type_id"
    " JOIN frequencies f ON f.id = r.frequency_id"
)
_STEPS = """
    (SELECT coalesce(json_agg(json_build_object(
                'id', s.id, 'order', s.position, 'description', s.description, 'kind', s.kind,
                'unit', s.unit, 'min_value', s.min_value, 'max_value', s.max_value)
              ORDER BY s.position), '[]')
       FROM routine_steps s WHERE s.routine_id = r.id)::text AS steps
"""
_DETAIL = text(f"SELECT {_SELECT}, {_STEPS} {_FROM} WHERE r.id = :id")


def _to_json(row: Any) -> dict[str, Any]:
    routine = {
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "maintenance_type": {"id": row.type_id, "name": row.type_name},
        "frequency": {
            "id": row.frequency_id,
            "name": row.frequency_name,
            "interval": row.interval,
            "unit": row.unit,
        },
        "estimated_duration_min": row.estimated_duration_min,
        "version": row.version,
    }
    if "steps" in row._mapping:
        routine["steps"] = orjson.loads(row.steps)
    return routine


async def detail(conn: AsyncConnection, routine_id: int) -> dict[str, Any] | None:
    row = (await conn.execute(_DETAIL, {"id": routine_id})).first()
    return None if row is None else _to_json(row)


@dataclass(frozen=True)
class Filters:
    q: str | None = None
    maintenance_type_id: int | None = None


async def search(
    conn: AsyncConnection, filters: Filters, *, after: Sequence[Any] | None, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """One page ordered by (name, id) after the cursor, and the total count."""
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if filters.q:
        params["q"] = contains_pattern(filters.q)
        clauses.append("(r.name ILIKE :q OR r.description ILIKE :q)")
    if filters.maintenance_type_id is not None:
        params["maintenance_type_id"] = filters.maintenance_type_id
        clauses.append("r.maintenance_type_id = :maintenance_type_id")
    rows, total = await keyset.page(
        conn,
        select=_SELECT,
        from_=_FROM,
        where=" AND ".join(clauses) or "TRUE",
        params=params,
        key=("r.name", "r.id"),
        after=after,
        limit=limit,
    )
    return [_to_json(row) for row in rows], total
