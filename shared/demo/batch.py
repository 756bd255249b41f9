"""Batch inserts: one executemany per table, so the statement count is constant however many
rows the demo makes. RETURNING hands ids back in parameter order, which lets later rows
reference earlier ones without reading them back.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.base import Base, table

Row = dict[str, Any]


async def insert_ids(session: AsyncSession, model: type[Base], rows: list[Row]) -> list[int]:
    """Insert the rows in one batch; their ids come back in the order of `rows`."""
    target = table(model)  # Core, not ORM bulk: one batch whatever the NULL patterns
    stmt = insert(target).returning(target.c.id, sort_by_parameter_order=True)
    return list((await session.execute(stmt, rows)).scalars())


async def insert_rows(session: AsyncSession, target: type[Base] | Table, rows: list[Row]) -> None:
    """Insert rows whose ids nobody needs in one batch."""
    await session.execute(insert(target if isinstance(target, Table) else table(target)), rows)
