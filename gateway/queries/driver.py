"""One row straight from the asyncpg connection under a SQLAlchemy connection.

For the hottest single-statement reads (every request's token, an order by id): there SQLAlchemy's
per-statement work (execution context, result metadata, greenlet hops) costs about as much as the
query itself. asyncpg prepares each statement once per connection and reuses it.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.db.engine import connections_lost
from shared.db.errors import database_unreachable


async def fetchrow(conn: AsyncConnection, sql: str, *args: Any) -> asyncpg.Record | None:
    """The first row of `sql` (`$1`-style parameters), or None.

    Going around SQLAlchemy means its pool never sees a connection fail here: one the server
    dropped (a restart) is invalidated by hand, and so is every other connection opened before
    it, so the pool replaces them instead of lending them out again.
    """
    raw = await conn.get_raw_connection()
    driver: asyncpg.Connection = raw.driver_connection  # type: ignore[assignment]
    try:
        return await driver.fetchrow(sql, *args)
    except Exception as exc:
        if database_unreachable(exc):
            connections_lost(conn.sync_engine)
            await conn.invalidate(exc)
        raise
