"""The service as the checker runs it: `mantenimiento gateway` and two `worker` subprocesses,
one for commands and external notices, one for notifications, so each can be killed alone."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from shared.faults import ENV as CRASH_ENV
from tests.faults.servers import PrivateServers, free_port
from workers import external_avisos
from workers.runner import COMMAND_GROUPS

CLI = [sys.executable, "-m", "shared.cli"]
COMMAND_QUEUES = ",".join((*COMMAND_GROUPS, external_avisos.GROUP))


class Service:
    def __init__(self, servers: PrivateServers) -> None:
        self.port = free_port()
        self.logs = servers.root / "logs"
        self.namespace = "faults"
        self.env = {
            **os.environ,
            "DATABASE_URL": servers.postgres.url,
            "AMQP_URL": servers.rabbit.url,
            "AMQP_NAMESPACE": self.namespace,
            "HTTP_PORT": str(self.port),
            "WORKER_METRICS_PORT": "0",
            "LOG_LEVEL": "WARNING",
            "LOG_FORMAT": "json",
        }
        self.env.pop(CRASH_ENV, None)
        self.gateway: asyncio.subprocess.Process | None = None
        self.worker: asyncio.subprocess.Process | None = None
        self.notifier: asyncio.subprocess.Process | None = None
        self._log_count = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _spawn(
        self, *args: str, env: dict[str, str] | None = None
    ) -> asyncio.subprocess.Process:
        self._log_count += 1
        log = open(Path(self.logs) / f"{self._log_count:02d}-{args[0]}.log", "wb")  # noqa: SIM115
        return await asyncio.create_subprocess_exec(
            *CLI, *args, env=env or self.env, stdout=log, stderr=log
        )

    async def _cli(self, *args: str) -> None:
        process = await self._spawn(*args)
        assert await process.wait() == 0, f"mantenimiento {' '.join(args)} failed (see {self.logs})"

    async def __aenter__(self) -> Service:
        self.logs.mkdir(exist_ok=True)
        await self._cli("migrate")
        await self._cli("demo-data")
        await self.start_worker()
        await self.start_notifier()
        self.gateway = await self._spawn("gateway")
        return self

    async def __aexit__(self, *_: object) -> None:
        for process in (self.worker, self.notifier, self.gateway):
            if process is not None and process.returncode is None:
                process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(process.wait(), 20)
                except TimeoutError:
                    process.kill()
                    await process.wait()

    async def start_worker(self, crash_at: str | None = None) -> None:
        env = {**self.env, CRASH_ENV: crash_at} if crash_at else None
        self.worker = await self._spawn("worker", "--queues", COMMAND_QUEUES, env=env)

    async def start_notifier(self) -> None:
        self.notifier = await self._spawn("worker", "--queues", "notificaciones")

    async def kill_notifier(self) -> None:
        assert self.notifier is not None
        if self.notifier.returncode is None:
            self.notifier.kill()
        await self.notifier.wait()

    async def kill_worker(self) -> None:
        assert self.worker is not None
        if self.worker.returncode is None:
            self.worker.kill()
        await self.worker.wait()

    async def restart_worker(self, crash_at: str | None = None) -> None:
        await self.kill_worker()
        await self.start_worker(crash_at)

    async def wait_worker_death(self, timeout: float) -> None:
        assert self.worker is not None
        code = await asyncio.wait_for(self.worker.wait(), timeout)
        assert code == -signal.SIGKILL, (
            f"the armed worker ended with {code}, not at its crash point"
        )

    def gateway_alive(self) -> bool:
        return self.gateway is not None and self.gateway.returncode is None
