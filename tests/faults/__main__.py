"""`make test-faults`: the service's processes under faults, on private servers.

`python -m tests.faults [word...]` runs the scenarios whose names hold one of the words.

Each scenario sends a few hundred commands while something breaks, then classifies every
command as applied once, lost or duplicated from the orders' histories, and prints one table
row. Any loss, duplicate, refused command or hung request fails the run (exit status 1).
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from shared.messaging.topology import Names, queue_specs
from shared.settings import Settings
from shared.tools.publish_aviso import publish
from tests.faults import effects
from tests.faults.effects import Counts
from tests.faults.load import Client, Command, Tally, classify, commands
from tests.faults.processes import Service
from tests.faults.servers import PrivateServers

COMMANDS_PER_SCENARIO = 200
CONCURRENCY = 8
ORDERS = 40
# The processes' logs are copied here at the end, for a failure's post-mortem.
CONSUMERS_BACK_S = 30.0
NOTICES = 100
NOTICE_SOURCE = "faults-scada"
KEEP_LOGS = Path("/tmp/faults-logs")


@dataclass
class Row:
    scenario: str
    commands: int
    applied_once: int
    lost: int
    duplicated: int
    refused: int
    unavailable: int
    hung: int
    longest_s: float
    recover_s: float
    # First answers to the probes sent while a server was down: (status, seconds).
    probes: list[tuple[int, float]]
    # What else the scenario must find exactly once (notices, notifications), if anything.
    effects: tuple[str, Counts] | None
    consumers_back_s: float | None

    @property
    def slow_or_wrong_probes(self) -> int:
        return sum(1 for status, seconds in self.probes if status != 503 or seconds > 1.0)

    @property
    def ok(self) -> bool:
        return not (
            self.lost
            or self.duplicated
            or self.refused
            or self.hung
            or self.slow_or_wrong_probes
            or (
                self.effects is not None and (self.effects[1].missing or self.effects[1].duplicated)
            )
        )


Fault = Callable[["Run"], Awaitable[float | None]]


class Run:
    def __init__(self, servers: PrivateServers, service: Service, client: Client) -> None:
        self.servers = servers
        self.service = service
        self.client = client
        self.orders: list[int] = []
        self.tally = Tally()
        self._probes: list[Command] = []
        self._probing: list[asyncio.Task[None]] = []
        self._name = ""
        self.asset_code = ""
        # After a broker outage: seconds until every queue had its consumers again.
        self.consumers_back_s: float | None = 0.0
        self.effects: tuple[str, Callable[[], Awaitable[Counts]]] | None = None

    async def probe_while_down(self, count: int = 3, login: bool = False) -> None:
        """Send fresh commands while a server is down: each must be answered 503 (with
        Retry-After, checked by the client) within a second; it is then retried to the end and
        classified with the load. `login`: a login probe too (it uses the database, not the
        broker, so only a database outage makes it 503)."""
        for _ in range(count):
            command = self._extra_command()
            while command.first is None:
                await asyncio.sleep(0.05)
            self.tally.probes.append(command.first)
            if login:
                self.tally.probes.append(await self.client.try_log_in())
            await asyncio.sleep(0.3)

    async def send_until(self, done: asyncio.Future[object]) -> None:
        """Fresh commands, classified with the load, until `done`: a fault waiting for the
        service to do something (a crash point) never waits on a load that already ended."""
        while not done.done():
            self._extra_command()
            await asyncio.wait([done], timeout=0.2)

    def _extra_command(self) -> Command:
        command = Command(
            self.orders[len(self._probes) % len(self.orders)],
            date(2040, 1, 1) + timedelta(days=len(self._probes)),
            f"{self._name}-probe-{len(self._probes):02d}",
        )
        self._probes.append(command)
        self._probing.append(asyncio.create_task(self.client.send(command, self.tally)))
        return command

    async def scenario(self, name: str, fault: Fault) -> Row:
        """Load while `fault` runs; `fault` returns when its trouble ended (monotonic)."""
        self.tally = Tally()
        self._name = name
        self._probes, self._probing = [], []
        self.effects = None
        self.consumers_back_s = 0.0
        sent = commands(name, self.orders, COMMANDS_PER_SCENARIO)
        queue: asyncio.Queue[int] = asyncio.Queue()
        for index in range(len(sent)):
            queue.put_nowait(index)

        async def sender() -> None:
            while not queue.empty():
                await self.client.send(sent[queue.get_nowait()], self.tally)
                await asyncio.sleep(0.02)

        senders = [asyncio.create_task(sender()) for _ in range(CONCURRENCY)]
        healed_at = await fault(self)
        await asyncio.gather(*senders, *self._probing)
        sent += self._probes
        effects = None
        if self.effects is not None:
            effects = (self.effects[0], await self.effects[1]())
        seen = await self.client.markers({c.order_id for c in sent})
        verdict = classify(sent, seen)
        for command in sent:
            if seen[command.marker] != 1 or command.answered != 200:
                print(
                    f"  {command.marker}: answered {command.answered}, "
                    f"in history {seen[command.marker]} time(s), key {command.key}",
                    flush=True,
                )
        after = [t for t in self.tally.successes_at if healed_at and t >= healed_at]
        recover = (min(after) - healed_at) if after and healed_at else 0.0
        return Row(
            name,
            verdict.commands,
            verdict.applied_once,
            verdict.lost,
            verdict.duplicated,
            verdict.refused,
            self.tally.unavailable,
            self.tally.hung,
            self.tally.longest_s,
            recover,
            self.tally.probes,
            effects,
            self.consumers_back_s,
        )


async def worker_killed(run: Run) -> float:
    for _ in range(3):
        await asyncio.sleep(1.5)
        await run.service.kill_worker()
        await asyncio.sleep(0.5)
        await run.service.start_worker()
    await asyncio.sleep(1.0)
    # Once exactly between the commit and the ack: the redelivery must find the stored answer.
    await run.service.restart_worker(crash_at="command.after_commit:10")
    death = asyncio.ensure_future(run.service.wait_worker_death(timeout=60))
    await run.send_until(death)
    await death
    await run.service.start_worker()
    return time.monotonic()


async def broker_app_stopped(run: Run) -> float:
    await asyncio.sleep(1.5)
    await asyncio.to_thread(run.servers.rabbit.stop_app)
    await run.probe_while_down()
    await asyncio.sleep(1.0)
    await asyncio.to_thread(run.servers.rabbit.start_app)
    healed_at = time.monotonic()
    run.consumers_back_s = await consumers_back(run, since=healed_at)
    return healed_at


async def consumers_back(run: Run, since: float) -> float | None:
    """Seconds until every queue the processes consume has a consumer again (None: not within
    `CONSUMERS_BACK_S`), with no process restarted."""
    names = Names(run.service.namespace)
    queues = [names(spec.queue) for spec in queue_specs().values()]
    while time.monotonic() - since < CONSUMERS_BACK_S:
        consumers = await asyncio.to_thread(run.servers.rabbit.consumers)
        if all(consumers.get(queue, 0) >= 1 for queue in queues):
            return time.monotonic() - since
        await asyncio.sleep(0.5)
    return None


async def database_restarted(run: Run) -> float:
    await asyncio.sleep(1.5)
    await asyncio.to_thread(run.servers.postgres.restart)
    return time.monotonic()


async def database_stopped_10s(run: Run) -> float:
    await asyncio.sleep(1.5)
    await asyncio.to_thread(run.servers.postgres.stop)
    stopped = time.monotonic()
    await run.probe_while_down(login=True)
    await asyncio.sleep(max(0.0, 10.0 - (time.monotonic() - stopped)))
    await asyncio.to_thread(run.servers.postgres.start)
    return time.monotonic()


async def notices_during_broker_restart(run: Run) -> float:
    """External notices published with confirms, each retried until confirmed, while the broker
    application stops and starts."""
    settings = Settings(amqp_url=run.servers.rabbit.url, amqp_namespace=run.service.namespace)
    ids = [f"N-{i:04d}" for i in range(NOTICES)]

    async def publish_until_confirmed(external_id: str) -> None:
        notice = {
            "source": NOTICE_SOURCE,
            "external_id": external_id,
            "asset_code": run.asset_code,
            "title": f"Aviso {external_id}",
            "priority": "MEDIA",
            "reported_at": "2026-01-01T08:00:00+00:00",
        }
        body = json.dumps(notice).encode()
        while True:
            try:
                await publish(settings, body, message_id=external_id)
                return
            except Exception:  # unconfirmed, for whatever reason: publish again
                await asyncio.sleep(0.3)

    async def publisher() -> None:
        for external_id in ids:
            await publish_until_confirmed(external_id)

    run.effects = (
        "notices",
        lambda: effects.notices(run.servers.postgres.url, NOTICE_SOURCE, ids),
    )
    publishing = asyncio.create_task(publisher())
    healed_at = await broker_app_stopped(run)
    await publishing
    return healed_at


async def notifier_killed(run: Run) -> float:
    after = await effects.last_event_id(run.servers.postgres.url)
    run.effects = (
        "notifications",
        lambda: effects.reschedule_notifications(run.servers.postgres.url, after),
    )
    for _ in range(3):
        await asyncio.sleep(1.5)
        await run.service.kill_notifier()
        await asyncio.sleep(0.5)
        await run.service.start_notifier()
    return time.monotonic()


async def relay_killed_after_publish(run: Run) -> float:
    after = await effects.last_event_id(run.servers.postgres.url)
    run.effects = (
        "notifications",
        lambda: effects.reschedule_notifications(run.servers.postgres.url, after),
    )
    await asyncio.sleep(1.0)
    await run.service.restart_worker(crash_at="outbox.after_publish:10")
    await run.service.wait_worker_death(timeout=60)
    await run.service.start_worker()
    return time.monotonic()


SCENARIOS: list[tuple[str, Fault]] = [
    ("worker SIGKILL x3 + after commit", worker_killed),
    ("rabbitmq stop_app/start_app", broker_app_stopped),
    ("postgresql restart", database_restarted),
    ("postgresql stopped 10 s", database_stopped_10s),
    ("notices during rabbitmq restart", notices_during_broker_restart),
    ("notifications worker SIGKILL x3", notifier_killed),
    ("outbox relay killed after publish", relay_killed_after_publish),
]


def table(rows: list[Row]) -> str:
    head = (
        "| scenario | commands | applied once | lost | duplicated | 503s | hung "
        "| longest request (s) | time to recover (s) | probes while down: 503 in < 1 s "
        "| other effects: once / missing / duplicated | consumers back (s) |"
    )
    lines = [head, "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r.scenario} | {r.commands} | {r.applied_once} | {r.lost} | {r.duplicated} "
            f"| {r.unavailable} | {r.hung} | {r.longest_s:.2f} | {r.recover_s:.2f} "
            f"| {_probes(r)} | {_effects(r)} | {_consumers(r)} |"
        )
    return "\n".join(lines)


def _consumers(row: Row) -> str:
    if row.consumers_back_s is None:
        return "NOT BACK"
    return f"{row.consumers_back_s:.2f}" if row.consumers_back_s else "—"


def _effects(row: Row) -> str:
    if row.effects is None:
        return "—"
    what, counts = row.effects
    return f"{what}: {counts.once} / {counts.missing} / {counts.duplicated}"


def _probes(row: Row) -> str:
    if not row.probes:
        return "—"
    slowest = max(seconds for _, seconds in row.probes)
    good = len(row.probes) - row.slow_or_wrong_probes
    return f"{good}/{len(row.probes)} (slowest {slowest:.2f} s)"


async def main(only: list[str]) -> int:
    # The notice publisher's reconnects while the broker is down are expected, not news.
    logging.getLogger("aio_pika").setLevel(logging.CRITICAL)
    logging.getLogger("aiormq").setLevel(logging.CRITICAL)
    servers = PrivateServers()
    rows: list[Row] = []
    chosen = [s for s in SCENARIOS if not only or any(word in s[0] for word in only)]
    try:
        await asyncio.to_thread(servers.start)
        async with Service(servers) as service:
            async with Client(service.base_url, "planificador", "plan123") as client:
                await client.log_in()
                run = Run(servers, service, client)
                run.orders = await client.pending_orders(ORDERS)
                run.asset_code = await client.an_asset_code()
                for name, fault in chosen:
                    row = await run.scenario(name, fault)
                    rows.append(row)
                    print(table([row]).splitlines()[-1], flush=True)
                assert service.gateway_alive(), "the gateway died"
    finally:
        await asyncio.to_thread(servers.close, KEEP_LOGS)
    print(table(rows))
    return 0 if rows and all(r.ok for r in rows) and len(rows) == len(chosen) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
