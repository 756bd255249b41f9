"""The `notificaciones` consumer: each domain event from `mantenimiento.eventos` becomes the
notifications of its recipients, in one transaction of one statement (see `workers.fanout`).

The event id (the outbox id, also the message id) is part of each notification's unique key, so
a redelivered event changes nothing. An event of a known type whose data fails validation is
poison (dead-lettered); a type this code does not know, or one nobody is notified of, is acked.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.messages.event_message import decode
from workers.dispatcher import PoisonMessage
from workers.fanout import fanout

log = logging.getLogger(__name__)


class Notifier:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        tz: ZoneInfo,
        signal_committed: Callable[[], None],
    ) -> None:
        self._sessionmaker = sessionmaker
        self._tz = tz
        # Wakes the outbox relay for the `notificacion.creadas` event just committed.
        self._signal_committed = signal_committed

    async def notify(self, body: bytes) -> None:
        """Fan one event out; raises PoisonMessage when it can never be handled."""
        try:
            message, event = decode(body)
        except ValidationError as exc:
            raise PoisonMessage(f"invalid event: {exc}") from exc
        plan = fanout(event, self._tz) if event is not None else None
        if plan is None:
            log.debug("event %s (%s) notifies nobody", message.id, message.type)
            return
        async with self._sessionmaker() as session, session.begin():
            created = await plan.run(session, message.id)
        if created:
            self._signal_committed()
