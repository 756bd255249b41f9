"""Engine and session factory; built by the process entry points, never at import time."""

from __future__ import annotations

import time
import weakref

from prometheus_client import Gauge
from sqlalchemy import event
from sqlalchemy.engine import Engine, ExceptionContext
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from shared.db.errors import database_unreachable
from shared.settings import Settings


def create_engine(
    settings: Settings,
    *,
    pool_size: int | None = None,
    autocommit: bool = False,
    url: str | None = None,
) -> AsyncEngine:
    """An asyncpg engine whose sessions speak the plant's time zone (dates cast in plant time).

    `autocommit` suits single-statement reads: no BEGIN/ROLLBACK round trips around them.
    `url`: another server than DATABASE_URL's (the read replica).
    Every statement and lock wait of its connections is bounded by the settings' limits (a
    command's transaction may set a longer statement limit for itself).
    """
    engine = create_async_engine(
        url or settings.database_url,
        isolation_level="AUTOCOMMIT" if autocommit else "READ COMMITTED",
        pool_size=pool_size or settings.db_pool_size,
        max_overflow=0,
        pool_timeout=settings.db_connect_timeout_s,
        connect_args={
            "timeout": settings.db_connect_timeout_s,
            "server_settings": {
                "timezone": settings.plant_tz,
                "application_name": "mantenimiento",
                "lock_timeout": _milliseconds(settings.db_lock_timeout_s),
                "statement_timeout": _milliseconds(settings.db_statement_timeout_s),
                # The service's statements are short, or set-based over many rows: JIT
                # compilation costs them more than it saves (the generation statement, planned
                # for every program, took seconds to compile for a few milliseconds of work).
                "jit": "off",
            },
        },
    )
    event.listen(engine.sync_engine, "handle_error", _unreachable_is_disconnect)
    freshness = _Freshness()
    _FRESHNESS[engine.sync_engine] = freshness
    event.listen(engine.sync_engine, "connect", freshness.opened)
    event.listen(engine.sync_engine, "checkout", freshness.checkout)
    return engine


def _unreachable_is_disconnect(context: ExceptionContext) -> None:
    """Every error that means "the database is unreachable" counts as a disconnect, so the pool
    drops that connection and every other one opened before it. SQLAlchemy alone does not count a
    server shutting down (57P01) or a connection left mid-operation as one: after a restart the
    pool would lend out dead connections again and again."""
    if database_unreachable(context.original_exception):
        context.is_disconnect = True


class _Freshness:
    """When the database was last found unreachable outside SQLAlchemy's sight (the gateway's
    raw asyncpg reads): a connection the pool opened before then is replaced at checkout, as
    SQLAlchemy replaces them after a disconnect it saw itself."""

    def __init__(self) -> None:
        self.lost_at = 0.0

    def opened(self, _dbapi_connection: object, record: ConnectionPoolEntry) -> None:
        record.info[_OPENED_AT] = time.monotonic()

    def checkout(
        self, _dbapi_connection: object, record: ConnectionPoolEntry, _proxy: object
    ) -> None:
        if record.info.get(_OPENED_AT, 0.0) < self.lost_at:
            raise DisconnectionError("opened before the database was last found unreachable")


_OPENED_AT = "mantenimiento_opened_at"
_FRESHNESS: weakref.WeakKeyDictionary[Engine, _Freshness] = weakref.WeakKeyDictionary()


def connections_lost(engine: Engine) -> None:
    """The database was found unreachable on one of `engine`'s connections: every connection
    opened before now is presumed dead too (a restart drops them all)."""
    _FRESHNESS[engine].lost_at = time.monotonic()


POOL_IN_USE = Gauge(
    "mantenimiento_db_pool_in_use", "Database connections lent out by this process's pool"
)
POOL_SIZE = Gauge("mantenimiento_db_pool_size", "Size of this process's database pool")


def observe_pool(engine: AsyncEngine) -> None:
    """Report `engine`'s pool on `/metrics` (the process's service engine)."""
    pool = engine.sync_engine.pool
    POOL_IN_USE.set_function(lambda: pool.checkedout())  # type: ignore[attr-defined]
    POOL_SIZE.set_function(lambda: pool.size())  # type: ignore[attr-defined]


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def _milliseconds(seconds: float) -> str:
    return f"{round(seconds * 1000)}ms"
