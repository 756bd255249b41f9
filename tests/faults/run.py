"""One scenario of the checker: a load of commands while a fault runs, then every command
classified from the orders' histories, as one table row (`Row`). The checker's faults
(`tests/faults/__main__.py`) and the cluster tests (`tests/cluster/`) both run through `Run`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta

from shared.messaging.topology import Names, queue_specs
from tests.faults.effects import Counts
from tests.faults.load import Client, Command, Tally, classify, commands
from tests.faults.processes import Service
from tests.faults.servers import PrivateServers

COMMANDS_PER_SCENARIO = 200
CONCURRENCY = 8
CONSUMERS_BACK_S = 30.0


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
            or self.consumers_back_s is None
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


async def consumers_back(run: Run, since: float) -> float | None:
    """Seconds until every queue the processes consume has a consumer again (None: not within
    `CONSUMERS_BACK_S`), with no process restarted."""
    names = Names(run.service.namespace)
    specs = queue_specs()
    queues = [
        names(specs[group].queue) for groups in run.service.queues for group in groups.split(",")
    ]
    while time.monotonic() - since < CONSUMERS_BACK_S:
        consumers = await asyncio.to_thread(run.servers.rabbit.consumers)
        if all(consumers.get(queue, 0) >= 1 for queue in queues):
            return time.monotonic() - since
        await asyncio.sleep(0.5)
    return None


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
