"""Which database failures mean "try again shortly", raw from asyncpg or wrapped by SQLAlchemy."""

from __future__ import annotations

import asyncpg
import pytest
import sqlalchemy.exc

from shared.db.errors import database_busy_or_down, database_unreachable, statement_limit_hit


def wrapped(error: Exception) -> sqlalchemy.exc.DBAPIError:
    """As SQLAlchemy's asyncpg dialect raises it: a DBAPI error caused by the driver's."""
    try:
        try:
            raise error
        except Exception as cause:
            raise sqlalchemy.exc.DBAPIError("SELECT 1", None, cause) from cause
    except sqlalchemy.exc.DBAPIError as outer:
        return outer


UNREACHABLE = [
    asyncpg.AdminShutdownError("terminating connection due to administrator command"),
    asyncpg.CrashShutdownError("terminating connection because of crash of another process"),
    asyncpg.CannotConnectNowError("the database system is shutting down"),
    asyncpg.CannotConnectNowError("the database system is starting up"),
    asyncpg.TooManyConnectionsError("sorry, too many clients already"),
    asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    asyncpg.InterfaceError("connection is closed"),
    asyncpg.InternalClientError("cannot switch to state 12; another operation (2) is in progress"),
    ConnectionRefusedError(111, "Connect call failed"),
]
LIMITS = [
    asyncpg.LockNotAvailableError("canceling statement due to lock timeout"),
    asyncpg.QueryCanceledError("canceling statement due to statement timeout"),
]
NEITHER = [
    asyncpg.UniqueViolationError("duplicate key value"),
    asyncpg.UndefinedTableError("relation does not exist"),
    ValueError("a bug"),
]


@pytest.mark.parametrize("error", UNREACHABLE, ids=repr)
def test_a_server_going_down_or_coming_up_is_unreachable(error: Exception) -> None:
    for seen in (error, wrapped(error)):
        assert database_unreachable(seen) and database_busy_or_down(seen)
        assert not statement_limit_hit(seen)


@pytest.mark.parametrize("error", LIMITS, ids=repr)
def test_a_lock_or_time_limit_is_busy_not_unreachable(error: Exception) -> None:
    for seen in (error, wrapped(error)):
        assert statement_limit_hit(seen) and database_busy_or_down(seen)
        assert not database_unreachable(seen)


@pytest.mark.parametrize("error", NEITHER, ids=repr)
def test_a_wrong_statement_or_a_bug_is_neither(error: Exception) -> None:
    for seen in (error, wrapped(error)):
        assert not database_busy_or_down(seen)
