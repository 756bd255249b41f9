"""Private PostgreSQL and RabbitMQ servers the checker may stop and restart at will.

Both run from a temporary directory on ports of their own, so the stock servers other work
relies on are never touched. PostgreSQL's tools refuse root: they run as `postgres`; the RabbitMQ
scripts switch to the `rabbitmq` user themselves, and their directories belong to it.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


@dataclass
class PrivateRabbit:
    root: Path
    port: int = field(default_factory=free_port)
    dist_port: int = field(default_factory=free_port)
    node: str = "faults@localhost"

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_CONFIG_FILE": str(self.root / "rabbitmq.conf"),
            "RABBITMQ_MNESIA_BASE": str(self.root / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.root / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.root / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(self.root / "pid"),
        }

    def start(self) -> None:
        (self.root / "mnesia").mkdir()
        (self.root / "log").mkdir()
        (self.root / "enabled_plugins").write_text("[].\n")
        (self.root / "rabbitmq.conf").write_text(
            f"listeners.tcp.1 = 127.0.0.1:{self.port}\nloopback_users = none\n"
        )
        for path in [self.root, *self.root.iterdir()]:
            shutil.chown(path, "rabbitmq", "rabbitmq")
        subprocess.Popen(
            ["rabbitmq-server"],
            env=self.env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.ctl("wait", "--timeout", "60", str(self.root / "pid"), timeout=90)

    def ctl(self, *args: str, timeout: float = 60) -> str:
        argv = ["rabbitmqctl", "-n", self.node, *args]
        done = subprocess.run(
            argv, env=self.env(), check=True, timeout=timeout, capture_output=True, text=True
        )
        return done.stdout

    def consumers(self) -> dict[str, int]:
        """Consumers of every queue, by name."""
        listed = json.loads(
            self.ctl("list_queues", "-q", "name", "consumers", "--formatter", "json")
        )
        return {queue["name"]: int(queue["consumers"]) for queue in listed}

    def stop_app(self) -> None:
        self.ctl("stop_app")

    def start_app(self) -> None:
        self.ctl("start_app")

    def stop(self) -> None:
        self.ctl("stop")


class PrivateServers:
    """Both servers in one temporary directory; `close()` stops them whatever happened."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="faults-"))
        os.chmod(self.root, 0o755)
        (self.root / "pg").mkdir()
        (self.root / "mq").mkdir()
        self.postgres = PrivatePostgres(self.root / "pg")
        self.rabbit = PrivateRabbit(self.root / "mq")
        self._started: list[str] = []

    def start(self) -> None:
        self.postgres.init()
        self._started.append("postgres")
        self._started.append("rabbit")
        self.rabbit.start()

    def close(self, keep_logs: Path) -> None:
        if "rabbit" in self._started:
            try:
                self.rabbit.stop()
            except subprocess.SubprocessError:
                pass
        if "postgres" in self._started and self.postgres.running():
            self.postgres.stop()
        shutil.rmtree(keep_logs, ignore_errors=True)
        if (self.root / "logs").exists():
            shutil.copytree(self.root / "logs", keep_logs)
        shutil.rmtree(self.root, ignore_errors=True)
