"""`make test-api`: schemathesis against a live gateway and worker serving the demo plant.

`mantenimiento gateway` and `mantenimiento worker` run as subprocesses on a database and a
broker namespace of the run's own (both removed afterwards); schemathesis reads the live
`/mantenimiento/openapi.json` and calls every operation but logout (it would revoke the token)
as the demo ADMIN. The exit status is schemathesis's. Extra arguments go to schemathesis.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import aiohttp

from shared.demo import LOGINS
from shared.demo_loader import load_if_empty
from shared.settings import Settings
from tests.services import ServiceUrls, own_run, service_urls

CLI = [sys.executable, "-m", "shared.cli"]
WORKER_GROUPS = "ordenes,generacion,notificaciones"
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_schema_conformance,negative_data_rejection"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _environment(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "AMQP_URL": settings.amqp_url,
        "AMQP_NAMESPACE": settings.amqp_namespace,
        "HTTP_PORT": str(settings.http_port),
        "WORKER_METRICS_PORT": "0",
        "LOG_LEVEL": "WARNING",
    }


@contextlib.contextmanager
def _processes(settings: Settings, log: Path) -> Iterator[None]:
    """The gateway and a worker, their log lines in `log` (schemathesis's output stays legible)."""
    env = _environment(settings)
    with log.open("w") as out:
        children = [
            subprocess.Popen([*CLI, "gateway"], env=env, stdout=out, stderr=out),
            subprocess.Popen(
                [*CLI, "worker", "--queues", WORKER_GROUPS], env=env, stdout=out, stderr=out
            ),
        ]
        try:
            yield
        finally:
            for child in children:
                child.terminate()
            for child in children:
                try:
                    child.wait(20)
                except subprocess.TimeoutExpired:
                    child.kill()


async def _admin_token(base: str) -> str:
    """Waits for the gateway to be ready, then logs in as the demo ADMIN."""
    admin = next(login for login in LOGINS if login.role == "ADMIN")
    async with aiohttp.ClientSession() as http:
        deadline = time.monotonic() + 60
        while True:
            try:
                async with http.get(f"{base}/health/ready/") as response:
                    if response.status == 200:
                        break
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the gateway never became ready")
            await asyncio.sleep(0.3)
        credentials = {"username": admin.username, "password": admin.password}
        async with http.post(f"{base}/auth/token/", json=credentials) as response:
            response.raise_for_status()
            return str((await response.json())["token"])


def _schemathesis(base: str, token: str, extra: Sequence[str]) -> int:
    argv = [
        str(SCHEMATHESIS),
        "run",
        f"{base}/openapi.json",
        "--header",
        f"Authorization: Bearer {token}",
        "--exclude-path",
        "/mantenimiento/auth/logout/",
        "--checks",
        CHECKS,
        "--max-examples",
        "25",
        # One thread: CPython 3.11's ast.parse is not thread-safe (gh-106905) and hypothesis
        # calls it while generating, which made runs with two workers fail at random.
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--no-color",
        *extra,
    ]
    return subprocess.call(argv)


async def _run(urls: ServiceUrls, extra: Sequence[str]) -> int:
    async with own_run(urls, "api", http_port=_free_port()) as settings:
        await load_if_empty(settings)
        base = f"http://127.0.0.1:{settings.http_port}/mantenimiento"
        log = Path(tempfile.gettempdir()) / f"{settings.amqp_namespace}.log"
        print(f"gateway and worker log: {log}", flush=True)
        with _processes(settings, log):
            token = await _admin_token(base)
            return await asyncio.to_thread(_schemathesis, base, token, extra)


def main() -> None:
    with service_urls() as urls:
        sys.exit(asyncio.run(_run(urls, sys.argv[1:])))


if __name__ == "__main__":
    main()
