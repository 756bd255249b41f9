"""Telling "try again shortly" from "the statement is wrong".

Two kinds of passing trouble, told apart because the workers treat them differently:
- the database cannot be reached (a connection refused or lost, a server shutting down, starting
  up or out of connections): a worker holds the command and tries again until it answers;
- it answered, but the statement hit one of its limits (`lock_timeout`, `statement_timeout`):
  the command is answered 503 with `Retry-After`, not applied.
Both are 503 for an HTTP caller. Anything else is a bug or a refusal of the data.
"""

from __future__ import annotations

import asyncpg
import sqlalchemy.exc

_UNREACHABLE = (
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    # A connection left mid-operation when the server went away ("another operation is in
    # progress"): unusable, like a dropped one.
    asyncpg.InternalClientError,
    OSError,
    TimeoutError,
)
# SQLSTATEs of a server that is going down, coming up, or full: class 08 (connection
# exception), 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now,
# 53300 too_many_connections.
_UNREACHABLE_STATES = frozenset({"57P01", "57P02", "57P03", "53300"})
# 55P03 lock_not_available (lock_timeout), 57014 query_canceled (statement_timeout).
_LIMIT_STATES = frozenset({"55P03", "57014"})


def _chain(exc: BaseException) -> list[BaseException]:
    """The error, the driver's error SQLAlchemy wraps, and their causes."""
    chain: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and seen not in chain:
        chain.append(seen)
        orig = getattr(seen, "orig", None)
        if isinstance(orig, BaseException) and orig not in chain:
            chain.append(orig)
        seen = seen.__cause__
    return chain


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a PostgreSQL error, raw from asyncpg or wrapped by SQLAlchemy."""
    for error in _chain(exc):
        state = getattr(error, "sqlstate", None)
        if isinstance(state, str):
            return state
    return None


def database_unreachable(exc: BaseException) -> bool:
    if isinstance(exc, sqlalchemy.exc.DBAPIError) and exc.connection_invalidated:
        return True
    state = sqlstate(exc)
    if state is not None:
        return state.startswith("08") or state in _UNREACHABLE_STATES
    return any(isinstance(error, _UNREACHABLE) for error in _chain(exc))


def statement_limit_hit(exc: BaseException) -> bool:
    """A lock not granted within `lock_timeout`, or a statement cut at `statement_timeout`."""
    return sqlstate(exc) in _LIMIT_STATES


def database_busy_or_down(exc: BaseException) -> bool:
    """Either kind of passing trouble: an HTTP caller gets 503 and tries again."""
    return database_unreachable(exc) or statement_limit_hit(exc)
