"""The command log: the stored result of every command id, so a repeat changes nothing.

A command's result, its history lines, its outbox events and the writes its handler left for the
end (`UnitOfWork.write_at_end`) are written by one statement at the end of its transaction: one
round trip, whatever the command produced.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import TextClause, bindparam, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from shared.enums import CommandStatus
from shared.messages import Actor, Reply

_FIND = text(
    "SELECT status, request_hash, http_status, result FROM command_log WHERE id = :id FOR UPDATE"
)
# A `pending` row (written by a gateway whose caller got 202) is completed; a finished row is
# left alone and the statement returns nothing: another delivery of the command finished it.
# The data-modifying CTEs run either way; the caller then rolls them back.
_RECORD = """
    WITH {writes} history AS (
        INSERT INTO work_order_events (work_order_id, user_id, event, data)
        SELECT line.order_id, :user_id, line.event, line.data
          FROM unnest(CAST(:history_orders AS integer[]), CAST(:history_events AS text[]),
                      CAST(:history_data AS jsonb[]))
               WITH ORDINALITY AS line(order_id, event, data, position)
         ORDER BY line.position
    ), events AS (
        INSERT INTO outbox (type, data)
        SELECT event.type, event.data
          FROM unnest(CAST(:event_types AS text[]), CAST(:event_data AS jsonb[]))
               WITH ORDINALITY AS event(type, data, position)
         ORDER BY event.position
    )
    INSERT INTO command_log (id, user_id, kind, request_hash, status, http_status, result,
                             finished_at)
    VALUES (:id, :user_id, :kind, :request_hash, :status, :http_status, :result, now())
    ON CONFLICT (id) DO UPDATE
        SET status = EXCLUDED.status, http_status = EXCLUDED.http_status,
            result = EXCLUDED.result, finished_at = EXCLUDED.finished_at
        WHERE command_log.status = 'pending'
    RETURNING id
"""
# A `:name` parameter in a statement's text, as `text()` finds them (`::` casts are not ones).
_PARAMETER = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")


def _renamed(sql: str, prefix: str) -> str:
    return _PARAMETER.sub(lambda match: f":{prefix}{match[1]}", sql)


@functools.lru_cache(maxsize=256)
def _record_statement(writes: tuple[str, ...]) -> TextClause:
    """The record statement with each write as a data-modifying CTE; the parameters of write
    `i` are renamed `w<i>_<name>`."""
    ctes = "".join(f"w{i} AS ({_renamed(sql, f'w{i}_')}), " for i, sql in enumerate(writes))
    return text(_RECORD.format(writes=ctes)).bindparams(bindparam("result", type_=JSONB))


@dataclass(frozen=True)
class HistoryLine:
    """One line of a work order's history, attributed to the command's user."""

    work_order_id: int
    event: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Event:
    """A domain event for the outbox; `type` is its routing key on `mantenimiento.eventos`."""

    type: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Write:
    """An INSERT, UPDATE or DELETE whose outcome the handler does not need to read: it runs in
    the command's last statement, with the result, saving its own round trip."""

    sql: str
    params: dict[str, Any]


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
    history: Sequence[HistoryLine] = (),
    events: Sequence[Event] = (),
    writes: Sequence[Write] = (),
) -> bool:
    """Store the reply with the command's writes, history and events; False when another
    delivery of the same command finished it (the caller must then roll back)."""
    write_params = {
        f"w{i}_{name}": value
        for i, write in enumerate(writes)
        for name, value in write.params.items()
    }
    row = (
        await session.execute(
            _record_statement(tuple(write.sql for write in writes)),
            {
                **write_params,
                "id": command_id,
                "user_id": actor.user_id,
                "kind": kind,
                "request_hash": request_hash,
                "status": reply.status.value,
                "http_status": reply.http_status,
                "result": reply.body,
                "history_orders": [line.work_order_id for line in history],
                "history_events": [line.event for line in history],
                "history_data": [orjson.dumps(line.data).decode() for line in history],
                "event_types": [event.type for event in events],
                "event_data": [orjson.dumps(event.data).decode() for event in events],
            },
        )
    ).first()
    return row is not None
