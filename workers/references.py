"""Which of the ids a body names have no row: one statement whatever their number."""

from __future__ import annotations

import functools
from collections.abc import Sequence

from sqlalchemy import Table, TextClause, text
from sqlalchemy.ext.asyncio import AsyncSession


@functools.cache
def _missing(table: str) -> TextClause:
    return text(
        "SELECT coalesce(array_agg(DISTINCT t.id ORDER BY t.id), '{}')"
        " FROM unnest(CAST(:ids AS integer[])) AS t(id)"
        f" WHERE NOT EXISTS (SELECT 1 FROM {table} x WHERE x.id = t.id)"
    )


async def missing_ids(session: AsyncSession, table: Table, ids: Sequence[int]) -> list[int]:
    """The ids of `ids` that `table` does not hold, ascending."""
    if not ids:
        return []
    found = await session.execute(_missing(table.name), {"ids": list(ids)})
    return list(found.scalar_one())
