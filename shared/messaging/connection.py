"""One robust broker connection per process, opened in the background so that a process started
while RabbitMQ is down comes up anyway and connects when the broker returns; with several nodes
in AMQP_URL, to whichever node answers (see `ClusterConnection`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import aio_pika
from aio_pika.abc import AbstractRobustConnection

from shared.messaging.nodes import ClusterConnection
from shared.settings import Settings

log = logging.getLogger(__name__)

RECONNECT_INTERVAL_S = 1.0
CLOSE_TIMEOUT_S = 5.0

OnConnect = Callable[[AbstractRobustConnection], Awaitable[None]]


class Broker:
    """Owns the connection; `on_connect` callbacks run once, after the first connect.

    Channels, queues and consumers made on the robust connection are restored by aio-pika on
    every later reconnect, so the callbacks need not run again.
    """

    def __init__(self, settings: Settings, on_connect: list[OnConnect]) -> None:
        self._settings = settings
        self._on_connect = on_connect
        self._connection: AbstractRobustConnection | None = None
        # False from a connection loss until aio-pika has restored channels, queues and
        # consumers: the connection alone comes back before them.
        self._restored = False
        self._task: asyncio.Task[None] | None = None
        self.started = asyncio.Event()
        # Set when setting up after connecting failed (e.g. a queue declared elsewhere with
        # other arguments): retrying cannot help, so the process should say so and stop.
        self.failed = asyncio.Event()

    @property
    def ready(self) -> bool:
        return (
            self.started.is_set()
            and self._restored
            and self._connection is not None
            and self._connection.connected.is_set()
        )

    def start(self) -> None:
        self._task = asyncio.create_task(self._connect_until_up(), name="broker-connect")

    async def _first_connection(self) -> ClusterConnection:
        delay = 0.2
        nodes = self._settings.amqp_urls
        first = 0
        while True:
            connection = ClusterConnection(
                nodes[first:] + nodes[:first], reconnect_interval=RECONNECT_INTERVAL_S
            )
            # The next try starts at the next node: one that is down is not retried first.
            first = (first + 1) % len(nodes)
            try:
                await connection.connect(timeout=self._settings.publish_timeout_s)
                return connection
            except (TimeoutError, OSError, aio_pika.exceptions.AMQPError) as exc:
                log.warning("broker unreachable (%s); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _connect_until_up(self) -> None:
        self._connection = connection = await self._first_connection()
        try:
            for callback in self._on_connect:
                await callback(connection)
        except Exception:
            log.critical("broker set-up failed", exc_info=True)
            self.failed.set()
            return
        connection.close_callbacks.add(self._lost)
        connection.reconnect_callbacks.add(self._restore_done)
        self._restored = True
        self.started.set()
        log.info("broker connected")

    def _lost(self, *_: object) -> None:
        self._restored = False

    def _restore_done(self, *_: object) -> None:
        self._restored = True

    async def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._connection is not None:
            try:
                # Bounded: closing in the middle of a reconnect can wait for the broker.
                async with asyncio.timeout(CLOSE_TIMEOUT_S):
                    await self._connection.close()
            except TimeoutError:
                log.warning("broker connection did not close in %ss", CLOSE_TIMEOUT_S)
