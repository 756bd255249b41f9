"""Holding work while the database cannot be reached, instead of failing it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from shared.db.errors import database_unreachable

log = logging.getLogger(__name__)

T = TypeVar("T")
FIRST_PAUSE_S = 0.25
# Short enough that a worker is back within a couple of seconds of the database.
MAX_PAUSE_S = 2.0


async def while_unreachable(
    operation: Callable[[], Awaitable[T]],
    what: str,
    passing: Callable[[BaseException], bool] = database_unreachable,
) -> T:
    """Run `operation` (one whole transaction) again, with back-off, for as long as it fails
    only because the database is unreachable (or another `passing` trouble); any other failure
    propagates.

    Each attempt must be safe to repeat: a commit whose acknowledgement was lost looks like an
    outage, so the next attempt has to find its own earlier work (commands do, in the command log).
    """
    pause = FIRST_PAUSE_S
    while True:
        try:
            return await operation()
        except Exception as exc:
            if not passing(exc):
                raise
            log.warning("%s: database unavailable (%r); retrying in %.2fs", what, exc, pause)
        await asyncio.sleep(pause)
        pause = min(pause * 2, MAX_PAUSE_S)
