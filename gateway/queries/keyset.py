"""Keyset pagination shared by every paginated list: a page after a cursor key, and the total."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncConnection


async def page(
    conn: AsyncConnection,
    *,
    select: str,
    from_: str,
    where: str,
    params: dict[str, Any],
    key: tuple[str, str],
    after: Sequence[Any] | None,
    limit: int,
) -> tuple[Sequence[Row[Any]], int]:
    """Rows of `select … from_ WHERE where` ordered by the two `key` columns, those after the
    cursor key `after` only, at most `limit`; and how many match `where` in all."""
    total = (
        await conn.execute(text(f"SELECT count(*) {from_} WHERE {where}"), params)
    ).scalar_one()
    page_where = where
    page_params = {**params, "limit": limit}
    if after is not None:
        page_where += f" AND ({key[0]}, {key[1]}) > (:after_0, :after_1)"
        page_params |= {"after_0": after[0], "after_1": after[1]}
    rows = await conn.execute(
        text(
            f"SELECT {select} {from_} WHERE {page_where} ORDER BY {key[0]}, {key[1]} LIMIT :limit"
        ),
        page_params,
    )
    return rows.all(), int(total)
