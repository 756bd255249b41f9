"""The command log: the stored result of every command id, so a repeat changes nothing.

A command's result, its history lines, its outbox events and the writes its handler left for the
end (`UnitOfWork.write_at_end`) are written by one statement at the end of its transaction: one
round trip, whatever the command produced.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import TextClause, TextualSelect, bindparam, column, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import NullType

from shared.enums import CommandStatus
from shared.messages import Actor, Reply
from shared.messages.base import NOT_FINAL_HTTP_STATUS, is_final
from workers import outbox

_FIND = text("SELECT status, request_hash, http_status, result FROM command_log WHERE id = :id")
# The first statement of every command: its stored answer, if any, and the statement limit of
# the rest of its transaction (bulk work gets a longer one), in one round trip.
_LOOK_UP = text(
    "SELECT set_config('statement_timeout', :statement_timeout, true) AS statement_timeout,"
    " c.status, c.request_hash, c.http_status, c.result"
    " FROM (SELECT 1) AS one LEFT JOIN command_log c ON c.id = :id"
)
# A row that is not final — `pending` (written by a gateway whose caller got 202), or a 503
# (nothing was applied) — takes the new answer; a final row is left alone and the statement
# returns nothing: another delivery of the command finished it.
_UNLESS_FINAL = f"""
    ON CONFLICT (id) DO UPDATE
        SET status = EXCLUDED.status, http_status = EXCLUDED.http_status,
            result = EXCLUDED.result, finished_at = EXCLUDED.finished_at
        WHERE command_log.status = 'pending' OR command_log.http_status = {NOT_FINAL_HTTP_STATUS}
    RETURNING id
"""
# The command's history lines and outbox events, as data-modifying CTEs of the record statement:
# they run either way; when nothing is returned the caller rolls them back.
_HISTORY = (
    text(
        """
        INSERT INTO work_order_events (work_order_id, user_id, event, data)
        SELECT line.order_id, :user_id, line.event, line.data
          FROM unnest(CAST(:history_orders AS integer[]), CAST(:history_events AS text[]),
                      CAST(:history_data AS jsonb[]))
               WITH ORDINALITY AS line(order_id, event, data, position)
         ORDER BY line.position
        """
    )
    .columns()
    .cte("history")
)
_EVENTS = (
    text(
        """
        INSERT INTO outbox (type, data, trace_context)
        SELECT event.type, event.data, CAST(:trace_context AS jsonb)
          FROM unnest(CAST(:event_types AS text[]), CAST(:event_data AS jsonb[]))
               WITH ORDINALITY AS event(type, data, position)
         ORDER BY event.position
        """
    )
    .columns()
    .cte("events")
)
_RECORD = (
    text(
        """
    INSERT INTO command_log (id, user_id, kind, request_hash, status, http_status, result,
                             finished_at)
    VALUES (:id, :user_id, :kind, :request_hash, :status, :http_status, :result, now())
"""
        + _UNLESS_FINAL
    )
    .bindparams(bindparam("result", type_=JSONB))
    .columns(column("id"))
)
# The answer of a command set aside after failing every delivery, so that its caller (polling
# after a 202, or retrying its Idempotency-Key) learns it. Its sender may not exist (a forged
# header is one way to fail every time): then the row has no user.
_SET_ASIDE = text(
    """
    INSERT INTO command_log (id, user_id, kind, request_hash, status, http_status, result,
                             finished_at)
    SELECT :id, (SELECT id FROM users WHERE id = :user_id), :kind, :request_hash, :status,
           :http_status, :result, now()
"""
    + _UNLESS_FINAL
).bindparams(bindparam("result", type_=JSONB))


@functools.lru_cache(maxsize=256)
def _parsed(sql: str) -> TextClause:
    # Parsing a statement's text for its parameters costs more than running a short one.
    return text(sql)


def _record_statement(writes: Sequence[Write]) -> TextualSelect:
    """The record statement, each write a data-modifying CTE before the history and events. A
    write's parameters are bound with its values under names of their own (SQLAlchemy numbers
    them), so that two writes, or a write and the record, may use the same names."""
    ctes = [
        _parsed(write.sql)
        .bindparams(
            *(
                # No type: the server infers it from where the parameter stands, as for
                # any text statement.
                bindparam(name, value, type_=NullType(), unique=True)
                for name, value in write.params.items()
            )
        )
        .columns()
        .cte(f"w{index}")
        for index, write in enumerate(writes)
    ]
    return _RECORD.add_cte(*ctes, _HISTORY, _EVENTS)


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


def _finished(row: Any) -> Finished | None:
    if row is None or row.status in (None, CommandStatus.PENDING) or not is_final(row.http_status):
        return None
    reply = Reply(status=row.status, http_status=row.http_status, body=row.result)
    return Finished(reply, row.request_hash)


async def find_finished(session: AsyncSession, command_id: uuid.UUID) -> Finished | None:
    """The final answer stored for a command, or None."""
    return _finished((await session.execute(_FIND, {"id": command_id})).first())


async def look_up(
    session: AsyncSession, command_id: uuid.UUID, statement_timeout_ms: int
) -> Finished | None:
    """At the start of a command's transaction: its final answer if it has one (then it must
    not run again), and `statement_timeout` set for the rest of the transaction."""
    row = (
        await session.execute(
            _LOOK_UP, {"id": command_id, "statement_timeout": f"{statement_timeout_ms}ms"}
        )
    ).first()
    return _finished(row)


async def set_aside(
    session: AsyncSession,
    command_id: uuid.UUID,
    actor: Actor,
    kind: str,
    request_hash: str | None,
    reply: Reply,
) -> None:
    """Store `reply` as the answer of a command that failed every delivery (a final row stays)."""
    await session.execute(
        _SET_ASIDE,
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
    row = (
        await session.execute(
            _record_statement(writes),
            {
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
                "trace_context": outbox.trace_context(),
            },
        )
    ).first()
    return row is not None
