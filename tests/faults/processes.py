"""The service as the checker runs it: `mantenimiento gateway` and `worker` subprocesses, so each
can be killed alone. The checker's layout is one gateway, a worker for commands and external
notices and one for notifications; the cluster tests ask for more gateways and workers."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from shared.faults import ENV as CRASH_ENV
from tests.faults.ports import free_port
from tests.faults.servers import PrivateServers
from workers import external_avisos, external_readings
from workers.runner import COMMAND_GROUPS

CLI = [sys.executable, "-m", "shared.cli"]
COMMAND_QUEUES = ",".join((*COMMAND_GROUPS, external_avisos.GROUP, external_readings.GROUP))
# The checker's workers, by index: the command worker and the notifier.
COMMAND_WORKER, NOTIFIER = 0, 1
CHECKER_WORKERS = (COMMAND_QUEUES, "notificaciones")


class Service:
    def __init__(
        self,
        servers: PrivateServers,
        workers: Sequence[str] = CHECKER_WORKERS,
        gateways: int = 1,
        namespace: str = "faults",
    ) -> None:
        self.ports = [free_port() for _ in range(gateways)]
        # Every worker serves its own /metrics, so that each one's work can be read apart.
        self.metrics_ports = [free_port() for _ in workers]
        self.queues = list(workers)
        self.logs = servers.root / "logs"
        self.namespace = namespace
        self.env = {
            **os.environ,
            "DATABASE_URL": servers.postgres.url,
            "AMQP_URL": servers.rabbit.url,
            "AMQP_NAMESPACE": self.namespace,
            "LOG_LEVEL": "WARNING",
            "LOG_FORMAT": "json",
        }
        self.env.pop(CRASH_ENV, None)
        self.gateways: list[asyncio.subprocess.Process] = []
        self.workers: list[asyncio.subprocess.Process | None] = [None] * len(workers)
        self._log_count = 0

    @property
    def base_url(self) -> str:
        return self.base_urls[0]

    @property
    def base_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.ports]

    def metrics_url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.metrics_ports[index]}/metrics"

    async def _spawn(self, *args: str, env: dict[str, str]) -> asyncio.subprocess.Process:
        self._log_count += 1
        # The child writes to its own copy of the file descriptor.
        with open(Path(self.logs) / f"{self._log_count:02d}-{args[0]}.log", "wb") as log:
            return await asyncio.create_subprocess_exec(
                *CLI, *args, env=env, stdout=log, stderr=log
            )

    async def _cli(self, *args: str) -> None:
        process = await self._spawn(*args, env=self.env)
        assert await process.wait() == 0, f"mantenimiento {' '.join(args)} failed (see {self.logs})"

    async def __aenter__(self) -> Service:
        self.logs.mkdir(exist_ok=True)
        await self._cli("migrate")
        await self._cli("demo-data")
        for index in range(len(self.workers)):
            await self.start_worker(index)
        for port in self.ports:
            env = {**self.env, "HTTP_PORT": str(port)}
            self.gateways.append(await self._spawn("gateway", env=env))
        return self

    async def __aexit__(self, *_: object) -> None:
        for process in (*self.workers, *self.gateways):
            if process is not None and process.returncode is None:
                process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(process.wait(), 20)
                except TimeoutError:
                    process.kill()
                    await process.wait()

    async def start_worker(self, index: int = COMMAND_WORKER, crash_at: str | None = None) -> None:
        env = {**self.env, "WORKER_METRICS_PORT": str(self.metrics_ports[index])}
        if crash_at:
            env[CRASH_ENV] = crash_at
        self.workers[index] = await self._spawn("worker", "--queues", self.queues[index], env=env)

    async def kill_worker(self, index: int = COMMAND_WORKER) -> None:
        worker = self.workers[index]
        assert worker is not None
        if worker.returncode is None:
            worker.kill()
        await worker.wait()

    async def restart_worker(
        self, index: int = COMMAND_WORKER, crash_at: str | None = None
    ) -> None:
        await self.kill_worker(index)
        await self.start_worker(index, crash_at)

    async def wait_worker_death(self, timeout: float, index: int = COMMAND_WORKER) -> None:
        worker = self.workers[index]
        assert worker is not None
        code = await asyncio.wait_for(worker.wait(), timeout)
        assert code == -signal.SIGKILL, (
            f"the armed worker ended with {code}, not at its crash point"
        )

    def pids(self) -> list[int]:
        """The running processes' ids, gateways then workers: a process that died or was
        replaced changes the list."""
        return [
            process.pid
            for process in (*self.gateways, *self.workers)
            if process is not None and process.returncode is None
        ]

    def gateway_alive(self) -> bool:
        return bool(self.gateways) and all(p.returncode is None for p in self.gateways)
