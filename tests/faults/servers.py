"""Private PostgreSQL and RabbitMQ servers the checker may stop and restart at will.

Both run from a temporary directory on ports of their own, so the stock servers other work
relies on are never touched. PostgreSQL's tools refuse root: they run as `postgres`. RabbitMQ is
one node or a cluster of several (`tests/faults/rabbit.py`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tests.faults.ports import free_port
from tests.faults.rabbit import RabbitCluster

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _run(argv: list[str], env: dict[str, str] | None = None, timeout: float = 60) -> None:
    subprocess.run(argv, env=env, check=True, timeout=timeout, capture_output=True)


def _as_user(user: str, argv: list[str]) -> list[str]:
    return argv if os.geteuid() != 0 else ["runuser", "-u", user, "--", *argv]


@dataclass
class PrivatePostgres:
    root: Path
    port: int = field(default_factory=free_port)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/mantenimiento"

    def _ctl(self, *args: str) -> list[str]:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        return _as_user(
            "postgres",
            [
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.root / "log"),
                "-o",
                options,
                "-w",
                *args,
            ],
        )

    def init(self) -> None:
        shutil.chown(self.root, "postgres")
        _run(
            _as_user(
                "postgres",
                [str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres"],
            )
        )
        self.start()
        _run(
            _as_user(
                "postgres",
                [
                    str(PG_BIN / "createdb"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "-U",
                    "postgres",
                    "mantenimiento",
                ],
            )
        )

    def start(self) -> None:
        _run(self._ctl("start"))

    def stop(self) -> None:
        _run(self._ctl("-m", "fast", "stop"))

    def restart(self) -> None:
        _run(self._ctl("-m", "fast", "restart"))

    def running(self) -> bool:
        return subprocess.run(self._ctl("status"), capture_output=True).returncode == 0


class PrivateServers:
    """Both servers in one temporary directory (RabbitMQ as a cluster of `rabbit_nodes` nodes);
    `close()` stops them whatever happened."""

    def __init__(self, rabbit_nodes: int = 1) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="faults-"))
        os.chmod(self.root, 0o755)
        (self.root / "pg").mkdir()
        (self.root / "mq").mkdir()
        self.postgres = PrivatePostgres(self.root / "pg")
        self.rabbit = RabbitCluster(rabbit_nodes, self.root / "mq")

    def start(self) -> None:
        self.postgres.init()
        self.rabbit.start()

    def close(self, keep_logs: Path) -> None:
        self.rabbit.close()
        if self.postgres.running():
            self.postgres.stop()
        shutil.rmtree(keep_logs, ignore_errors=True)
        if (self.root / "logs").exists():
            shutil.copytree(self.root / "logs", keep_logs)
        shutil.rmtree(self.root, ignore_errors=True)
