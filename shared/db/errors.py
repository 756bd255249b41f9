"""Telling "the database cannot be reached" (retry later) from "the statement is wrong"."""

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
    OSError,
    TimeoutError,
)


def database_unreachable(exc: BaseException) -> bool:
    if isinstance(exc, sqlalchemy.exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, _UNREACHABLE)
