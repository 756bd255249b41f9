"""The one shape of every message the service publishes: persistent JSON with ids."""

from __future__ import annotations

from typing import Any

import aio_pika


def json_message(
    body: bytes,
    *,
    message_id: str,
    type: str | None = None,
    correlation_id: str | None = None,
    reply_to: str | None = None,
    headers: dict[str, Any] | None = None,
    persistent: bool = True,
) -> aio_pika.Message:
    return aio_pika.Message(
        body,
        message_id=message_id,
        type=type,
        correlation_id=correlation_id,
        reply_to=reply_to,
        headers=headers or {},
        content_type="application/json",
        delivery_mode=(
            aio_pika.DeliveryMode.PERSISTENT if persistent else aio_pika.DeliveryMode.NOT_PERSISTENT
        ),
    )
