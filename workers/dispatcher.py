"""Command → handler, in one transaction with the command log and the outbox.

Policy: success and domain errors are both final answers (stored, acked, replied); a repeated
command id answers its stored result and changes nothing; anything unexpected propagates to the
consumer, which retries it a bounded number of times and then dead-letters it.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.enums import CommandStatus
from shared.errors import Conflict, DomainError, invalid_input
from shared.messages import COMMANDS, Actor, Command, PlanningCommand, Reply
from shared.settings import Settings
from workers import command_log
from workers.uow import UnitOfWork

Handler = Callable[[Any, UnitOfWork], Awaitable[dict[str, Any]]]


class PoisonMessage(Exception):
    """A message no retry can help (unknown command, missing headers): dead-letter it."""


class _AlreadyDone(Exception):
    """Another delivery of the same command has finished it."""


def error_reply(error: DomainError) -> Reply:
    return Reply(status=CommandStatus.ERROR, http_status=error.http_status, body=error.body())


class Dispatcher:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        handlers: dict[type[Command], Handler],
        events_committed: Callable[[], None] = lambda: None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._settings = settings
        self._handlers = handlers
        # Called after a commit that wrote outbox events (the relay wakes up for them).
        self._events_committed = events_committed

    async def dispatch(
        self,
        routing_key: str,
        body: bytes,
        command_id: uuid.UUID,
        actor: Actor,
        request_hash: str | None,
    ) -> Reply:
        command_type = COMMANDS.get(routing_key)
        handler = self._handlers.get(command_type) if command_type else None
        if command_type is None or handler is None:
            raise PoisonMessage(f"no handler for command {routing_key!r}")
        try:
            command: Command | None = command_type.model_validate_json(
                body, context={"tz": self._settings.tz}
            )
        except ValidationError as exc:
            command, invalid = None, invalid_input(exc, "body")
        try:
            if command is None:
                raise invalid
            return await self._run(handler, command, command_id, actor, routing_key, request_hash)
        except DomainError as error:
            # The work was rolled back with its transaction; the refusal is stored on its own.
            return await self._refuse(command_id, actor, routing_key, request_hash, error)
        except _AlreadyDone:
            return await self._replay(command_id, request_hash)

    async def _run(
        self,
        handler: Handler,
        command: Command,
        command_id: uuid.UUID,
        actor: Actor,
        kind: str,
        request_hash: str | None,
    ) -> Reply:
        # The command log is written last: a repeated command is found there by its primary key,
        # and its repeated work rolls back. First deliveries, the common case, pay no lookup.
        async with self._sessionmaker() as session, session.begin():
            uow = UnitOfWork(session, actor, self._settings)
            if isinstance(command, PlanningCommand) and command.dry_run:
                # The real work, undone: a dry run answers exactly what a real run would.
                savepoint = await session.begin_nested()
                body = {**await handler(command, uow), "dry_run": True}
                await savepoint.rollback()
                uow = UnitOfWork(session, actor, self._settings)
            else:
                body = await handler(command, uow)
            reply = Reply(status=CommandStatus.SUCCESS, http_status=200, body=body)
            recorded = await command_log.record(
                session,
                command_id,
                actor,
                kind,
                request_hash,
                reply,
                uow.history,
                uow.events,
                uow.writes,
            )
            if not recorded:
                raise _AlreadyDone
        if uow.events:
            self._events_committed()
        return reply

    async def _refuse(
        self,
        command_id: uuid.UUID,
        actor: Actor,
        kind: str,
        request_hash: str | None,
        error: DomainError,
    ) -> Reply:
        reply = error_reply(error)
        async with self._sessionmaker() as session, session.begin():
            if await command_log.record(session, command_id, actor, kind, request_hash, reply):
                return reply
        return await self._replay(command_id, request_hash)

    async def _replay(self, command_id: uuid.UUID, request_hash: str | None) -> Reply:
        """The stored answer of a command that another delivery finished."""
        async with self._sessionmaker() as session, session.begin():
            finished = await command_log.find_finished(session, command_id)
        if finished is None:
            raise RuntimeError(f"command {command_id} is neither new nor finished")
        return _replay(finished, request_hash)


def _replay(finished: command_log.Finished, request_hash: str | None) -> Reply:
    if finished.request_hash != request_hash:
        return error_reply(Conflict("Idempotency-Key was already used with another request"))
    return finished.reply
