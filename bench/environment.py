"""The bench's own database and broker namespace, and the processes it starts and stops."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aio_pika
import aiohttp
import asyncpg

from shared.messaging.topology import Names, delete_topology, queue_specs
from shared.settings import Settings

BIN = Path(sys.executable).parent
READY_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Site:
    """Where the bench's service lives: its database, broker namespace and gateway port."""

    database_url: str  # SQLAlchemy form (postgresql+asyncpg://…)
    amqp_url: str
    namespace: str
    http_port: int

    @property
    def dsn(self) -> str:
        """The plain libpq form, for asyncpg."""
        return self.database_url.replace("postgresql+asyncpg://", "postgresql://", 1)

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "AMQP_URL": self.amqp_url,
            "AMQP_NAMESPACE": self.namespace,
            "HTTP_HOST": "127.0.0.1",
            "HTTP_PORT": str(self.http_port),
            "WORKER_METRICS_PORT": "0",
            "LOG_LEVEL": "WARNING",
            # The scenarios' expected answers count whole days in UTC.
            "PLANT_TZ": "UTC",
            **extra,
        }

    def settings(self) -> Settings:
        return Settings(
            database_url=self.database_url,
            amqp_url=self.amqp_url,
            amqp_namespace=self.namespace,
            _env_file=None,
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


@asynccontextmanager
async def bench_site(name: str) -> AsyncIterator[Site]:
    """A fresh database `name` migrated with alembic and a namespace of the same name; both
    removed at the end."""
    base = Settings()
    site = Site(
        database_url=_with_database(base.database_url, name),
        amqp_url=base.amqp_url,
        namespace=name,
        http_port=free_port(),
    )
    admin_dsn = _with_database(site.dsn, "postgres")
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
        await _run([str(BIN / "mantenimiento"), "migrate"], site.env())
        yield site
    finally:
        connection = await aio_pika.connect(site.amqp_url)
        try:
            channel = await connection.channel()
            await delete_topology(channel, site.settings())
            # The RPC ceiling's queue (see bench.ceilings).
            await channel.queue_delete(f"{name}.bench.eco")
        finally:
            await connection.close()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _run(argv: Sequence[str], env: dict[str, str]) -> None:
    process = await asyncio.create_subprocess_exec(*argv, env=env)
    if await process.wait() != 0:
        raise RuntimeError(f"{' '.join(argv)} exited with {process.returncode}")


class Process:
    """A child process of the bench, stopped with SIGTERM (then SIGKILL) on exit."""

    def __init__(self, name: str, argv: Sequence[str], env: dict[str, str]) -> None:
        self.name = name
        self.popen = subprocess.Popen(list(argv), env=env)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def peak_rss_mb(self) -> float:
        """The process's peak resident set so far (VmHWM), in MB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError(f"no VmHWM for {self.name}")

    def check_alive(self) -> None:
        if self.popen.poll() is not None:
            raise RuntimeError(f"{self.name} exited with {self.popen.returncode}")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


async def wait_http(
    url: str, processes: Sequence[Process], timeout: float = READY_TIMEOUT_S
) -> None:
    """Until `url` answers 200 (a child that exits meanwhile fails at once)."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while True:
            for process in processes:
                process.check_alive()
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} not ready after {timeout}s")
            await asyncio.sleep(0.2)


@asynccontextmanager
async def running(processes: Sequence[Process]) -> AsyncIterator[Sequence[Process]]:
    try:
        yield processes
    finally:
        for process in processes:
            process.stop()


def service_processes(site: Site) -> list[Process]:
    """The gateway, a worker for the commands and the machines' readings, and one for the
    notifications, started as in production."""
    return [
        Process("gateway", [str(BIN / "mantenimiento"), "gateway"], site.env()),
        worker_process(site, "worker", "ordenes,generacion,lecturas"),
        worker_process(site, "notifier", "notificaciones"),
    ]


def worker_process(site: Site, name: str, queues: str) -> Process:
    """`mantenimiento worker --queues <queues>` on the bench site."""
    return Process(name, [str(BIN / "mantenimiento"), "worker", "--queues", queues], site.env())


async def until_consuming(site: Site, group: str, count: int, processes: Sequence[Process]) -> None:
    """Until a queue group's queue has `count` consumers, as the broker counts them (a child that
    exits meanwhile fails at once)."""
    name = Names(site.namespace)(queue_specs()[group].queue)
    deadline = time.monotonic() + READY_TIMEOUT_S
    connection = await aio_pika.connect(site.amqp_url)
    try:
        channel = await connection.channel()
        while True:
            for process in processes:
                process.check_alive()
            queue = await channel.declare_queue(name, passive=True)
            if (queue.declaration_result.consumer_count or 0) >= count:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{name} has not {count} consumers after {READY_TIMEOUT_S}s")
            await asyncio.sleep(0.2)
    finally:
        await connection.close()


def ceiling_process(site: Site, kind: str, port: int) -> Process:
    """A bare ceiling server (`bench.ceilings`) on `port`."""
    return Process(
        f"ceiling-{kind}",
        [sys.executable, "-m", "bench.ceilings", kind, "--port", str(port)],
        site.env(),
    )
