"""`make test-faults`: the service's processes under faults, on private servers.

Each scenario sends a few hundred commands while something breaks, then classifies every
command as applied once, lost or duplicated from the orders' histories, and prints one table
row. Any loss, duplicate, refused command or hung request fails the run (exit status 1).
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tests.faults.load import Client, Tally, classify, commands
from tests.faults.processes import Service
from tests.faults.servers import PrivateServers

COMMANDS_PER_SCENARIO = 200
CONCURRENCY = 8
ORDERS = 40


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

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.refused or self.hung)


Fault = Callable[["Run"], Awaitable[float | None]]


class Run:
    def __init__(self, servers: PrivateServers, service: Service, client: Client) -> None:
        self.servers = servers
        self.service = service
        self.client = client
        self.orders: list[int] = []
        self.tally = Tally()

    async def scenario(self, name: str, fault: Fault) -> Row:
        """Load while `fault` runs; `fault` returns when its trouble ended (monotonic)."""
        self.tally = Tally()
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
        await asyncio.gather(*senders)
        seen = await self.client.markers({c.order_id for c in sent})
        verdict = classify(sent, seen)
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
    await run.service.wait_worker_death(timeout=60)
    await run.service.start_worker()
    return time.monotonic()


async def broker_app_stopped(run: Run) -> float:
    await asyncio.sleep(1.5)
    await asyncio.to_thread(run.servers.rabbit.stop_app)
    await asyncio.sleep(3.0)
    await asyncio.to_thread(run.servers.rabbit.start_app)
    return time.monotonic()


async def database_restarted(run: Run) -> float:
    await asyncio.sleep(1.5)
    await asyncio.to_thread(run.servers.postgres.restart)
    return time.monotonic()


async def database_stopped_10s(run: Run) -> float:
    await asyncio.sleep(1.5)
    await asyncio.to_thread(run.servers.postgres.stop)
    await asyncio.sleep(10.0)
    await asyncio.to_thread(run.servers.postgres.start)
    return time.monotonic()


SCENARIOS: list[tuple[str, Fault]] = [
    ("worker SIGKILL x3 + after commit", worker_killed),
    ("rabbitmq stop_app/start_app", broker_app_stopped),
    ("postgresql restart", database_restarted),
    ("postgresql stopped 10 s", database_stopped_10s),
]


def table(rows: list[Row]) -> str:
    head = (
        "| scenario | commands | applied once | lost | duplicated | 503s | hung "
        "| longest request (s) | time to recover (s) |"
    )
    lines = [head, "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r.scenario} | {r.commands} | {r.applied_once} | {r.lost} | {r.duplicated} "
            f"| {r.unavailable} | {r.hung} | {r.longest_s:.2f} | {r.recover_s:.2f} |"
        )
    return "\n".join(lines)


async def main() -> int:
    servers = PrivateServers()
    rows: list[Row] = []
    try:
        await asyncio.to_thread(servers.start)
        async with Service(servers) as service:
            async with Client(service.base_url, "planificador", "plan123") as client:
                await client.log_in()
                run = Run(servers, service, client)
                run.orders = await client.pending_orders(ORDERS)
                for name, fault in SCENARIOS:
                    row = await run.scenario(name, fault)
                    rows.append(row)
                    print(table([row]).splitlines()[-1], flush=True)
                assert service.gateway_alive(), "the gateway died"
    finally:
        await asyncio.to_thread(servers.close)
    print(table(rows))
    return 0 if rows and all(r.ok for r in rows) and len(rows) == len(SCENARIOS) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
