"""Retention: the daily purge of relayed outbox events, finished command-log rows and read
notifications, each older than its setting; and the meter readings' monthly partitions, made a
couple of months ahead and dropped whole once past `READINGS_RETENTION_DAYS`.

Each table is purged in batches of `RETENTION_BATCH` rows, one short transaction (one DELETE)
per batch, until a batch comes back short: no long transaction, no lock held on more than a
batch, and every statement under the engine's statement limit. `FOR UPDATE SKIP LOCKED` lets two
schedulers purge at once (each takes other rows) and leaves rows that a command or the relay
holds for the next run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnExpressionArgument, Delete, any_, delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import InstrumentedAttribute

from shared.db.base import Base, table
from shared.db.models import CommandLog, Notification, OutboxEvent
from shared.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rule:
    """Rows of `model` whose `age` column is older than `days(settings)` and that meet `only`
    go; a row whose `age` is NULL (an unsent event, a pending command) never does."""

    model: type[Base]
    age: InstrumentedAttribute[Any]
    days: Callable[[Settings], int]
    only: ColumnExpressionArgument[bool] | None = None

    @property
    def name(self) -> str:
        return table(self.model).name

    def batch(self, cutoff: datetime, size: int) -> Delete:
        """One batch: the `size` oldest rows to go, locked (skipping rows held elsewhere)."""
        key = table(self.model).c.id
        doomed = select(key).where(self.age < cutoff).order_by(self.age).limit(size)
        if self.only is not None:
            doomed = doomed.where(self.only)
        doomed = doomed.with_for_update(skip_locked=True)
        # `= ANY(ARRAY(...))`, not `IN (...)`: the batch is picked once, then deleted by primary
        # key, where `IN` lets the planner hash-join it against the whole table.
        return delete(self.model).where(key == any_(func.array(doomed.scalar_subquery())))


RULES = (
    # Relayed for longer than the retention: what the event feed still serves.
    Rule(OutboxEvent, OutboxEvent.published_at, lambda s: s.outbox_retention_days),
    # Finished for longer than the retention: until then a replay gets the stored answer.
    Rule(CommandLog, CommandLog.finished_at, lambda s: s.command_log_retention_days),
    Rule(
        Notification,
        Notification.created_at,
        lambda s: s.notification_retention_days,
        only=Notification.read,  # plain, so that the partial index's predicate matches
    ),
)


async def purge_rule(engine: AsyncEngine, rule: Rule, cutoff: datetime, size: int) -> int:
    """Delete every row of `rule` older than `cutoff`, batch by batch; how many went."""
    statement = rule.batch(cutoff, size)
    total = 0
    while True:
        async with engine.begin() as conn:
            deleted = (await conn.execute(statement)).rowcount
        total += deleted
        if deleted < size:
            return total


# Readings may be taken a few minutes ahead of now: their partitions must be there already.
PARTITIONS_AHEAD = timedelta(days=62)
_MAKE_PARTITIONS = text("SELECT meter_readings_partitions(:first_day, :last_day)")
_DROP_PARTITIONS = text("SELECT drop_meter_readings_before(:cutoff)")


async def keep_reading_partitions(
    engine: AsyncEngine, settings: Settings, now: datetime
) -> tuple[int, int]:
    """Make the readings' partitions from the retention's start to PARTITIONS_AHEAD, and drop
    those wholly before the retention (migration 0006); how many were made and dropped."""
    cutoff = now - timedelta(days=settings.readings_retention_days)
    async with engine.begin() as conn:
        made = await conn.scalar(
            _MAKE_PARTITIONS,
            {"first_day": cutoff.date(), "last_day": (now + PARTITIONS_AHEAD).date()},
        )
        dropped = await conn.scalar(_DROP_PARTITIONS, {"cutoff": cutoff})
    log.info("meter readings: %s partitions made, %s dropped", made, dropped)
    return int(made or 0), int(dropped or 0)


async def purge(engine: AsyncEngine, settings: Settings, now: datetime) -> dict[str, int]:
    """Apply every retention rule as of `now`; rows deleted per table."""
    counts = {
        rule.name: await purge_rule(
            engine, rule, now - timedelta(days=rule.days(settings)), settings.retention_batch
        )
        for rule in RULES
    }
    log.info("retention purge: %s", counts)
    return counts
