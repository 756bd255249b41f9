"""Engine and session factory; built by the process entry points, never at import time."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from shared.settings import Settings


def create_engine(
    settings: Settings, *, pool_size: int | None = None, autocommit: bool = False
) -> AsyncEngine:
    """An asyncpg engine whose sessions speak the plant's time zone (dates cast in plant time).

    `autocommit` suits single-statement reads: no BEGIN/ROLLBACK round trips around them.
    Every statement and lock wait of its connections is bounded by the settings' limits (a
    command's transaction may set a longer statement limit for itself).
    """
    return create_async_engine(
        settings.database_url,
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


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def _milliseconds(seconds: float) -> str:
    return f"{round(seconds * 1000)}ms"
