"""Publishing to an inbound exchange as an external system does: persistent JSON, confirmed by
the broker, the exchange looked up passively (a publisher's broker user may declare nothing)."""

from __future__ import annotations

import uuid

import aio_pika

from shared.messaging.topology import Names
from shared.settings import Settings


async def publish_inbound(
    settings: Settings,
    exchange: str,
    routing_key: str,
    body: bytes,
    *,
    message_id: str | None = None,
) -> None:
    """Publish `body` (any bytes: the consumer judges them) to `<AMQP_NAMESPACE>.<exchange>` and
    wait for the broker's confirm."""
    connection = await aio_pika.connect(settings.amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        found = await channel.get_exchange(Names(settings.amqp_namespace)(exchange))
        await found.publish(
            aio_pika.Message(
                body,
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                message_id=message_id or uuid.uuid4().hex,
            ),
            routing_key,
            timeout=settings.publish_timeout_s,
        )
    finally:
        await connection.close()
