"""The body of a message on `mantenimiento.eventos`, as the outbox relay publishes it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from shared.messages.events import DomainEvent, parse


class EventMessage(BaseModel):
    id: int  # the outbox id, also the message id
    type: str
    at: datetime
    data: dict[str, Any]


def decode(body: bytes) -> tuple[EventMessage, DomainEvent | None]:
    """The message and its validated event (None for a type this code does not know); raises
    pydantic's ValidationError when either is malformed."""
    message = EventMessage.model_validate_json(body)
    return message, parse(message.type, message.data)
