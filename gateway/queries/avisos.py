"""Notice reads: one page (newest first) and its total, for planners or for one author."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.queries import keyset
from gateway.queries.refs import pop_asset

_SELECT = (
    "n.id, n.code, n.title, n.description, n.priority, n.status, n.source, n.external_id,"
    " n.work_order_id, n.origin_work_order_id, n.meter_id, n.author_id, n.reported_at,"
    " n.created_at,"
    " a.id AS asset_id, a.code AS asset_code, a.name AS asset_name"
)
_FROM = "FROM avisos n JOIN assets a ON a.id = n.asset_id"
# Newest first through the ascending keyset: the key (-id, id) orders by id descending.
NEWEST_FIRST = ("-n.id", "n.id")


@dataclass(frozen=True)
class Filters:
    statuses: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    asset_id: int | None = None
    author_id: int | None = None


def _where(filters: Filters) -> tuple[str, dict[str, Any]]:
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if filters.statuses:
        params["statuses"] = list(filters.statuses)
        clauses.append("n.status = ANY(:statuses)")
    if filters.priorities:
        params["priorities"] = list(filters.priorities)
        clauses.append("n.priority = ANY(:priorities)")
    if filters.asset_id is not None:
        params["asset_id"] = filters.asset_id
        clauses.append("n.asset_id = :asset_id")
    if filters.author_id is not None:
        params["author_id"] = filters.author_id
        clauses.append("n.author_id = :author_id")
    return " AND ".join(clauses) or "TRUE", params


def _to_json(row: Any, tz: ZoneInfo) -> dict[str, Any]:
    data = dict(row._mapping)
    data["asset"] = pop_asset(data)
    data["created_at"] = data["created_at"].astimezone(tz)
    if data["reported_at"] is not None:
        data["reported_at"] = data["reported_at"].astimezone(tz)
    return data


async def search(
    conn: AsyncConnection,
    filters: Filters,
    *,
    after: tuple[int, int] | None,
    limit: int,
    tz: ZoneInfo,
) -> tuple[list[dict[str, Any]], int]:
    where, params = _where(filters)
    rows, total = await keyset.page(
        conn,
        select=_SELECT,
        from_=_FROM,
        where=where,
        params=params,
        key=NEWEST_FIRST,
        after=after,
        limit=limit,
    )
    return [_to_json(row, tz) for row in rows], total


def cursor_key(notice: dict[str, Any]) -> tuple[int, int]:
    return (-notice["id"], notice["id"])
