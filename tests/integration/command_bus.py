"""Talking to the workers the way any publisher on the broker could: a command message with
headers of our choosing, its reply read from a queue of our own; and a fingerprint of the whole
database, to prove that something changed nothing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aio_pika
import orjson
from aio_pika.abc import AbstractExchange, AbstractQueue
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.messages import Reply
from shared.messaging.topology import COMMANDS, declare_topology
from shared.settings import Settings

REPLY_TIMEOUT_S = 30


@dataclass
class CommandBus:
    exchange: AbstractExchange
    replies: AbstractQueue

    async def send(
        self,
        routing_key: str,
        body: dict[str, Any],
        *,
        user_id: int | None,
        role: str,
        command_id: uuid.UUID | None = None,
    ) -> Reply:
        """Publish one command (`command_id` again: a redelivery) and wait for its reply."""
        message_id = str(command_id or uuid.uuid4())
        correlation_id = uuid.uuid4().hex
        headers = {"x-user-role": role}
        if user_id is not None:
            headers["x-user-id"] = str(user_id)
        await self.exchange.publish(
            aio_pika.Message(
                orjson.dumps(body),
                message_id=message_id,
                type=routing_key,
                correlation_id=correlation_id,
                reply_to=self.replies.name,
                headers=headers,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key,
        )
        async with self.replies.iterator(timeout=REPLY_TIMEOUT_S) as messages:
            async for incoming in messages:
                await incoming.ack()
                if incoming.correlation_id == correlation_id:
                    return Reply.model_validate_json(incoming.body)
        raise AssertionError(f"no reply to {routing_key}")


@asynccontextmanager
async def command_bus(settings: Settings) -> AsyncIterator[CommandBus]:
    connection = await aio_pika.connect(settings.amqp_url)
    try:
        channel = await connection.channel()
        topology = await declare_topology(channel, settings)
        replies = await channel.declare_queue(exclusive=True)
        yield CommandBus(topology.exchanges[COMMANDS], replies)
    finally:
        await connection.close()


# What other work does meanwhile is left out: the relay marking events sent, and the
# notifications (with their own small events) that the fan-out makes of events after the fact.
_ASYNCHRONOUS = {
    "outbox": "SELECT id, type, data, xact_id, created_at FROM outbox"
    " WHERE type <> 'notificacion.creadas' OR id <= {watermark}",
    "notifications": "SELECT * FROM notifications WHERE id <= {watermark}",
}


async def fingerprint(db: AsyncEngine, watermarks: dict[str, int]) -> dict[str, str]:
    """An md5 of every table's rows (in a canonical order)."""
    async with db.connect() as conn:
        tables = (
            await conn.execute(
                text(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema ="
                    " 'public' AND table_type = 'BASE TABLE' AND table_name <> 'alembic_version'"
                )
            )
        ).scalars()
        result = {}
        for table in sorted(tables):
            rows = _ASYNCHRONOUS.get(table, f'SELECT * FROM "{table}"').format(
                watermark=watermarks.get(table, 0)
            )
            digest = (
                "SELECT md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), ''))"
                f" FROM ({rows}) r"
            )
            result[table] = (await conn.execute(text(digest))).scalar_one()
        return result


async def watermarks(db: AsyncEngine) -> dict[str, int]:
    """The newest ids of the tables that other work keeps writing to."""
    async with db.connect() as conn:
        return {
            table: (
                await conn.execute(text(f"SELECT coalesce(max(id), 0) FROM {table}"))
            ).scalar_one()
            for table in _ASYNCHRONOUS
        }
