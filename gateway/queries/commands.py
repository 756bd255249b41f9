"""The command log as the gateway reads it (and the `pending` mark of a late command)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

_GET = text(
    "SELECT user_id, status, request_hash, http_status, result FROM command_log WHERE id = :id"
)
_MARK_PENDING = text(
    "INSERT INTO command_log (id, user_id, kind, request_hash, status) "
    "VALUES (:id, :user_id, :kind, :request_hash, 'pending') ON CONFLICT (id) DO NOTHING"
)


async def get(engine: AsyncEngine, command_id: uuid.UUID) -> Any | None:
    async with engine.connect() as conn:
        return (await conn.execute(_GET, {"id": command_id})).first()


async def mark_pending(
    engine: AsyncEngine, command_id: uuid.UUID, user_id: int, kind: str, request_hash: str | None
) -> None:
    """Make a late command visible at `/comandos/{id}/`; a finished row is left as it is."""
    async with engine.begin() as conn:
        await conn.execute(
            _MARK_PENDING,
            {"id": command_id, "user_id": user_id, "kind": kind, "request_hash": request_hash},
        )
