"""Command → handler, in one transaction with the command log and the outbox.

Policy: success and domain errors are both final answers (stored, acked, replied); a repeated
command id answers its stored result; anything unexpected propagates to the consumer, which
retries it a bounded number of times and then dead-letters it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.enums import CommandStatus
from shared.errors import Conflict, DomainError, Invalid
from shared.messages import COMMANDS, Actor, Command, Reply
from shared.settings import Settings
from workers import command_log, outbox
from workers.uow import UnitOfWork

log = logging.getLogger(__name__)

Handler = Callable[[Any, UnitOfWork], Awaitable[dict[str, Any]]]


class PoisonMessage(Exception):
    """A message no retry can help (unknown command, missing headers): dead-letter it."""


class _LostRace(Exception):
    """Another delivery of the same command committed first."""


def error_reply(error: DomainError) -> Reply:
    return Reply(status=CommandStatus.ERROR, http_status=error.http_status, body=error.body())


def validation_error(exc: ValidationError) -> Invalid:
    errors = [
        {"loc": ["body", *err["loc"]], "msg": err["msg"]}
        for err in exc.errors(include_url=False, include_context=False)
    ]
    return Invalid("invalid command", errors)


class Dispatcher:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        handlers: dict[type[Command], Handler],
    ) -> None:
        self._sessionmaker = sessionmaker
        self._settings = settings
        self._handlers = handlers

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
            command, invalid = None, validation_error(exc)
        for _ in range(2):
            try:
                if command is None:
                    return await self._store_error(
                        command_id, actor, routing_key, request_hash, invalid
                    )
                return await self._run(
                    handler, command, command_id, actor, routing_key, request_hash
                )
            except _LostRace:
                continue
        raise RuntimeError(f"command {command_id} raced twice")

    async def _run(
        self,
        handler: Handler,
        command: Command,
        command_id: uuid.UUID,
        actor: Actor,
        kind: str,
        request_hash: str | None,
    ) -> Reply:
        try:
            async with self._sessionmaker() as session, session.begin():
                finished = await command_log.find_finished(session, command_id)
                if finished is not None:
                    return _replay(finished, request_hash)
                uow = UnitOfWork(session, actor, self._settings.tz)
                body = await handler(command, uow)
                reply = Reply(status=CommandStatus.SUCCESS, http_status=200, body=body)
                await outbox.write(session, uow.events)
                if not await command_log.record(
                    session, command_id, actor, kind, request_hash, reply
                ):
                    raise _LostRace
                return reply
        except DomainError as error:
            # The work was rolled back with the transaction; store the refusal on its own.
            return await self._store_error(command_id, actor, kind, request_hash, error)

    async def _store_error(
        self,
        command_id: uuid.UUID,
        actor: Actor,
        kind: str,
        request_hash: str | None,
        error: DomainError,
    ) -> Reply:
        reply = error_reply(error)
        async with self._sessionmaker() as session, session.begin():
            finished = await command_log.find_finished(session, command_id)
            if finished is not None:
                return _replay(finished, request_hash)
            if not await command_log.record(session, command_id, actor, kind, request_hash, reply):
                raise _LostRace
        return reply


def _replay(finished: command_log.Finished, request_hash: str | None) -> Reply:
    if finished.request_hash != request_hash:
        return error_reply(Conflict("Idempotency-Key was already used with another request"))
    return finished.reply
