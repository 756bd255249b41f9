"""What external systems publish (notices, readings): the consumers' common part.

Whatever a system sent wrong is set aside as a confirmed copy, with the reason in header
`x-error`, published to the dead-letter exchange under the name of the queue it came from (the
broker's own dead-lettering cannot add a header); the consumer acks the original afterwards.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from typing import ClassVar

import aio_pika
from aio_pika.abc import AbstractExchange, AbstractIncomingMessage
from pydantic_core import ErrorDetails
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.settings import Settings
from workers.metrics import DEAD_LETTERED


def problems(errors: Iterable[ErrorDetails]) -> str:
    """Validation errors as one line for `x-error`: each field at fault and why."""
    return "; ".join(f"{'.'.join(map(str, err['loc'])) or 'body'}: {err['msg']}" for err in errors)


class InboundConsumer(ABC):
    """A consumer group of an inbound exchange; `handle` takes one message."""

    group: ClassVar[str]

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        transactions: asyncio.Semaphore,
        settings: Settings,
        dead_letters: AbstractExchange,
        source_queue: str,
        events_committed: Callable[[], None],
        failed: Callable[[AbstractIncomingMessage], Awaitable[None]],
    ) -> None:
        self._sessionmaker = sessionmaker
        # The worker's turns for transactions (one per pool connection it may use).
        self._transactions = transactions
        self._settings = settings
        self._dead_letters = dead_letters
        # The dead-letter exchange routes by the name of the queue a message failed in.
        self._source_queue = source_queue
        # Called after a commit that wrote outbox events (the relay wakes up for them).
        self._events_committed = events_committed
        # A failure no retry of the message itself can tell apart from a bug: the command
        # path's policy (requeue, then set aside at the delivery limit).
        self._failed = failed

    @abstractmethod
    async def handle(self, message: AbstractIncomingMessage) -> None: ...

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A transaction, once the worker gives this consumer a turn: a message waits for it
        without holding a connection."""
        async with self._transactions, self._sessionmaker() as session, session.begin():
            yield session

    async def set_aside(
        self, message: AbstractIncomingMessage, reason: str, body: bytes | None = None
    ) -> None:
        """Publish a copy of `message` (its properties, and `body` instead of its own when
        given: one invalid part of a larger message) with `x-error: reason`."""
        await self._dead_letters.publish(
            aio_pika.Message(
                message.body if body is None else body,
                headers={**(message.headers or {}), "x-error": reason},
                content_type=message.content_type,
                content_encoding=message.content_encoding,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                priority=message.priority,
                correlation_id=message.correlation_id,
                reply_to=message.reply_to,
                message_id=message.message_id,
                timestamp=message.timestamp,
                type=message.type,
                app_id=message.app_id,
            ),
            routing_key=self._source_queue,
            timeout=self._settings.publish_timeout_s,
        )
        DEAD_LETTERED.labels(self.group).inc()
