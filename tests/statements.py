"""The statements an engine sends while a test watches: what a test of "a batch costs the same
statements whatever its size" counts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

# A worker's outbox relay polls, marks and measures beside whatever a test measures.
_RELAY = (
    "SELECT id, type, data, created_at, trace_context FROM outbox",
    "UPDATE outbox SET published_at",
    "SELECT count(*) AS events",
)


def not_the_relays(statement: str) -> bool:
    return not statement.lstrip().startswith(_RELAY)


def writes(statement: str) -> bool:
    return statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))


@contextmanager
def statements_sent(
    engine: AsyncEngine, keep: Callable[[str], bool] = lambda _: True
) -> Iterator[list[str]]:
    """The statements `engine` sends meanwhile that `keep` keeps, in order."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if keep(statement):
            seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
