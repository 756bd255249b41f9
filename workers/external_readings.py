"""The `lecturas` consumer group: readings published by machines (SCADA, sensors…) to
`<ns>.lecturas` with routing key `lectura.externa`, up to a thousand per message.

Each reading is judged on its own: the valid ones are stored (exactly once per meter and
`taken_at`, however often the message is delivered) in transactions of a constant number of
statements (`workers.readings.ingest`), one per share of the meters, with the alarms and orders
they cause; each invalid one (not a reading, unknown or inactive meter, a counter going back,
taken too far ahead) is copied alone to `<ns>.lecturas.invalidos` with the reason in `x-error`,
and a message that is not this shape goes there whole. Then the message is acked. While the
database is unreachable or busy the message is held and retried; any other failure is retried
and set aside like a failing command.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from bisect import bisect_left
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
from shared.messages.meters import (
    ExternalReading,
    ReadingBatch,
    ValidReadingBatch,
    latest_reading_time,
)
from shared.settings import Settings
from workers import outbox
from workers.inbound import InboundConsumer, problems
from workers.readings.ingest import ingest
from workers.readings.model import Ingested, NewReading, Source

log = logging.getLogger(__name__)
_READINGS = TypeAdapter(list[ExternalReading])
# Readings stored in one transaction at most (the messages waiting are gathered up to it).
GATHER_MAX = 10_000

GROUP = "lecturas"
EXTERNAL_READINGS = Counter(
    "mantenimiento_external_readings_total",
    "Meter readings received from machines, by outcome",
    ["outcome"],
)


@dataclass
class _Parsed:
    source: str
    # The valid readings by position, and the raw readings that are not readings, and why.
    readings: dict[int, ExternalReading]
    invalid: dict[int, str]
    body: bytes

    @property
    def size(self) -> int:
        """How many readings the message holds, valid or not."""
        return len(self.readings) + len(self.invalid)

    @functools.cached_property
    def raw(self) -> list[Any]:
        """The readings as sent (for the copies of invalid ones)."""
        readings: list[Any] = orjson.loads(self.body)["readings"]
        return readings


def _parse(body: bytes, settings: Settings) -> _Parsed | str:
    """The message's readings, or why the whole message is not one."""
    context = {"tz": settings.tz, "latest": latest_reading_time()}
    try:
        valid = ValidReadingBatch.model_validate_json(body, context=context)
    except ValidationError:
        pass  # some part is not right: judged part by part below
    else:
        return _Parsed(valid.source, dict(enumerate(valid.readings)), {}, body)
    try:
        batch = ReadingBatch.model_validate_json(body)
    except ValidationError as exc:  # bad JSON is a ValidationError too
        return f"invalid message: {problems(exc.errors(include_url=False))}"
    by_position: dict[int, list[ErrorDetails]] = defaultdict(list)
    try:
        _READINGS.validate_python(batch.readings, context=context)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            by_position[int(error["loc"][0])].append({**error, "loc": error["loc"][1:]})
    invalid = {p: f"invalid reading: {problems(errors)}" for p, errors in by_position.items()}
    readings = {
        position: ExternalReading.model_validate(raw, context=context)
        for position, raw in enumerate(batch.readings)
        if position not in invalid
    }
    return _Parsed(batch.source, readings, invalid, body)


@dataclass(frozen=True)
class _Outcome:
    """What storing did to one message's readings, by their position in it."""

    stored: int
    refused: dict[int, str]


@dataclass
class _Waiting:
    parsed: _Parsed
    outcome: asyncio.Future[_Outcome]


class ExternalReadingConsumer(InboundConsumer):
    """Messages taken at once (the prefetch) are stored together, up to `GATHER_MAX` readings:
    their meters are locked, and their last readings updated, once for all of them (a SCADA's
    snapshots all name the same meters), in `readings_stripes` transactions side by side."""

    group = GROUP

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._waiting: list[_Waiting] = []
        self._storing = asyncio.Lock()

    async def handle(self, message: AbstractIncomingMessage) -> None:
        parsed = _parse(message.body, self._settings)
        if isinstance(parsed, str):
            log.warning("setting aside readings message %s: %s", message.message_id, parsed)
            await self.set_aside(message, parsed)
            EXTERNAL_READINGS.labels("invalid").inc()
            await message.ack()
            return
        try:
            outcome = await self._stored(parsed)
        except Exception:
            # A bug, not the message: the command path's policy (retry, then the broker
            # dead-letters it at the delivery limit).
            log.exception("readings message %s failed", message.message_id)
            await self._failed(message)
            return
        invalid = parsed.invalid | outcome.refused
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
        EXTERNAL_READINGS.labels("stored").inc(outcome.stored)
        EXTERNAL_READINGS.labels("repeated").inc(
            len(parsed.readings) - outcome.stored - len(outcome.refused)
        )
        EXTERNAL_READINGS.labels("invalid").inc(len(invalid))
        await message.ack()

    async def _stored(self, parsed: _Parsed) -> _Outcome:
        """Store `parsed` with whatever else waits meanwhile: whoever holds `_storing` stores
        every message waiting, its own among them."""
        waiting = _Waiting(parsed, asyncio.get_running_loop().create_future())
        self._waiting.append(waiting)
        async with self._storing:
            while not waiting.outcome.done():
                batch = self._next_batch()
                try:
                    done = await self._store(batch)
                except Exception as exc:
                    for each in batch:
                        each.outcome.set_exception(exc)
                    # Its exception is the caller's own to handle: the others' too.
                    if waiting in batch:
                        break
                    continue
                _share(batch, done)
        return await waiting.outcome

    def _next_batch(self) -> list[_Waiting]:
        batch: list[_Waiting] = []
        readings = 0
        while self._waiting and (
            not batch or readings + len(self._waiting[0].parsed.readings) <= GATHER_MAX
        ):
            batch.append(self._waiting.pop(0))
            readings += len(batch[-1].parsed.readings)
        return batch

    async def _store(self, batch: list[_Waiting]) -> list[Ingested]:
        """The batch's readings in `readings_stripes` transactions at once, each with its share
        of the meters: while PostgreSQL writes one share the worker judges the next. Each is
        retried alone while the database is unreachable or busy; when one fails for good the
        messages are retried whole (what the others stored is then found as repeats)."""
        stripes = _stripes(batch, self._settings.readings_stripes)
        stored = await asyncio.gather(
            *(
                while_unreachable(
                    functools.partial(self._store_stripe, stripe),
                    f"{len(stripe)} readings",
                    passing=database_busy_or_down,
                )
                for stripe in stripes
            ),
            return_exceptions=True,
        )
        failed = [outcome for outcome in stored if isinstance(outcome, BaseException)]
        if failed:
            raise failed[0]
        return [outcome for outcome in stored if isinstance(outcome, Ingested)]

    async def _store_stripe(self, readings: list[NewReading]) -> Ingested:
        async with self.transaction() as session:
            now = datetime.now(self._settings.tz)
            done = await ingest(session, readings, Source(GROUP, None, now), self._settings)
            await outbox.enqueue_all(session, done.events)
        if done.events:
            self._events_committed()
        return done


def _stripes(batch: list[_Waiting], count: int) -> list[list[NewReading]]:
    """The batch's readings (positions counted across its messages) in up to `count` shares,
    every reading of one meter in the same share: shares never wait for each other's meters."""
    stripes: list[list[NewReading]] = [[] for _ in range(count)]
    for offset, each in _offsets(batch):
        for position, reading in each.parsed.readings.items():
            stripes[hash(reading.meter_code) % count].append(
                NewReading(
                    position=offset + position,
                    taken_at=reading.taken_at,
                    value=Decimal(str(reading.value)),
                    reset=reading.reset,
                    meter_code=reading.meter_code,
                    source=each.parsed.source,
                )
            )
    return [stripe for stripe in stripes if stripe]


def _offsets(batch: list[_Waiting]) -> list[tuple[int, _Waiting]]:
    """Each message's first position among the batch's readings (so that any position of it
    maps back)."""
    offsets, offset = [], 0
    for each in batch:
        offsets.append((offset, each))
        offset += each.parsed.size
    return offsets


def _share(batch: list[_Waiting], done: list[Ingested]) -> None:
    """Each message's part of what storing the batch did."""
    stored = sorted(position for stripe in done for position in stripe.reading_ids)
    refused = [refused for stripe in done for refused in stripe.refused]
    for offset, each in _offsets(batch):
        end = offset + each.parsed.size
        each.outcome.set_result(
            _Outcome(
                stored=bisect_left(stored, end) - bisect_left(stored, offset),
                refused={
                    refusal.position - offset: refusal.reason
                    for refusal in refused
                    if offset <= refusal.position < end
                },
            )
        )
