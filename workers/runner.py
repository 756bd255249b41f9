"""A worker process: consumes the chosen queue groups, answers commands and fans events out into
notifications.

Ack after commit, then reply. A domain error is an answer like any other. An unexpected error is
retried (the message goes back to the queue after a short pause) until the queue's delivery
limit dead-letters it; its last attempt tells the caller it failed.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog
from aio_pika.abc import (
    AbstractChannel,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from shared import tracing
from shared.db.engine import create_engine, create_sessionmaker, observe_pool
from shared.db.retry import while_unreachable
from shared.enums import CommandStatus
from shared.faults import crash_point
from shared.messages import Actor, Reply
from shared.messaging.connection import Broker
from shared.messaging.publishing import json_message
from shared.messaging.topology import DEAD_LETTERS, Topology, declare_topology, queue_specs
from shared.messaging.tracing import processing
from shared.settings import Settings
from workers import external_avisos, external_readings
from workers.dispatcher import Dispatcher, PoisonMessage
from workers.handlers import COMMAND_HANDLERS
from workers.inbound import InboundConsumer
from workers.metrics import COMMAND_SECONDS, COMMANDS_HANDLED, DEAD_LETTERED
from workers.notifier import Notifier
from workers.outbox import OutboxRelay

log = logging.getLogger(__name__)

COMMAND_GROUPS = ("ordenes", "generacion")
# Every group a worker can consume: the command groups and those with a consumer of their own.
WORKER_GROUPS = (
    *COMMAND_GROUPS,
    "notificaciones",
    external_avisos.GROUP,
    external_readings.GROUP,
)
STOP_STEP_TIMEOUT_S = 5.0
IN_FLIGHT_TIMEOUT_S = 30.0
MessageHandler = Callable[[AbstractIncomingMessage], Awaitable[None]]
INTERNAL_ERROR = Reply(
    status=CommandStatus.ERROR,
    http_status=500,
    body={
        "status": "error",
        "message": "the command failed; it was set aside for review",
        "errors": [],
    },
)


def validate_groups(groups: list[str]) -> list[str]:
    known = [group for group in queue_specs() if group in WORKER_GROUPS]
    unknown = [group for group in groups if group not in known]
    if unknown or not groups:
        raise ValueError(f"unknown queue group(s) {unknown}; choose from {known}")
    return groups


@dataclass(frozen=True)
class Envelope:
    """What a command message carries besides its body."""

    command_id: uuid.UUID
    actor: Actor
    request_hash: str | None
    request_id: str | None

    @classmethod
    def read(cls, message: AbstractIncomingMessage) -> Envelope:
        """Raises KeyError or ValueError (pydantic's included) when a part is missing or bad."""
        headers = message.headers
        actor = Actor.model_validate(
            {"user_id": headers.get("x-user-id"), "role": headers["x-user-role"]}
        )
        request_hash = headers.get("x-request-hash")
        request_id = headers.get("x-request-id")
        return cls(
            uuid.UUID(message.message_id or ""),
            actor,
            str(request_hash) if request_hash else None,
            str(request_id) if request_id else None,
        )


class Worker:
    def __init__(self, settings: Settings, groups: list[str]) -> None:
        self._settings = settings
        self._groups = validate_groups(groups)
        self._engine: AsyncEngine = create_engine(settings)
        observe_pool(self._engine)
        sessionmaker = self._sessionmaker = create_sessionmaker(self._engine)
        self.relay = OutboxRelay(sessionmaker, settings)
        self._dispatcher = Dispatcher(
            sessionmaker, settings, COMMAND_HANDLERS, events_committed=self.relay.poke
        )
        self._notifier = Notifier(sessionmaker, settings.tz, signal_committed=self.relay.poke)
        self.broker = Broker(settings, [self._setup, self.relay.setup])
        self._channel: AbstractChannel | None = None
        self._consumers: list[tuple[AbstractQueue, str]] = []
        # Consumer tag → consumer group, to say where a dead letter came from.
        self._group_of: dict[str, str] = {}
        # Each group's count starts at 0 on /metrics, so its first dead letter is an increase.
        for group in self._groups:
            DEAD_LETTERED.labels(group)
        self._in_flight: set[asyncio.Task[None]] = set()
        # Transactions at once: as many as the pool has connections for but one (the outbox
        # relay's). A message's handler waits here for its turn, instead of timing out on the
        # pool (which would look like an outage).
        self._transactions = asyncio.Semaphore(max(1, settings.db_pool_size - 1))
        self._relay_task: asyncio.Task[None] | None = None
        self._stopped = False
        self._tracer = tracing.tracer(__name__)

    @property
    def engine(self) -> AsyncEngine:
        """The engine of this worker's transactions."""
        return self._engine

    @property
    def busy(self) -> bool:
        """Whether a message is being handled right now."""
        return bool(self._in_flight)

    async def start(self) -> None:
        self.broker.start()
        self._relay_task = asyncio.create_task(self.relay.run(), name="outbox-relay")

    async def _setup(self, connection: AbstractRobustConnection) -> None:
        self._channel = await connection.channel(publisher_confirms=True)
        await self._channel.set_qos(prefetch_count=self._settings.worker_prefetch)
        topology = await declare_topology(self._channel, self._settings)
        for group in self._groups:
            queue = topology.queues[group]
            handle = self._handler_of(group, topology)
            tag = await queue.consume(functools.partial(self._on_message, queue.name, handle))
            self._consumers.append((queue, tag))
            self._group_of[tag] = group

    def _handler_of(self, group: str, topology: Topology) -> MessageHandler:
        if group == "notificaciones":
            return self._in_turn(self._notify)
        # What machines publish: each consumer sets its invalid messages aside itself.
        inbound: dict[str, type[InboundConsumer]] = {
            consumer.group: consumer
            for consumer in (
                external_avisos.ExternalAvisoConsumer,
                external_readings.ExternalReadingConsumer,
            )
        }
        if group in inbound:
            # It waits for its turn itself, for each transaction it opens (the readings one
            # stores many messages in one).
            return inbound[group](
                self._sessionmaker,
                self._transactions,
                self._settings,
                topology.exchanges[DEAD_LETTERS],
                topology.queues[group].name,
                self.relay.poke,
                self._retry_or_dead_letter,
            ).handle
        return self._in_turn(self._handle)

    def _in_turn(self, handle: MessageHandler) -> MessageHandler:
        """`handle` (one transaction per message) once a transaction may start."""

        async def in_turn(message: AbstractIncomingMessage) -> None:
            async with self._transactions:
                await handle(message)

        return in_turn

    async def _on_message(
        self, queue: str, handle: MessageHandler, message: AbstractIncomingMessage
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._in_flight.add(task)
        try:
            with processing(self._tracer, queue, message):
                await handle(message)
        finally:
            self._in_flight.discard(task)

    async def _notify(self, message: AbstractIncomingMessage) -> None:
        """A domain event: its notifications are committed, then it is acked."""
        try:
            await while_unreachable(
                lambda: self._notifier.notify(message.body), f"event {message.message_id}"
            )
        except PoisonMessage as exc:
            await self._dead_letter(message, str(exc))
            return
        except Exception:
            log.exception("event %s failed", message.message_id)
            await self._retry_or_dead_letter(message)
            return
        await message.ack()

    async def _handle(self, message: AbstractIncomingMessage) -> None:
        kind = message.type or message.routing_key or ""
        try:
            envelope = Envelope.read(message)
        except (KeyError, ValueError) as exc:
            await self._dead_letter(message, f"malformed: {exc!r}")
            return
        # On every line logged while the command is handled, by any logger.
        with structlog.contextvars.bound_contextvars(
            request_id=envelope.request_id,
            command_id=str(envelope.command_id),
            routing_key=kind,
            user_id=envelope.actor.user_id,
        ):
            await self._handle_command(message, envelope, kind)

    async def _handle_command(
        self, message: AbstractIncomingMessage, envelope: Envelope, kind: str
    ) -> None:
        started = time.perf_counter()
        try:
            # Held (not failed) while the database is unreachable: an outage never
            # dead-letters a command, and a repeat after a lost commit is found in the log.
            reply = await while_unreachable(
                lambda: self._dispatcher.dispatch(
                    kind, message.body, envelope.command_id, envelope.actor, envelope.request_hash
                ),
                f"command {envelope.command_id}",
            )
        except PoisonMessage as exc:
            await self._dead_letter(message, str(exc))
            return
        except Exception:
            log.exception("command failed", extra={"outcome": "failed"})
            COMMAND_SECONDS.labels(kind, "failed").observe(time.perf_counter() - started)
            await self._retry_or_dead_letter(
                message,
                set_aside=lambda: self._dispatcher.set_aside(
                    envelope.command_id, envelope.actor, kind, envelope.request_hash, INTERNAL_ERROR
                ),
            )
            return
        crash_point("command.after_commit")
        await message.ack()
        seconds = time.perf_counter() - started
        COMMAND_SECONDS.labels(kind, reply.status.value).observe(seconds)
        COMMANDS_HANDLED.labels(kind, str(reply.http_status)).inc()
        log.info(
            "command %s answered %s",
            kind,
            reply.http_status,
            extra={
                "outcome": reply.status.value,
                "http_status": reply.http_status,
                "duration_ms": round(seconds * 1000, 2),
            },
        )
        await self._reply(message, reply)

    async def _retry_or_dead_letter(
        self,
        message: AbstractIncomingMessage,
        set_aside: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """Requeue a failed message after a pause, or, at its last delivery, dead-letter it:
        `set_aside` first stores that outcome (best effort), and the caller is told."""
        deliveries = int(str(message.headers.get("x-delivery-count") or 0)) + 1
        if deliveries >= self._settings.delivery_limit:
            if set_aside is not None:
                try:
                    await set_aside()
                except Exception:  # the dead letter and the reply still tell the story
                    log.exception("outcome of message %s not stored", message.message_id)
            await self._dead_letter(message, f"failed {deliveries} deliveries")
            await self._reply(message, INTERNAL_ERROR)
            return
        # A pause before requeueing lets a passing failure (a deadlock, a restart) end.
        await asyncio.sleep(min(0.25 * 2**deliveries, 5.0))
        await message.nack(requeue=True)

    async def _dead_letter(self, message: AbstractIncomingMessage, why: str) -> None:
        """Reject for good: the broker moves it to the group's `.invalidos` queue."""
        group = self._group_of.get(message.consumer_tag or "", "unknown")
        log.error("dead-lettering message %s from %s: %s", message.message_id, group, why)
        DEAD_LETTERED.labels(group).inc()
        await message.reject(requeue=False)

    async def _reply(self, message: AbstractIncomingMessage, reply: Reply) -> None:
        if not message.reply_to or self._channel is None:
            return
        await self._channel.default_exchange.publish(
            json_message(
                reply.model_dump_json().encode(),
                message_id=uuid.uuid4().hex,
                correlation_id=message.correlation_id,
                persistent=False,
            ),
            routing_key=message.reply_to,
            mandatory=False,
            timeout=self._settings.publish_timeout_s,
        )

    async def stop(self) -> None:
        """Stop taking messages, finish the ones in hand, then close (once)."""
        if self._stopped:
            return
        self._stopped = True
        for queue, tag in self._consumers:
            try:
                # Bounded: during a broker outage the channel would wait for a reconnect.
                async with asyncio.timeout(STOP_STEP_TIMEOUT_S):
                    await queue.cancel(tag)
            except Exception:  # the channel may already be gone; nothing left to cancel
                log.debug("cancel of %s failed", tag, exc_info=True)
        self._consumers.clear()
        if self._in_flight:
            await asyncio.wait(self._in_flight, timeout=IN_FLIGHT_TIMEOUT_S)
        if self._relay_task is not None:
            self._relay_task.cancel()
            await asyncio.gather(self._relay_task, return_exceptions=True)
        await self.broker.close()
        await self._engine.dispose()
