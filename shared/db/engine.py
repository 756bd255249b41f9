"""Engine and session factory; built by the process entry points, never at import time."""

from __future__ import annotations

from prometheus_client import Gauge
from sqlalchemy import event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

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
            },
        },
    )
    event.listen(engine.sync_engine, "handle_error", _unreachable_is_disconnect)
    return engine


def _unreachable_is_disconnect(context: ExceptionContext) -> None:
    """Every error that means "the database is unreachable" counts as a disconnect, so the pool
    drops that connection and every other one opened before it. SQLAlchemy alone does not count a
    server shutting down (57P01) or a connection left mid-operation as one: after a restart the
    pool would lend out dead connections again and again."""
    if database_unreachable(context.original_exception):
        context.is_disconnect = True


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
