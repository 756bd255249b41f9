"""A robust broker connection over the nodes of a RabbitMQ cluster.

aio-pika's robust connection reconnects to the one URL it was given, and restores its channels,
queues (the per-connection reply and push queues among them) and consumers once it is back. This
subclass keeps all of that and changes only where each attempt goes: the nodes in turn, so that
when the node in use goes away the next attempt reaches another one, and a node that is down is
skipped after one failed attempt.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aio_pika import RobustConnection
from yarl import URL


class ClusterConnection(RobustConnection):
    def __init__(self, urls: Sequence[str], **kwargs: Any) -> None:
        if not urls:
            raise ValueError("no broker URL")
        self._nodes = [URL(url) for url in urls]
        self._attempts = 0
        super().__init__(self._nodes[0], **kwargs)
        self._attempts = 0  # the constructor's own read of `url` was not an attempt

    # aio-pika reads `url` once per connection attempt (`Connection.connect`) and once in the
    # constructor: each read answers the next node of the ring.
    @property  # type: ignore[override]
    def url(self) -> URL:
        node = self._nodes[self._attempts % len(self._nodes)]
        self._attempts += 1
        return node

    @url.setter
    def url(self, value: URL) -> None:
        # Set by the constructor to the first node, which the ring already starts with.
        if value != self._nodes[0]:
            raise ValueError("the nodes of a cluster connection are fixed")

    @property
    def node(self) -> URL:
        """The node of the latest attempt (the one connected to, while connected)."""
        return self._nodes[(self._attempts - 1) % len(self._nodes)]

    def __str__(self) -> str:
        node = self.node
        return str(node.with_password("******") if node.password else node)
