"""Catalog reads: each list is one statement (plus the count for the paginated asset list)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.queries import keyset
from gateway.queries.locations import SUBTREE_CTE
from gateway.queries.patterns import contains_pattern

# Pre-order walk of the tree: a location's path of codes is a prefix of its children's, so
# ordering by path lists every parent before its children (codes are unique, so it is total).
_LOCATIONS = text(
    "WITH RECURSIVE tree AS ("
    " SELECT id, code, name, parent_id, ARRAY[code] AS path FROM locations WHERE parent_id IS NULL"
    " UNION ALL"
    " SELECT l.id, l.code, l.name, l.parent_id, t.path || l.code"
    " FROM locations l JOIN tree t ON l.parent_id = t.id)"
    " SELECT id, code, name, parent_id FROM tree ORDER BY path"
)
_CATEGORIES = text(
    "SELECT c.id, c.name,"
    " coalesce(array_agg(cmt.maintenance_type_id ORDER BY cmt.maintenance_type_id)"
    "          FILTER (WHERE cmt.maintenance_type_id IS NOT NULL), '{}') AS maintenance_type_ids"
    " FROM asset_categories c"
    " LEFT JOIN category_maintenance_types cmt ON cmt.category_id = c.id"
    " GROUP BY c.id ORDER BY c.name, c.id"
)
_MAINTENANCE_TYPES = text("SELECT id, name FROM maintenance_types ORDER BY name, id")
_FREQUENCIES = text('SELECT id, name, "interval", unit FROM frequencies ORDER BY name, id')
_TECHNICIANS = text(
    "SELECT id, username, full_name FROM users"
    " WHERE role = 'TECNICO' AND active ORDER BY full_name, id"
)

_ASSET_SELECT = (
    "a.id, a.code, a.name, a.active,"
    " l.id AS location_id, l.code AS location_code, l.name AS location_name,"
    " c.id AS category_id, c.name AS category_name"
)
_ASSET_FROM = (
    "FROM assets a"
    " JOIN locations l ON l.id = a.location_id"
    " JOIN asset_categories c ON c.id = a.category_id"
)
_ASSET = text(f"SELECT {_ASSET_SELECT} {_ASSET_FROM} WHERE a.id = :id")


async def _rows(conn: AsyncConnection, statement: Any) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in await conn.execute(statement)]


async def locations(conn: AsyncConnection) -> list[dict[str, Any]]:
    return await _rows(conn, _LOCATIONS)


async def categories(conn: AsyncConnection) -> list[dict[str, Any]]:
    return await _rows(conn, _CATEGORIES)


async def maintenance_types(conn: AsyncConnection) -> list[dict[str, Any]]:
    return await _rows(conn, _MAINTENANCE_TYPES)


async def frequencies(conn: AsyncConnection) -> list[dict[str, Any]]:
    return await _rows(conn, _FREQUENCIES)


async def technicians(conn: AsyncConnection) -> list[dict[str, Any]]:
    return await _rows(conn, _TECHNICIANS)


def _asset_json(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "code": row.code,
        "name": row.name,
        "location": {"id": row.location_id, "code": row.location_code, "name": row.location_name},
        "category": {"id": row.category_id, "name": row.category_name},
        "active": row.active,
    }


async def asset(conn: AsyncConnection, asset_id: int) -> dict[str, Any] | None:
    row = (await conn.execute(_ASSET, {"id": asset_id})).first()
    return None if row is None else _asset_json(row)


@dataclass(frozen=True)
class AssetFilters:
    q: str | None = None
    location_id: int | None = None
    category_id: int | None = None
    # Assets whose category admits this maintenance type.
    maintenance_type_id: int | None = None
    active: bool | None = None


def _where(filters: AssetFilters) -> tuple[str, dict[str, Any]]:
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if filters.q:
        # The same expression as the trigram index, so the search can use it.
        params["q"] = contains_pattern(filters.q)
        clauses.append("(a.code || ' ' || a.name) ILIKE :q")
    if filters.location_id is not None:
        params["location_id"] = filters.location_id
        clauses.append(f"a.location_id IN ({SUBTREE_CTE} SELECT id FROM subtree)")
    if filters.category_id is not None:
        params["category_id"] = filters.category_id
        clauses.append("a.category_id = :category_id")
    if filters.maintenance_type_id is not None:
        params["maintenance_type_id"] = filters.maintenance_type_id
        clauses.append(
            "EXISTS (SELECT 1 FROM category_maintenance_types cmt"
            " WHERE cmt.category_id = a.category_id"
            " AND cmt.maintenance_type_id = :maintenance_type_id)"
        )
    if filters.active is not None:
        params["active"] = filters.active
        clauses.append("a.active = :active")
    return " AND ".join(clauses) or "TRUE", params


async def search_assets(
    conn: AsyncConnection, filters: AssetFilters, *, after: tuple[str, int] | None, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """One page ordered by (code, id) after the cursor, and the total count."""
    where, params = _where(filters)
    rows, total = await keyset.page(
        conn,
        select=_ASSET_SELECT,
        from_=_ASSET_FROM,
        where=where,
        params=params,
        key=("a.code", "a.id"),
        after=after,
        limit=limit,
    )
    return [_asset_json(row) for row in rows], total


async def list_assets(conn: AsyncConnection, filters: AssetFilters) -> list[dict[str, Any]]:
    """Every matching asset, by code then id, in one statement (no pagination)."""
    where, params = _where(filters)
    statement = text(f"SELECT {_ASSET_SELECT} {_ASSET_FROM} WHERE {where} ORDER BY a.code, a.id")
    return [_asset_json(row) for row in await conn.execute(statement, params)]
