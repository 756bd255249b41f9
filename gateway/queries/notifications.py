"""Notification reads: a user's newest, and the rows one event created for connected users."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

_COLUMNS = "id, kind, title, message, work_order_id, aviso_id, read, created_at"

# Both served by the (user_id, id DESC) index.
_NEWEST = text(
    f"SELECT {_COLUMNS} FROM notifications WHERE user_id = :user_id ORDER BY id DESC LIMIT :limit"
)
_NEWEST_UNREAD = text(
    f"SELECT {_COLUMNS} FROM notifications WHERE user_id = :user_id AND NOT read "
    "ORDER BY id DESC LIMIT :limit"
)
# Served by the (event_id, user_id) unique index, however many users the event reached.
_OF_EVENT = text(
    f"SELECT user_id, {_COLUMNS} FROM notifications "
    "WHERE event_id = :event_id AND user_id = ANY(:user_ids) ORDER BY id"
)


def _to_json(row: Any, tz: ZoneInfo) -> dict[str, Any]:
    data = dict(row._mapping)
    data.pop("user_id", None)
    data["created_at"] = data["created_at"].astimezone(tz)
    return data


async def newest(
    conn: AsyncConnection, user_id: int, *, unread_only: bool, limit: int, tz: ZoneInfo
) -> list[dict[str, Any]]:
    statement = _NEWEST_UNREAD if unread_only else _NEWEST
    rows = await conn.execute(statement, {"user_id": user_id, "limit": limit})
    return [_to_json(row, tz) for row in rows]


async def of_event(
    conn: AsyncConnection, event_id: int, user_ids: Collection[int], tz: ZoneInfo
) -> list[tuple[int, dict[str, Any]]]:
    """(user id, notification) of the rows `event_id` created for any of `user_ids`."""
    rows = await conn.execute(_OF_EVENT, {"event_id": event_id, "user_ids": list(user_ids)})
    return [(row.user_id, _to_json(row, tz)) for row in rows]
