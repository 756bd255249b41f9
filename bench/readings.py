"""Meters and readings for I1, I2 and S2: hour counters added to the plant, the readings they
send, stored history loaded with COPY, and a machine's publisher of reading messages.

Readings come as a SCADA sends them: every `SPACING`, one reading of each of its meters, in
messages of up to `MESSAGE` readings (the contract's largest), persistent and confirmed by the
broker, to `<namespace>.lecturas` with key `lectura.externa`. A counter gains `STEP` hours per
reading and is never reset, so every reading's usage is its value.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import aio_pika
import asyncpg
import orjson

from bench.environment import Site
from shared.messaging.topology import LECTURAS, Names, queue_specs
from workers.external_readings import GROUP

MESSAGE = 1_000
SPACING = timedelta(seconds=10)
STEP = 0.5
FIRST_VALUE = 1_000.0
PUBLISH_TIMEOUT_S = 60.0
# I2 puts its meters on the lowest asset ids; the other scenarios' meters start after them, so
# that each of I2's assets has exactly one hour counter (as a program by use requires).
OWN_ASSETS = 10
COLUMNS = ("meter_id", "taken_at", "value", "usage", "reset", "source")
_ADD_COUNTERS = """
    INSERT INTO meters (code, name, asset_id, unit, kind)
    SELECT $1 || lpad(n::text, 5, '0'), 'Horómetro ' || n, $2 + (n - 1) % $3, 'h', 'CONTADOR'
      FROM generate_series(1, $4) AS n
    RETURNING id, code
"""
# A meter's last reading as the service keeps it on the meter.
_SET_LAST = """
    UPDATE meters m SET last_value = l.value, last_taken_at = l.taken_at, last_usage = l.value
      FROM unnest($1::integer[], $2::timestamptz[], $3::numeric[]) AS l(id, taken_at, value)
     WHERE m.id = l.id
"""


@dataclass(frozen=True)
class Counter:
    id: int
    code: str


async def add_counters(
    connection: asyncpg.Connection, count: int, prefix: str, assets: int
) -> list[Counter]:
    """`count` hour counters coded `<prefix>NNNNN`, spread over the plant's assets after
    `OWN_ASSETS` (setup, not measured)."""
    rows = await connection.fetch(
        _ADD_COUNTERS, prefix, OWN_ASSETS + 1, max(1, assets - OWN_ASSETS), count
    )
    return sorted((Counter(row["id"], row["code"]) for row in rows), key=lambda c: c.id)


@dataclass(frozen=True)
class Readings:
    """Rounds `first` to `first + rounds - 1` of the counters' readings, round `first` taken at
    `start`."""

    counters: list[Counter]
    start: datetime
    rounds: int
    first: int = 0

    def __len__(self) -> int:
        return len(self.counters) * self.rounds

    @property
    def last_taken_at(self) -> datetime:
        return self.start + SPACING * (self.rounds - 1)

    def value(self, round: int) -> float:
        return FIRST_VALUE + (self.first + round) * STEP

    def _all(self) -> Iterator[tuple[int, Counter, datetime, float]]:
        for n in range(self.rounds):
            taken_at = self.start + SPACING * n
            for counter in self.counters:
                yield n, counter, taken_at, self.value(n)

    def records(self, source: str) -> Iterator[tuple[Any, ...]]:
        """Rows of `meter_readings` as the service stores them (COLUMNS)."""
        for _, counter, taken_at, value in self._all():
            exact = Decimal(str(value))
            yield (counter.id, taken_at, exact, exact, False, source)

    def messages(self, source: str) -> list[bytes]:
        readings = [
            {"meter_code": counter.code, "value": value, "taken_at": taken_at.isoformat()}
            for _, counter, taken_at, value in self._all()
        ]
        return [
            orjson.dumps({"source": source, "readings": readings[i : i + MESSAGE]})
            for i in range(0, len(readings), MESSAGE)
        ]

    def value_sum(self) -> Decimal:
        return sum(
            (Decimal(str(self.value(n))) * len(self.counters) for n in range(self.rounds)),
            Decimal(0),
        )


async def store_history(connection: asyncpg.Connection, history: Readings, source: str) -> None:
    """COPY `history` into `meter_readings` and set each meter's last reading from it, as the
    service would have (setup, not measured)."""
    async with connection.transaction():
        await connection.copy_records_to_table(
            "meter_readings", records=history.records(source), columns=list(COLUMNS)
        )
        last = Decimal(str(history.value(history.rounds - 1)))
        await connection.execute(
            _SET_LAST,
            [c.id for c in history.counters],
            [history.last_taken_at] * len(history.counters),
            [last] * len(history.counters),
        )


def inbound_queues(site: Site) -> tuple[str, str]:
    """The `lecturas` group's queue and its queue of invalid readings."""
    spec, names = queue_specs()[GROUP], Names(site.namespace)
    return names(spec.queue), names(spec.dead_letter_queue)


@asynccontextmanager
async def publisher(site: Site) -> AsyncIterator[Callable[[list[bytes]], Awaitable[None]]]:
    """A machine's connection: `publish(bodies)` sends them all at once and returns when the
    broker has confirmed each (an unroutable one raises)."""
    connection = await aio_pika.connect(site.amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        exchange = await channel.get_exchange(Names(site.namespace)(LECTURAS))
        routing_key = queue_specs()[GROUP].routing_keys[0]

        async def publish(bodies: list[bytes]) -> None:
            await asyncio.gather(
                *(
                    exchange.publish(
                        aio_pika.Message(
                            body,
                            message_id=uuid.uuid4().hex,
                            content_type="application/json",
                            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                        ),
                        routing_key,
                        mandatory=True,
                        timeout=PUBLISH_TIMEOUT_S,
                    )
                    for body in bodies
                )
            )

        yield publish
    finally:
        await connection.close()


async def queued(site: Site, queue: str) -> int:
    """Messages ready in `queue` (a passive declaration)."""
    connection = await aio_pika.connect(site.amqp_url)
    try:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, passive=True)
        return int(declared.declaration_result.message_count or 0)
    finally:
        await connection.close()
