"""The `lecturas` consumer group: readings published by machines (SCADA, sensors…) to
`<ns>.lecturas` with routing key `lectura.externa`, up to a thousand per message.

Each reading is judged on its own: the valid ones are stored (exactly once per meter and
`taken_at`, however often the message is delivered) in one transaction of a constant number of
statements (`workers.readings.ingest`), with the alarms and orders they cause; each invalid one
(not a reading, unknown or inactive meter, a counter going back, taken too far ahead) is copied
alone to `<ns>.lecturas.invalidos` with the reason in `x-error`, and a message that is not this
shape goes there whole. Then the message is acked. While the database is unreachable or busy the
message is held and retried; any other failure is retried and set aside like a failing command.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson
from aio_pika.abc import AbstractIncomingMessage
from prometheus_client import Counter
from pydantic import TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from shared.db.errors import database_busy_or_down
from shared.db.retry import while_unreachable
from shared.messages.meters import ExternalReading, ReadingBatch
from shared.settings import Settings
from workers import outbox
from workers.inbound import InboundConsumer, problems
from workers.readings.ingest import ingest
from workers.readings.model import Ingested, NewReading, Source

log = logging.getLogger(__name__)
_READINGS = TypeAdapter(list[ExternalReading])

GROUP = "lecturas"
EXTERNAL_READINGS = Counter(
    "mantenimiento_external_readings_total",
    "Meter readings received from machines, by outcome",
    ["outcome"],
)


@dataclass(frozen=True)
class _Parsed:
    source: str
    readings: list[NewReading]
    # The raw readings that are not readings, by position, and why.
    invalid: dict[int, str]
    raw: list[Any]


def _parse(body: bytes, settings: Settings) -> _Parsed | str:
    """The message's readings, or why the whole message is not one."""
    try:
        batch = ReadingBatch.model_validate_json(body)
    except ValidationError as exc:  # bad JSON is a ValidationError too
        return f"invalid message: {problems(exc.errors(include_url=False))}"
    context = {"tz": settings.tz}
    invalid: dict[int, str] = {}
    try:
        # Usually every reading is valid: one call for them all.
        valid = dict(enumerate(_READINGS.validate_python(batch.readings, context=context)))
    except ValidationError as exc:
        by_position: dict[int, list[ErrorDetails]] = defaultdict(list)
        for error in exc.errors(include_url=False):
            by_position[int(error["loc"][0])].append({**error, "loc": error["loc"][1:]})
        invalid = {p: f"invalid reading: {problems(errors)}" for p, errors in by_position.items()}
        valid = {
            position: ExternalReading.model_validate(raw, context=context)
            for position, raw in enumerate(batch.readings)
            if position not in invalid
        }
    readings = [
        NewReading(
            position=position,
            taken_at=reading.taken_at,
            value=Decimal(str(reading.value)),
            reset=reading.reset,
            meter_code=reading.meter_code,
        )
        for position, reading in valid.items()
    ]
    return _Parsed(batch.source, readings, invalid, batch.readings)


class ExternalReadingConsumer(InboundConsumer):
    group = GROUP

    async def handle(self, message: AbstractIncomingMessage) -> None:
        parsed = _parse(message.body, self._settings)
        if isinstance(parsed, str):
            log.warning("setting aside readings message %s: %s", message.message_id, parsed)
            await self.set_aside(message, parsed)
            EXTERNAL_READINGS.labels("invalid").inc()
            await message.ack()
            return
        try:
            done = await while_unreachable(
                lambda: self._store(parsed),
                f"readings message {message.message_id}",
                passing=database_busy_or_down,
            )
        except Exception:
            # A bug, not the message: the command path's policy (retry, then the broker
            # dead-letters it at the delivery limit).
            log.exception("readings message %s failed", message.message_id)
            await self._failed(message)
            return
        invalid = parsed.invalid | {r.position: r.reason for r in done.refused}
        await asyncio.gather(
            *(
                self.set_aside(
                    message,
                    reason,
                    orjson.dumps({"source": parsed.source, "readings": [parsed.raw[position]]}),
                )
                for position, reason in sorted(invalid.items())
            )
        )
        EXTERNAL_READINGS.labels("stored").inc(len(done.stored))
        EXTERNAL_READINGS.labels("repeated").inc(
            len(parsed.readings) - len(done.stored) - len(done.refused)
        )
        EXTERNAL_READINGS.labels("invalid").inc(len(invalid))
        await message.ack()

    async def _store(self, parsed: _Parsed) -> Ingested:
        async with self._sessionmaker() as session, session.begin():
            now = datetime.now(self._settings.tz)
            done = await ingest(
                session, parsed.readings, Source(parsed.source, None, now), self._settings
            )
            await outbox.enqueue_all(session, done.events)
        if done.events:
            self._events_committed()
        return done
