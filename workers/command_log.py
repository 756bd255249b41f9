"""The command log: the stored result of every command id, so a repeat changes nothing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from shared.enums import CommandStatus
from shared.messages import Actor, Reply

_FIND = text(
    "SELECT status, request_hash, http_status, result FROM command_log WHERE id = :id FOR UPDATE"
)
# A `pending` row (written by a gateway whose caller got 202) is completed; a finished row is
# left alone and the statement returns nothing, telling the caller it lost a race.
_RECORD = text(
    """
    INSERT INTO command_log (id, user_id, kind, request_hash, status, http_status, result,
                             finished_at)
    VALUES (:id, :user_id, :kind, :request_hash, :status, :http_status, :result, now())
    ON CONFLICT (id) DO UPDATE
        SET status = EXCLUDED.status, http_status = EXCLUDED.http_status,
            result = EXCLUDED.result, finished_at = EXCLUDED.finished_at
        WHERE command_log.status = 'pending'
    RETURNING id
    """
).bindparams(bindparam("result", type_=JSONB))


@dataclass(frozen=True)
class Finished:
    reply: Reply
    request_hash: str | None


async def find_finished(session: AsyncSession, command_id: uuid.UUID) -> Finished | None:
    """The stored outcome of a finished command (locking its row), or None."""
    row = (await session.execute(_FIND, {"id": command_id})).first()
    if row is None or row.status == CommandStatus.PENDING:
        return None
    reply = Reply(status=row.status, http_status=row.http_status, body=row.result)
    return Finished(reply, row.request_hash)


async def record(
    session: AsyncSession,
    command_id: uuid.UUID,
    actor: Actor,
    kind: str,
    request_hash: str | None,
    reply: Reply,
) -> bool:
    """Store the reply; False when another delivery of the same command finished first."""
    row = (
        await session.execute(
            _RECORD,
            {
                "id": command_id,
                "user_id": actor.user_id,
                "kind": kind,
                "request_hash": request_hash,
                "status": reply.status.value,
                "http_status": reply.http_status,
                "result": reply.body,
            },
        )
    ).first()
    return row is not None
