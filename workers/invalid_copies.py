"""Setting aside what an external system sent wrong: a confirmed copy, with the reason in header
`x-error`, published to the dead-letter exchange under the name of the queue it came from (the
broker's own dead-lettering cannot add a header). The caller acks the original afterwards."""

from __future__ import annotations

import aio_pika
from aio_pika.abc import AbstractExchange, AbstractIncomingMessage
from pydantic import ValidationError


def problems(exc: ValidationError) -> str:
    """A validation error as one line for `x-error`: each field at fault and why."""
    return "; ".join(
        f"{'.'.join(map(str, err['loc'])) or 'body'}: {err['msg']}"
        for err in exc.errors(include_url=False)
    )


async def copy_invalid(
    dead_letters: AbstractExchange,
    source_queue: str,
    message: AbstractIncomingMessage,
    reason: str,
    timeout: float,
    body: bytes | None = None,
) -> None:
    """Publish a copy of `message` (its properties, and `body` instead of its own when given:
    one invalid part of a larger message) with `x-error: reason`."""
    await dead_letters.publish(
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
        routing_key=source_queue,
        timeout=timeout,
    )
