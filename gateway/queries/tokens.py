"""What makes a bearer token valid, said once: its request check and the sockets' sweep use it."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection


def _valid(token_hash: str) -> str:
    """The FROM/WHERE of the valid token whose hash is the SQL expression `token_hash`: not
    revoked, not expired, of an active user."""
    return (
        "api_tokens t JOIN users u ON u.id = t.user_id"
        f" WHERE t.token_hash = {token_hash} AND t.revoked_at IS NULL"
        " AND t.expires_at > now() AND u.active"
    )


# Run on every authenticated request: straight through asyncpg (see gateway/queries/driver.py).
USER_BY_TOKEN = (
    "SELECT u.id AS caller_id, u.username AS caller_username, u.full_name AS caller_full_name,"
    f" u.role AS caller_role FROM {_valid('$1')}"
)
# Every open socket's token at once, whatever their number.
_INVALID_AMONG = text(
    "SELECT h FROM unnest(CAST(:hashes AS text[])) h"
    f" WHERE NOT EXISTS (SELECT 1 FROM {_valid('h')})"
)


async def invalid_among(conn: AsyncConnection, hashes: Collection[str]) -> set[str]:
    """The token hashes among `hashes` that are no longer valid (expired, revoked, user gone)."""
    rows = await conn.execute(_INVALID_AMONG, {"hashes": list(hashes)})
    return {row.h for row in rows}
