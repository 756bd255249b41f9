"""The service on a RabbitMQ cluster of three nodes started on this machine from the installed
`rabbitmq-server` (`tests/faults/rabbit.py`), beside a private PostgreSQL: the fault checker's
servers, processes, load and classification (`tests/faults/`), with every node in AMQP_URL.

Two gateways and three `ordenes` workers share the commands, and a notification reaches a
WebSocket whichever gateway the command came through; then the node every process is connected
to, which also leads the command queue, is stopped under load: nothing is lost or applied twice,
no process restarts, and only the requests sent during the failover answer 503. The figures are
printed (`-s` shows them; README "Running at scale" and docs/reliability.md quote them).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import aiohttp
import pytest

from shared.messaging.topology import Names
from tests.faults.load import Client, Command, Tally
from tests.faults.processes import Service
from tests.faults.run import Row, Run, consumers_back, table
from tests.faults.servers import PrivateServers
from tests.metrics import Scrape

pytestmark = [
    pytest.mark.cluster,
    pytest.mark.skipif(os.geteuid() != 0, reason="runs RabbitMQ and PostgreSQL as their users"),
    # Starting the servers (about 20 s) counts towards the first test's time.
    pytest.mark.timeout(300),
]

NODES = 3
ORDERS = 40
ORDENES_WORKERS = 3
KEEP_LOGS = Path("/tmp/cluster-logs")
SOCKET = "/mantenimiento/notificaciones/ws/"
READY = "/mantenimiento/health/ready/"
FAILOVER_LIMIT_S = 60.0
AFTER_FAILOVER_S = 3.0


@pytest.fixture(scope="module")
def servers() -> Iterator[PrivateServers]:
    servers = PrivateServers(rabbit_nodes=NODES)
    try:
        servers.start()
        yield servers
    finally:
        servers.close(KEEP_LOGS)


async def _handled(service: Service, index: int) -> float:
    """Commands worker `index` answered so far (its /metrics)."""
    async with aiohttp.ClientSession() as http:
        async with http.get(service.metrics_url(index)) as response:
            scrape = Scrape(await response.text())
    return sum(sample.value for sample in scrape.samples("mantenimiento_commands_total"))


async def _pushed_across(url_a: str, via_b: Client) -> None:
    """A demo technician with a pending order listens on gateway A; the planner reschedules
    that order through gateway B: the technician's socket gets the notification."""
    for username in ("tecnico1", "tecnico2", "tecnico3", "tecnico4"):
        async with Client(url_a, username, "tecnico123") as technician:
            await technician.log_in()
            me = await technician.read("/auth/me/")
            orders = await via_b.read(f"/ot/?status=PENDIENTE&technician_id={me['id']}&limit=1")
            if not orders:
                continue
            order = int(orders[0]["id"])
            assert technician.http is not None
            headers = {"Authorization": f"Bearer {technician.token}"}
            async with technician.http.ws_connect(SOCKET, headers=headers) as socket:
                command = Command(order, date(2050, 1, 1), "por la pasarela B")
                await via_b.send(command, Tally())
                assert command.answered == 200
                frame = await socket.receive_json(timeout=30)
            assert frame["work_order_id"] == order, frame
            assert "por la pasarela B" in frame["message"], frame
            return
    raise AssertionError("no demo technician has a pending order")


async def test_two_gateways_and_three_workers_share_the_commands(
    servers: PrivateServers,
) -> None:
    workers = ("ordenes",) * ORDENES_WORKERS + ("notificaciones",)
    async with Service(servers, workers=workers, gateways=2, namespace="two") as service:
        url_a, url_b = service.base_urls
        async with (
            Client(url_a, "planificador", "plan123") as via_a,
            Client(url_b, "planificador", "plan123") as via_b,
        ):
            await via_a.log_in()
            await via_b.log_in()
            for url in service.base_urls:
                await _ready(url, time.monotonic())
            await _pushed_across(url_a, via_b)

            before = [await _handled(service, i) for i in range(ORDENES_WORKERS)]
            runs = [Run(servers, service, client) for client in (via_a, via_b)]
            orders = await via_a.pending_orders(ORDERS)
            for run in runs:
                run.orders = orders

            async def calm(_: Run) -> None:
                return None

            rows = await asyncio.gather(
                runs[0].scenario("via A", calm), runs[1].scenario("via B", calm)
            )
            after = [await _handled(service, i) for i in range(ORDENES_WORKERS)]
        assert service.gateway_alive()
    print("\n" + table(list(rows)))
    shares = [int(a - b) for a, b in zip(after, before, strict=True)]
    print(f"commands handled by each of the {ORDENES_WORKERS} ordenes workers: {shares}")
    for row in rows:
        assert row.applied_once == row.commands and row.ok, row
    # Each command was answered by exactly one worker, and every worker took a share.
    assert sum(shares) == sum(row.commands for row in rows), shares
    assert all(share > 0 for share in shares), shares


async def _ready(base_url: str, since: float) -> None:
    """Until the gateway at `base_url` says it is ready (database and broker)."""
    async with aiohttp.ClientSession() as http:
        while time.monotonic() - since < FAILOVER_LIMIT_S:
            try:
                async with http.get(base_url + READY) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"the gateway was not ready within {FAILOVER_LIMIT_S:g} s")


async def _failover_over(run: Run, stopped: str, connections: int, since: float) -> float:
    """Until every process is connected again, to the other nodes, the gateway says ready and
    every queue has its consumers; the moment (monotonic) it was so."""
    cluster = run.servers.rabbit
    while time.monotonic() - since < FAILOVER_LIMIT_S:
        current = await asyncio.to_thread(cluster.connections)
        if stopped not in current and sum(current.values()) >= connections:
            break
        await asyncio.sleep(0.2)
    else:
        raise AssertionError(f"the processes did not reconnect within {FAILOVER_LIMIT_S:g} s")
    run.consumers_back_s = await consumers_back(run, since)
    assert run.consumers_back_s is not None, "a queue was left without consumers"
    await _ready(run.service.base_url, since)
    return time.monotonic()


async def test_stopping_the_node_in_use_loses_nothing(servers: PrivateServers) -> None:
    cluster = servers.rabbit
    first = cluster.nodes[0]
    async with Service(servers, namespace="failover") as service:
        async with Client(service.base_url, "planificador", "plan123") as client:
            await client.log_in()
            run = Run(servers, service, client)
            run.orders = await client.pending_orders(ORDERS)
            await _ready(service.base_url, time.monotonic())
            assert await consumers_back(run, time.monotonic()) is not None
            # Every process came up on the first node listed, and declared the queues there,
            # which makes it their leader: stopping it takes away both at once.
            connections = await asyncio.to_thread(cluster.connections)
            assert set(connections) == {first.node}, connections
            queue = Names(service.namespace)("ordenes")
            assert await asyncio.to_thread(cluster.leader, queue) == first.node
            pids = service.pids()
            moments: dict[str, float] = {}

            async def node_stopped(run: Run) -> float:
                await asyncio.sleep(1.5)
                moments["stopped"] = time.monotonic()
                await asyncio.to_thread(first.stop)
                moments["stop returned"] = time.monotonic()
                moments["over"] = await _failover_over(
                    run, first.node, sum(connections.values()), since=moments["stopped"]
                )
                # Load after the failover too: none of it may answer 503.
                await run.send_until(asyncio.ensure_future(asyncio.sleep(AFTER_FAILOVER_S)))
                return moments["over"]

            row = await run.scenario(f"node {first.node} stopped", node_stopped)
            leader = await asyncio.to_thread(cluster.leader, queue)
            moved = await asyncio.to_thread(cluster.connections)
        assert service.pids() == pids, "a process died or was restarted"
    _report(row, run.tally, moments, leader, dict(moved))
    assert row.ok and row.applied_once == row.commands, row
    assert leader != first.node
    # A 503 answers only a request sent while the failover lasted.
    outside = [
        t for t in run.tally.unavailable_at if not moments["stopped"] <= t <= moments["over"]
    ]
    assert not outside, f"{len(outside)} requests answered 503 outside the failover"


def _report(
    row: Row, tally: Tally, moments: dict[str, float], leader: str, moved: dict[str, int]
) -> None:
    stopped = moments["stopped"]
    print("\n" + table([row]))
    print(
        f"rabbitmqctl stop returned {moments['stop returned'] - stopped:.2f} s after it began; "
        f"every process reconnected, every queue consumed and the gateway ready "
        f"{moments['over'] - stopped:.2f} s after it (as seen by polling with rabbitmqctl)"
    )
    if tally.unavailable_at:
        first, last = min(tally.unavailable_at), max(tally.unavailable_at)
        back = min((t for t in tally.successes_at if t > last), default=last)
        print(
            f"{row.unavailable} answers 503, to requests sent {first - stopped:.2f} s to "
            f"{last - stopped:.2f} s after the stop began; commands answered 200 again "
            f"{back - stopped:.2f} s after it"
        )
    else:
        print("no answer 503")
    print(f"command queue leader now {leader}; connections by node {moved}")
