"""The `mantenimiento` command line as separate processes: worker, gateway, users, migrations."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import uuid
from asyncio.subprocess import Process
from collections.abc import AsyncIterator, Callable

import aio_pika
from aiohttp import ClientSession

from shared.messaging.topology import COMMANDS, declare_topology
from shared.settings import Settings
from tests.api import Api, Plant, wait_ready
from tests.metrics import Scrape, scrape

CLI = [sys.executable, "-m", "shared.cli"]


def environment(settings: Settings, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": settings.database_url,
            "AMQP_URL": settings.amqp_url,
            "AMQP_NAMESPACE": settings.amqp_namespace,
            "WORKER_METRICS_PORT": "0",
            "LOG_LEVEL": "WARNING",
            **extra,
        }
    )
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def serving(
    settings: Settings, caller: Api, **extra: str
) -> AsyncIterator[tuple[Api, list[Process]]]:
    """A worker (orders) and a gateway as processes with `settings` (and `extra` variables), and
    `caller` as a client of that gateway once it is ready; at the end both get SIGTERM and are
    waited for (their exit codes are then the processes' `returncode`)."""
    port = free_port()
    env = environment(settings, HTTP_PORT=str(port), **extra)
    worker = await asyncio.create_subprocess_exec(*CLI, "worker", "--queues", "ordenes", env=env)
    gateway = await asyncio.create_subprocess_exec(*CLI, "gateway", env=env)
    try:
        async with ClientSession(base_url=f"http://127.0.0.1:{port}") as session:
            api = Api(session, caller.token, caller.user)
            await wait_ready(api)
            yield api, [worker, gateway]
    finally:
        for process in (worker, gateway):
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process in (worker, gateway):
            await asyncio.wait_for(process.wait(), 15)


async def test_worker_and_gateway_processes_serve_and_stop_on_sigterm(
    own_namespace: Settings, plant: Plant, planner: Api
) -> None:
    order = await plant.work_order()
    async with serving(own_namespace, planner) as (api, processes):
        response = await api.post(f"/ot/{order}/actualizar/", {"notes": "desde procesos"})
        assert response.status == 200, response.body
    assert (
        await plant.scalar("SELECT notes FROM work_orders WHERE id = :id", id=order)
        == "desde procesos"
    )
    assert [process.returncode for process in processes] == [0, 0]


async def test_run_starts_everything_and_ctrl_c_stops_it(own_namespace: Settings) -> None:
    port = free_port()
    run = await asyncio.create_subprocess_exec(
        *CLI,
        "run",
        env=environment(own_namespace, HTTP_PORT=str(port)),
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert run.stdout is not None
        banner = await asyncio.wait_for(run.stdout.readline(), 30)
        assert f"http://127.0.0.1:{port}/mantenimiento/".encode() in banner
        async with ClientSession(base_url=f"http://127.0.0.1:{port}") as session:
            await wait_ready(Api(session, None))
    finally:
        run.send_signal(signal.SIGINT)
        code = await asyncio.wait_for(run.wait(), 20)
    assert code == 0


async def test_create_user_then_log_in(settings: Settings, http: ClientSession) -> None:
    process = await asyncio.create_subprocess_exec(
        *CLI,
        "create-user",
        "--username",
        "cli-user",
        "--password",
        "clave-segura",
        "--role",
        "PLANIFICADOR",
        "--full-name",
        "Usuario de Consola",
        env=environment(settings),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate()
    assert process.returncode == 0 and b"cli-user" in out
    async with http.post(
        "/mantenimiento/auth/token/", json={"username": "cli-user", "password": "clave-segura"}
    ) as response:
        assert response.status == 200
        body = await response.json()
    assert body["user"]["role"] == "PLANIFICADOR"
    assert body["user"]["full_name"] == "Usuario de Consola"
    async with http.post(
        "/mantenimiento/auth/token/", json={"username": "cli-user", "password": "otra"}
    ) as response:
        assert response.status == 401


async def test_worker_refuses_unknown_queue_groups(settings: Settings) -> None:
    process = await asyncio.create_subprocess_exec(
        *CLI,
        "worker",
        "--queues",
        "ordenes,inventario",
        env=environment(settings),
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode != 0 and b"inventario" in err


async def test_migrate_then_demo_data_into_an_empty_database(
    settings: Settings, empty_database: str
) -> None:
    env = environment(settings.model_copy(update={"database_url": empty_database}))

    async def cli(*args: str) -> tuple[int, str]:
        process = await asyncio.create_subprocess_exec(
            *CLI, *args, env=env, stdout=asyncio.subprocess.PIPE
        )
        out, _ = await asyncio.wait_for(process.communicate(), 120)
        assert process.returncode is not None
        return process.returncode, out.decode()

    assert (await cli("migrate"))[0] == 0
    code, out = await cli("demo-data")
    assert code == 0 and "Demo plant loaded" in out
    assert "planificador" in out and "plan123" in out
    code, out = await cli("demo-data")
    assert code == 0 and "already has data" in out


async def test_worker_exits_when_the_topology_cannot_be_declared(own_namespace: Settings) -> None:
    # Someone declared the queue with other arguments: retrying cannot help.
    connection = await aio_pika.connect(own_namespace.amqp_url)
    channel = await connection.channel()
    await channel.declare_queue(f"{own_namespace.amqp_namespace}.ordenes", durable=True)
    await connection.close()
    process = await asyncio.create_subprocess_exec(
        *CLI,
        "worker",
        "--queues",
        "ordenes",
        env=environment(own_namespace),
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1
    assert b"broker set-up failed" in err


async def _publish_without_sender(settings: Settings) -> None:
    """A command message missing its sender's headers: the worker dead-letters it."""
    connection = await aio_pika.connect(settings.amqp_url)
    channel = await connection.channel()
    topology = await declare_topology(channel, settings)
    await topology.exchanges[COMMANDS].publish(
        aio_pika.Message(b"{}", message_id=str(uuid.uuid4()), type="ot.actualizar"),
        "ot.actualizar",
    )
    await connection.close()


async def _scrape_until(http: ClientSession, url: str, done: Callable[[Scrape], bool]) -> Scrape:
    """Scrape until `done` holds (the worker counts a dead letter as it rejects it)."""
    for _ in range(100):
        metrics = await scrape(http, url)
        if done(metrics):
            return metrics
        await asyncio.sleep(0.1)
    raise AssertionError(f"{url} never showed what was expected")


async def test_worker_metrics_after_a_command_and_a_dead_letter(
    own_namespace: Settings, plant: Plant, planner: Api, gateway_for
) -> None:  # type: ignore[no-untyped-def]
    metrics_port = free_port()
    url = f"http://127.0.0.1:{metrics_port}/metrics"
    worker = await asyncio.create_subprocess_exec(
        *CLI,
        "worker",
        "--queues",
        "ordenes",
        env=environment(own_namespace, WORKER_METRICS_PORT=str(metrics_port)),
    )
    try:
        api, _ = await gateway_for(own_namespace)
        order = await plant.work_order()
        response = await api.post(f"/ot/{order}/actualizar/", {"notes": "medida"})
        assert response.status == 200, response.body
        async with ClientSession() as http:
            metrics = await scrape(http, url)
            answered = {"kind": "ot.actualizar", "http_status": "200"}
            assert metrics.value("mantenimiento_commands_total", **answered) == 1
            success = {"kind": "ot.actualizar", "outcome": "success"}
            assert metrics.value("mantenimiento_command_seconds_count", **success) == 1
            assert metrics.label_names("mantenimiento_command_seconds_bucket") == {
                "kind",
                "outcome",
                "le",
            }
            # The outbox is the database's: any worker's relay may have published the event.
            assert metrics.type_of("mantenimiento_outbox_relay_lag_seconds") == "histogram"
            assert metrics.value("mantenimiento_outbox_relay_lag_seconds_count") >= 0
            assert metrics.value("mantenimiento_outbox_backlog") >= 0
            assert metrics.value("mantenimiento_outbox_oldest_age_seconds") >= 0
            pool_size = metrics.value("mantenimiento_db_pool_size")
            assert 0 <= metrics.value("mantenimiento_db_pool_in_use") <= pool_size
            # The consumed group's dead letters count from 0, then count each one.
            dead = "mantenimiento_dead_lettered_total"
            assert metrics.label_names(dead) == {"queue"}
            assert metrics.value(dead, queue="ordenes") == 0
            await _publish_without_sender(own_namespace)
            await _scrape_until(http, url, lambda m: m.value(dead, queue="ordenes") == 1)
            # A worker serves its own figures, not the gateway's.
            assert "mantenimiento_http_request_seconds" not in metrics.families
    finally:
        worker.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(worker.wait(), 15) == 0


async def test_preflight_names_the_service_it_cannot_reach(settings: Settings) -> None:
    closed = f"amqp://guest:guest@127.0.0.1:{free_port()}/"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "shared.preflight",
        env=environment(settings.model_copy(update={"amqp_url": closed})),
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 1
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"RabbitMQ is not reachable at {closed}")
    ok = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "shared.preflight", env=environment(settings)
    )
    assert await asyncio.wait_for(ok.wait(), 30) == 0
