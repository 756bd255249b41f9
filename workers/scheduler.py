"""The daily generation: publishes `programa.generar` up to today + GENERATION_HORIZON_DAYS when
it starts and again after every plant-local midnight; after each publication, the meter
readings' partitions are made ahead and the retention purge runs (workers.retention), beside the
loop, so it never delays generation, and a purge that
fails is logged and tried again at the next run.

Safe to run more than once: every scheduler derives the same command id for a day (uuid5 of the
broker namespace and the date), so a second publication is a replay of the first (see the command
log), and generation is idempotent anyway. A missed day is caught up by the next run, which
generates every due date up to its horizon that has no order yet.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import date, datetime, time, timedelta

from aio_pika.abc import AbstractExchange, AbstractRobustConnection
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db.errors import database_unreachable
from shared.enums import Role
from shared.messages.programs import GenerateOrders
from shared.messaging.connection import Broker
from shared.messaging.publishing import json_message
from shared.messaging.topology import COMMANDS, declare_topology
from shared.settings import Settings
from workers import retention

log = logging.getLogger(__name__)

SCHEDULER_NAMESPACE = uuid.UUID("0b7f6c9e-3d2a-4f47-9a6e-2f1d8c5b4e21")
# Published with a role and no user: the service itself (see `Actor`).
ROLE = Role.PLANIFICADOR
# After midnight, a little margin so that "today" has surely changed everywhere.
AFTER_MIDNIGHT = time(0, 5)
RETRY_S = 60.0


def daily_command(settings: Settings, today: date) -> tuple[uuid.UUID, GenerateOrders]:
    """The day's command and its id, the same in every scheduler of this namespace."""
    command_id = uuid.uuid5(SCHEDULER_NAMESPACE, f"{settings.amqp_namespace}:{today.isoformat()}")
    until = today + timedelta(days=settings.generation_horizon_days)
    return command_id, GenerateOrders(until=until)


def seconds_until_next_run(now: datetime) -> float:
    """From `now` (plant-aware) to the next day's AFTER_MIDNIGHT in the same zone."""
    following = datetime.combine(now.date() + timedelta(days=1), AFTER_MIDNIGHT, now.tzinfo)
    return max((following - now).total_seconds(), 1.0)


class Scheduler:
    def __init__(self, settings: Settings, engine: AsyncEngine) -> None:
        self._settings = settings
        self._engine = engine
        self._exchange: AbstractExchange | None = None
        self._task: asyncio.Task[None] | None = None
        self._purging: asyncio.Task[None] | None = None
        self.broker = Broker(settings, [self._setup])

    async def _setup(self, connection: AbstractRobustConnection) -> None:
        channel = await connection.channel(publisher_confirms=True)
        self._exchange = (await declare_topology(channel, self._settings)).exchanges[COMMANDS]

    async def publish(self, today: date) -> uuid.UUID:
        """Publish the day's command (confirmed by the broker); its id."""
        assert self._exchange is not None, "publish before the broker is up"
        command_id, command = daily_command(self._settings, today)
        message = json_message(
            command.model_dump_json().encode(),
            message_id=str(command_id),
            type=command.routing_key,
            headers={"x-user-role": ROLE.value, "x-request-id": f"scheduler-{today}"},
        )
        await self._exchange.publish(
            message, command.routing_key, timeout=self._settings.publish_timeout_s
        )
        log.info("published generation up to %s (command %s)", command.until, command_id)
        return command_id

    async def _run(self) -> None:
        await self.broker.started.wait()
        while True:
            now = datetime.now(self._settings.tz)
            try:
                await self.publish(now.date())
            except Exception:  # broker trouble: try again soon; nothing is lost meanwhile
                log.exception("could not publish the daily generation")
                await asyncio.sleep(RETRY_S)
                continue
            if self._purging is None or self._purging.done():
                self._purging = asyncio.create_task(self._purge(), name="retention")
            await asyncio.sleep(seconds_until_next_run(datetime.now(self._settings.tz)))

    async def _purge(self) -> None:
        now = datetime.now(self._settings.tz)
        try:
            await retention.keep_reading_partitions(self._engine, self._settings, now)
            await retention.purge(self._engine, self._settings, now)
        except Exception as exc:  # the next run purges what this one left
            if database_unreachable(exc):
                log.warning("retention purge: database unreachable (%r)", exc)
            else:
                log.exception("the retention purge failed")

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        self.broker.start()
        self._task = asyncio.create_task(self._run(), name="scheduler")

    async def stop(self) -> None:
        for task in (self._task, self._purging):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        await self.broker.close()
