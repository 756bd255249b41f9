"""Command → handler, in one transaction with the command log and the outbox.

Policy:
- the sender's role must be one the command class declares (`Command.roles`), whatever the
  gateway checked: anyone able to publish could set the headers;
- a command id with a final answer in the command log answers it again without running anything
  (looked up first; the command log's primary key, written last, still guards two deliveries
  racing);
- success and domain errors are final answers (stored, acked, replied);
- a lock not granted or a statement cut by its limit answers 503 with `Retry-After`: nothing is
  applied, and the answer is stored as not final, so the same command may run again;
- anything else propagates to the consumer, which retries it a bounded number of times and then
  sets it aside (dead letter, and a 500 in the command log).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared import tracing
from shared.db.errors import statement_limit_hit
from shared.enums import CommandStatus
from shared.errors import Conflict, DomainError, Forbidden, Unavailable, invalid_input
from shared.messages import COMMANDS, Actor, Command, PlanningCommand, Reply
from shared.settings import Settings
from workers import command_log
from workers.uow import UnitOfWork

log = logging.getLogger(__name__)

Handler = Callable[[Any, UnitOfWork], Awaitable[dict[str, Any]]]
DATABASE_BUSY = "the database is busy (a lock or time limit was reached); nothing was changed"


class PoisonMessage(Exception):
    """A message no retry can help (unknown command, missing headers): dead-letter it."""


class _AlreadyDone(Exception):
    """Another delivery of the same command has finished it."""


def error_reply(error: DomainError) -> Reply:
    return Reply(
        status=CommandStatus.ERROR,
        http_status=error.http_status,
        body=error.body(),
        retry_after=error.retry_after,
    )


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
        self._tracer = tracing.tracer(__name__)

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
            if not command_type.allows(actor.role):
                raise Forbidden(f"role {actor.role} may not do this")
            try:
                command = command_type.model_validate_json(body, context={"tz": self._settings.tz})
            except ValidationError as exc:
                raise invalid_input(exc, "body") from None
            # The handler's span holds its transaction's statements; its outbox events keep it.
            with tracing.span(self._tracer, handler.__name__):
                return await self._run(
                    handler, command, command_id, actor, routing_key, request_hash
                )
        except DomainError as error:
            # The work was rolled back with its transaction; the refusal is stored on its own.
            return await self._refuse(command_id, actor, routing_key, request_hash, error)
        except _AlreadyDone:
            return await self._replay(command_id, request_hash)
        except Exception as exc:
            if not statement_limit_hit(exc):
                raise
            log.warning("command %s (%s) hit a database limit: %r", command_id, routing_key, exc)
            busy = Unavailable(DATABASE_BUSY)
            return await self._refuse(command_id, actor, routing_key, request_hash, busy)

    async def set_aside(
        self, command_id: uuid.UUID, actor: Actor, kind: str, request_hash: str | None, reply: Reply
    ) -> None:
        """Store the answer of a command given up on (it failed every delivery)."""
        async with self._sessionmaker() as session, session.begin():
            await command_log.set_aside(session, command_id, actor, kind, request_hash, reply)

    def _statement_timeout_ms(self, command: Command) -> int:
        settings = self._settings
        limit = settings.db_long_statement_timeout_s if command.long_running else None
        return round(1000 * (limit or settings.db_statement_timeout_s))

    async def _run(
        self,
        handler: Handler,
        command: Command,
        command_id: uuid.UUID,
        actor: Actor,
        kind: str,
        request_hash: str | None,
    ) -> Reply:
        async with self._sessionmaker() as session, session.begin():
            done = await command_log.look_up(
                session, command_id, self._statement_timeout_ms(command)
            )
            if done is not None:
                return _replay(done, request_hash)
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
                # Another delivery finished it while this one ran: its work rolls back.
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
