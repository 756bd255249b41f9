"""Process-wide logging setup (called by entry points only)."""

from __future__ import annotations

import logging


def configure(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(processName)s %(name)s: %(message)s",
    )
    # aio-pika logs every reconnect attempt at WARNING with a traceback; ours says it once.
    logging.getLogger("aio_pika.robust_connection").setLevel(logging.ERROR)
    # Alembic announces each of its plugins at INFO on every migrate.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
