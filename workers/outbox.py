"""The transactional outbox: events are inserted with the change and relayed after commit.

Any worker may relay; `FOR UPDATE SKIP LOCKED` keeps two relays off the same rows. A crash between
publish and marking re-publishes an event, so consumers dedupe on the event id (`message_id`).

Every statement that writes outbox rows stores `trace_context()` in them, the context of the span
writing them (null while tracing is off); the relay publishes each event as that span's child.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from aio_pika.abc import AbstractExchange, AbstractRobustConnection
from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared import tracing
from shared.db.errors import database_unreachable
from shared.faults import crash_point
from shared.messages.events import DomainEvent
from shared.messaging.publishing import json_message
from shared.messaging.topology import EVENTS, declare_topology
from shared.messaging.tracing import publishing
from shared.settings import Settings
from workers.metrics import OUTBOX_BACKLOG, OUTBOX_OLDEST_AGE, RELAY_LAG

log = logging.getLogger(__name__)

BATCH = 500
SWEEP_INTERVAL_S = 2.0

_CLAIM = text(
    "SELECT id, type, data, created_at, trace_context FROM outbox WHERE published_at IS NULL "
    "ORDER BY id LIMIT :batch FOR UPDATE SKIP LOCKED"
)
_MARK = text("UPDATE outbox SET published_at = now() WHERE id = ANY(:ids)")
# After each sweep, for the metrics (the partial index of unsent rows answers it).
_BACKLOG = text(
    "SELECT count(*) AS events, coalesce(extract(epoch FROM now() - min(created_at)), 0) AS age"
    " FROM outbox WHERE published_at IS NULL"
)


class OutboxRelay:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> None:
        self._sessionmaker = sessionmaker
        self._settings = settings
        self._exchange: AbstractExchange | None = None
        self._wake = asyncio.Event()
        self._tracer = tracing.tracer(__name__)

    async def setup(self, connection: AbstractRobustConnection) -> None:
        channel = await connection.channel(publisher_confirms=True)
        self._exchange = (await declare_topology(channel, self._settings)).exchanges[EVENTS]

    def poke(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                async with asyncio.timeout(SWEEP_INTERVAL_S):
                    await self._wake.wait()
            except TimeoutError:
                pass
            self._wake.clear()
            if self._exchange is None:
                continue
            try:
                while await self.relay_batch() == BATCH:
                    pass
                await self._measure_backlog()
            except Exception as exc:  # the next sweep retries; nothing is lost
                if database_unreachable(exc):
                    log.warning("outbox relay: database unreachable (%r)", exc)
                else:
                    log.exception("outbox relay failed")

    async def _measure_backlog(self) -> None:
        async with self._sessionmaker() as session:
            backlog = (await session.execute(_BACKLOG)).one()
        OUTBOX_BACKLOG.set(backlog.events)
        OUTBOX_OLDEST_AGE.set(float(backlog.age))

    async def relay_batch(self) -> int:
        assert self._exchange is not None
        async with self._sessionmaker() as session, session.begin():
            rows = (await session.execute(_CLAIM, {"batch": BATCH})).all()
            # Confirms are pipelined: the batch costs one broker round trip, not one per event.
            await asyncio.gather(*(self._publish(row) for row in rows))
            if rows:
                published = datetime.now(UTC)
                for row in rows:
                    RELAY_LAG.observe((published - row.created_at).total_seconds())
                crash_point("outbox.after_publish")
                await session.execute(_MARK, {"ids": [row.id for row in rows]})
        return len(rows)

    async def _publish(self, row: Row[Any]) -> None:
        assert self._exchange is not None
        message_id = str(row.id)
        headers: dict[str, Any] = {}
        # In the trace of the command (or the event) that wrote the row.
        with publishing(
            self._tracer, self._exchange.name, row.type, message_id, headers, row.trace_context
        ):
            body = {"id": row.id, "type": row.type, "at": row.created_at, "data": row.data}
            await self._exchange.publish(
                json_message(
                    orjson.dumps(body), message_id=message_id, type=row.type, headers=headers
                ),
                row.type,
                mandatory=False,
                timeout=self._settings.publish_timeout_s,
            )


def trace_context() -> str | None:
    """The `trace_context` of the outbox rows written now (JSON, for `CAST(… AS jsonb)`)."""
    carrier = tracing.carrier()
    return None if carrier is None else orjson.dumps(carrier).decode()


_ENQUEUE = text(
    "INSERT INTO outbox (type, data, trace_context)"
    " SELECT e.type, e.data, CAST(:trace_context AS jsonb)"
    " FROM unnest(CAST(:types AS text[]), CAST(:data AS jsonb[]))"
    " WITH ORDINALITY AS e(type, data, position) ORDER BY e.position"
)


async def enqueue_all(session: AsyncSession, events: Sequence[DomainEvent]) -> None:
    """Write events in the caller's transaction (one statement), for work that is not a command
    (commands emit through their unit of work)."""
    if not events:
        return
    await session.execute(
        _ENQUEUE,
        {
            "types": [event.type for event in events],
            "data": [orjson.dumps(event.model_dump(mode="json")).decode() for event in events],
            "trace_context": trace_context(),
        },
    )
