"""`mantenimiento demo-data`: load the demo plant in one transaction, into an empty database."""

from __future__ import annotations

from shared.db.engine import create_engine, create_sessionmaker
from shared.demo import DemoLogin, database_is_empty, load_demo_data
from shared.settings import Settings


async def load_if_empty(settings: Settings) -> list[DemoLogin] | None:
    """The demo logins, or None when the database already had data."""
    engine = create_engine(settings, pool_size=1)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            if not await database_is_empty(session):
                return None
            return await load_demo_data(session, tz=settings.tz)
    finally:
        await engine.dispose()
