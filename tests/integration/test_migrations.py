"""The migrations and the models agree, and the migrations run both ways on an empty database."""

from __future__ import annotations

import asyncio

import asyncpg
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.db.base import compared_by_migrations
from shared.db.models import Base
from shared.migrate import downgrade, upgrade
from tests.services import plain_url


async def _differences(url: str) -> list[object]:
    engine = create_async_engine(url)

    def compare(connection: Connection) -> list[object]:
        context = MigrationContext.configure(
            connection, opts={"include_name": compared_by_migrations}
        )
        return list(compare_metadata(context, Base.metadata))

    try:
        async with engine.connect() as conn:
            return await conn.run_sync(compare)
    finally:
        await engine.dispose()


async def _tables(url: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                # A partition is part of its table.
                text(
                    "SELECT relname AS tablename FROM pg_class"
                    " WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p')"
                    " AND NOT relispartition"
                )
            )
            return {row.tablename for row in rows} - {"alembic_version"}
    finally:
        await engine.dispose()


async def test_upgrade_downgrade_upgrade_and_models_match(empty_database: str) -> None:
    await asyncio.to_thread(upgrade, empty_database)
    assert await _tables(empty_database) == set(Base.metadata.tables)
    assert await _differences(empty_database) == []

    await asyncio.to_thread(downgrade, empty_database)
    assert await _tables(empty_database) == set()

    await asyncio.to_thread(upgrade, empty_database)
    assert await _differences(empty_database) == []


async def test_codes_come_from_the_database(empty_database: str) -> None:
    await asyncio.to_thread(upgrade, empty_database)
    conn = await asyncpg.connect(plain_url(empty_database))
    try:
        codes = [
            await conn.fetchval("SELECT next_code('OT', 'work_order_code_seq')") for _ in range(2)
        ]
        year = await conn.fetchval("SELECT to_char(now(), 'YYYY')")
        assert codes == [f"OT-{year}-000001", f"OT-{year}-000002"]
        await conn.execute("SELECT setval('work_order_code_seq', 999999)")
        # Past a million the number grows instead of being cut.
        assert await conn.fetchval("SELECT next_code('OT', 'work_order_code_seq')") == (
            f"OT-{year}-1000000"
        )
    finally:
        await conn.close()
