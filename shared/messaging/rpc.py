"""The gateway's side of command RPC: publish a command, wait for its reply up to a timeout.

Replies arrive on one named, exclusive queue per gateway process (redeclared under the same name
after a reconnect). A reply that arrives after its caller gave up is dropped quietly: the result
is in the command log either way.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

import aiormq
from aio_pika.abc import AbstractExchange, AbstractIncomingMessage, AbstractRobustConnection

from shared import tracing
from shared.errors import Unavailable
from shared.messages import Reply
from shared.messaging.connection import Broker
from shared.messaging.publishing import json_message
from shared.messaging.topology import COMMANDS, Names, declare_topology
from shared.messaging.tracing import publishing
from shared.settings import Settings

log = logging.getLogger(__name__)

BROKER_DOWN = "the message broker is unavailable; try again shortly"


class RpcClient:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._futures: dict[str, asyncio.Future[Reply]] = {}
        self._exchange: AbstractExchange | None = None
        self.reply_queue = Names(settings.amqp_namespace)(f"respuestas.{uuid.uuid4().hex}")
        self.broker = Broker(settings, [self._setup])
        self._tracer = tracing.tracer(__name__)

    async def _setup(self, connection: AbstractRobustConnection) -> None:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        topology = await declare_topology(channel, self._settings)
        self._exchange = topology.exchanges[COMMANDS]
        queue = await channel.declare_queue(self.reply_queue, exclusive=True, auto_delete=True)
        await queue.consume(self._on_reply, no_ack=True)

    async def _on_reply(self, message: AbstractIncomingMessage) -> None:
        future = self._futures.pop(message.correlation_id or "", None)
        if future is None or future.done():
            log.debug("late reply for %s dropped", message.correlation_id)
            return
        future.set_result(Reply.model_validate_json(message.body))

    async def call(
        self, routing_key: str, body: bytes, *, command_id: str, headers: dict[str, str]
    ) -> Reply | None:
        """Send a command; its reply, or None when none came within `COMMAND_TIMEOUT_S`.
        `headers` also get the trace context, when tracing is on."""
        if not self.broker.ready or self._exchange is None:
            raise Unavailable(BROKER_DOWN)
        # One correlation id per call: two calls may carry the same command id (a repeated
        # Idempotency-Key) and each must get its own reply.
        correlation_id = uuid.uuid4().hex
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._futures[correlation_id] = future
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._settings.command_timeout_s
        try:
            try:
                with publishing(
                    self._tracer, self._exchange.name, routing_key, command_id, headers
                ):
                    message = json_message(
                        body,
                        message_id=command_id,
                        type=routing_key,
                        correlation_id=correlation_id,
                        reply_to=self.reply_queue,
                        headers=headers,
                    )
                    await self._exchange.publish(
                        message,
                        routing_key,
                        mandatory=True,
                        timeout=self._settings.publish_timeout_s,
                    )
            except (
                aiormq.exceptions.AMQPError,
                aiormq.exceptions.ChannelInvalidStateError,
                ConnectionError,
                TimeoutError,
            ) as exc:
                log.warning("command %s not published: %r", command_id, exc)
                raise Unavailable(BROKER_DOWN) from exc
            async with asyncio.timeout_at(deadline):
                return await future
        except TimeoutError:
            return None
        finally:
            self._futures.pop(correlation_id, None)
