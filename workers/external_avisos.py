"""The `avisos` consumer group: notices published by external systems (SCADA, sensors…) to
`<ns>.avisos` with routing key `aviso.externo`.

A valid message becomes one notice per `(source, external_id)` however often it is delivered,
and planners are told (an `aviso.creado` event, only when the notice is new). A message no retry
can fix (not JSON, wrong schema, unknown asset code) is copied to `<ns>.avisos.invalidos` with
the reason in header `x-error` (`workers.inbound`) and acked; nothing else changes. While
the database is unreachable the message is held and retried, never dead-lettered; any other
failure is retried and set aside like a failing command.
"""

from __future__ import annotations

import logging

from aio_pika.abc import AbstractIncomingMessage
from prometheus_client import Counter
from pydantic import ValidationError

from shared.db.retry import while_unreachable
from shared.messages import events
from shared.messages.avisos import ExternalAviso
from shared.settings import Settings
from workers import outbox
from workers.avisos import NewNotice, asset_id_by_code, insert_external
from workers.inbound import InboundConsumer, problems

log = logging.getLogger(__name__)

GROUP = "avisos"
EXTERNAL_NOTICES = Counter(
    "mantenimiento_external_notices_total",
    "External notice messages handled, by outcome",
    ["outcome"],
)


class InvalidNotice(Exception):
    """A message no retry can fix; its text is the `x-error` header of the dead letter."""


def parse(body: bytes, settings: Settings) -> ExternalAviso:
    # NUL in any text is refused by the model (shared/messages/base.py), like any invalid field.
    try:
        return ExternalAviso.model_validate_json(body, context={"tz": settings.tz})
    except ValidationError as exc:  # bad JSON is a ValidationError too
        raise InvalidNotice(f"invalid message: {problems(exc.errors(include_url=False))}") from exc


class ExternalAvisoConsumer(InboundConsumer):
    group = GROUP

    async def handle(self, message: AbstractIncomingMessage) -> None:
        try:
            notice = parse(message.body, self._settings)
            created = await while_unreachable(
                lambda: self._store(notice), f"external notice {message.message_id}"
            )
        except InvalidNotice as exc:
            log.warning("dead-lettering external notice %s: %s", message.message_id, exc)
            await self.set_aside(message, str(exc))
            EXTERNAL_NOTICES.labels("invalid").inc()
        except Exception:
            # A bug, not the message: the command path's policy (retry, then the broker
            # dead-letters it at the delivery limit).
            log.exception("external notice %s failed", message.message_id)
            await self._failed(message)
            return
        else:
            EXTERNAL_NOTICES.labels("created" if created else "duplicate").inc()
        await message.ack()

    async def _store(self, notice: ExternalAviso) -> bool:
        """Whether the notice is new (a repeat of a known `(source, external_id)` is not)."""
        async with self.transaction() as session:
            asset_id = await asset_id_by_code(session, notice.asset_code)
            if asset_id is None:
                raise InvalidNotice(f"unknown asset code {notice.asset_code!r}")
            aviso_id = await insert_external(
                session,
                asset_id=asset_id,
                notice=NewNotice(
                    asset_id, notice.title, notice.description, notice.priority, notice.source
                ),
                external_id=notice.external_id,
                reported_at=notice.reported_at,
            )
            if aviso_id is not None:
                await outbox.enqueue_all(
                    session,
                    [
                        events.AvisoCreated(
                            aviso_id=aviso_id,
                            asset_id=asset_id,
                            source=notice.source,
                            author_id=None,
                        )
                    ],
                )
        if aviso_id is None:
            return False
        self._events_committed()
        return True
