"""Where the gateway's lists and searches read.

With DATABASE_READ_URL set, they go to that streaming replica, so the heaviest reads leave the
primary to the commands. What a client reads right after its own command stays on the primary:
single objects (`GET …/{id}/`, with their ETags), the event feed (its commit-order rule reads
the primary's snapshot), command outcomes, notifications and the caller's token. A list may thus
lag the primary by the replica's replay delay (milliseconds on a healthy stream).

A replica that does not answer is skipped for `REPLICA_RETRY_S`: lists read the primary
meanwhile, so losing the replica costs the primary some load, not an outage.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.db.errors import database_unreachable

log = logging.getLogger(__name__)

REPLICA_RETRY_S = 5.0


class ListReads:
    def __init__(self, primary: AsyncEngine, replica: AsyncEngine | None) -> None:
        self._primary = primary
        self._replica = replica
        self._replica_down_until = 0.0

    @contextlib.asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        """A connection to the replica when there is one and it answers, else to the primary."""
        async with contextlib.AsyncExitStack() as stack:
            conn: AsyncConnection | None = None
            if self._replica is not None and time.monotonic() >= self._replica_down_until:
                try:
                    conn = await stack.enter_async_context(self._replica.connect())
                except Exception as exc:
                    if not database_unreachable(exc):
                        raise
                    log.warning("read replica unreachable (%s); lists read the primary", exc)
                    self._replica_down_until = time.monotonic() + REPLICA_RETRY_S
            if conn is None:
                conn = await stack.enter_async_context(self._primary.connect())
            yield conn
