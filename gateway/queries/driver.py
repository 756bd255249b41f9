"""One row straight from the asyncpg connection under a SQLAlchemy connection.

For the hottest single-statement reads (every request's token, an order by id): there SQLAlchemy's
per-statement work (execution context, result metadata, greenlet hops) costs about as much as the
query itself. asyncpg prepares each statement once per connection and reuses it.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection


async def fetchrow(conn: AsyncConnection, sql: str, *args: Any) -> asyncpg.Record | None:
    """The first row of `sql` (`$1`-style parameters), or None."""
    raw = await conn.get_raw_connection()
    driver: asyncpg.Connection = raw.driver_connection  # type: ignore[assignment]
    return await driver.fetchrow(sql, *args)
