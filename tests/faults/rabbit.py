"""Private RabbitMQ nodes beside the stock one: one node alone (the fault checker's) or several
joined in a cluster, each with its own node name, ports, configuration and directories.

The stock node (`/etc/rabbitmq`: `rabbit@localhost` on 127.0.0.1:5672) is never touched: every
setting it reads from there is overridden through `RABBITMQ_*` variables. The scripts switch to
the `rabbitmq` user themselves, so every node shares that user's Erlang cookie (its HOME's
`.erlang.cookie`), which is what lets them, and `rabbitmqctl`, talk to each other; their
directories belong to that user. A node's Erlang process id is in its pid file: the only process
`kill()` ever ends.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tests.faults.ports import free_port

START_TIMEOUT_S = 90
STOP_TIMEOUT_S = 30


@dataclass
class PrivateRabbit:
    root: Path
    node: str
    port: int = field(default_factory=free_port)
    dist_port: int = field(default_factory=free_port)
    running: bool = False
    # The `rabbitmq-server` script, running as long as the node does.
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

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
            # No plugins: the stock node's management and prometheus listeners stay its own.
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.root / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(self.root / "pid"),
        }

    def launch(self) -> None:
        """Start the node without waiting for it (`wait()` does)."""
        self.root.mkdir(exist_ok=True)
        (self.root / "mnesia").mkdir()
        (self.root / "log").mkdir()
        (self.root / "enabled_plugins").write_text("[].\n")
        (self.root / "rabbitmq.conf").write_text(
            f"listeners.tcp.1 = 127.0.0.1:{self.port}\nloopback_users = none\n"
        )
        for path in [self.root, *self.root.iterdir()]:
            shutil.chown(path, "rabbitmq", "rabbitmq")
        self.process = subprocess.Popen(
            ["rabbitmq-server"],
            env=self.env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.running = True

    def wait(self) -> None:
        self.ctl("wait", "--timeout", str(START_TIMEOUT_S - 30), str(self.root / "pid"))

    def start(self) -> None:
        self.launch()
        self.wait()

    def ctl(self, *args: str, timeout: float = START_TIMEOUT_S) -> str:
        argv = ["rabbitmqctl", "-n", self.node, *args]
        done = subprocess.run(
            argv, env=self.env(), check=True, timeout=timeout, capture_output=True, text=True
        )
        return done.stdout

    def listed(self, what: str, *columns: str) -> list[dict[str, object]]:
        """`rabbitmqctl list_<what>` (queues, connections) of the cluster, as dicts."""
        return list(json.loads(self.ctl(f"list_{what}", "-q", *columns, "--formatter", "json")))

    def consumers(self) -> dict[str, int]:
        """Consumers of every queue, by name."""
        listed = self.listed("queues", "name", "consumers")
        return {str(queue["name"]): int(str(queue["consumers"])) for queue in listed}

    def stop_app(self) -> None:
        self.ctl("stop_app")

    def start_app(self) -> None:
        self.ctl("start_app")

    def join(self, seed: PrivateRabbit) -> None:
        """Join the cluster `seed` belongs to (a fresh node: it has nothing to lose)."""
        self.stop_app()
        self.ctl("join_cluster", seed.node)
        self.start_app()

    def stop(self) -> None:
        self.ctl("stop")
        self.running = False
        self._reap()

    def kill(self) -> None:
        """SIGKILL the node's Erlang process, when it is still there."""
        try:
            pid = int((self.root / "pid").read_text().strip())
            os.kill(pid, signal.SIGKILL)
        except (OSError, ValueError):
            pass
        self.running = False
        self._reap()

    def _reap(self) -> None:
        if self.process is not None:
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class RabbitCluster:
    """`size` private nodes joined into one cluster (one node alone for `size` 1) in `root`;
    `close()` stops every node it started, whatever happened. `url` lists every node, as
    AMQP_URL does on a cluster."""

    def __init__(self, size: int, root: Path) -> None:
        self.root = root
        # Names of the run's own: the nodes of two runs on one machine never meet in epmd.
        run = uuid.uuid4().hex[:6]
        self.nodes = [
            PrivateRabbit(root / f"node{i}", node=f"mq{run}-{i}@localhost")
            for i in range(1, size + 1)
        ]

    @property
    def url(self) -> str:
        return ",".join(node.url for node in self.nodes)

    def start(self) -> None:
        for node in self.nodes:
            node.launch()
        for node in self.nodes:
            node.wait()
        for node in self.nodes[1:]:
            node.join(self.nodes[0])
        status = json.loads(self.nodes[0].ctl("cluster_status", "--formatter", "json"))
        running = set(status["running_nodes"])
        assert running == {node.node for node in self.nodes}, f"not one cluster: {status}"

    def live(self) -> PrivateRabbit:
        """A running node, to ask about the cluster."""
        return next(node for node in self.nodes if node.running)

    def consumers(self) -> dict[str, int]:
        """As a single node's; empty while no running node can say (a leader being elected)."""
        try:
            return self.live().consumers()
        except (subprocess.SubprocessError, ValueError):
            return {}

    def node_at(self, port: int) -> PrivateRabbit:
        return next(node for node in self.nodes if node.port == port)

    def connections(self) -> Counter[str]:
        """Client connections by the node they are on."""
        listed = self.live().listed("connections", "port")
        return Counter(self.node_at(int(str(c["port"]))).node for c in listed)

    def leader(self, queue: str) -> str:
        """The node that leads quorum queue `queue`."""
        for listed in self.live().listed("queues", "name", "leader"):
            if listed["name"] == queue:
                return str(listed["leader"])
        raise LookupError(f"no queue {queue}")

    def close(self) -> None:
        for node in self.nodes:
            if node.running:
                try:
                    node.stop()
                except subprocess.SubprocessError:
                    node.kill()
