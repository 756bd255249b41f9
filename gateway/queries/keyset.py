"""Keyset pagination shared by every paginated list: a page after a cursor key, and the total."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, TextClause, text
from sqlalchemy.ext.asyncio import AsyncConnection

_TOTAL = "page_total__"


@functools.lru_cache(maxsize=512)
def _statement(sql: str) -> TextClause:
    # Parsing a statement's text for its parameters costs more than running a short query.
    return text(sql)


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
    cursor key `after` only, at most `limit`; and how many match `where` in all.

    One statement (one round trip): each page row carries the total, which is split off here.
    """
    count = f"SELECT count(*) {from_} WHERE {where}"
    page_where = where
    page_params = {**params, "limit": limit}
    if after is not None:
        page_where += f" AND ({key[0]}, {key[1]}) > (:after_0, :after_1)"
        page_params |= {"after_0": after[0], "after_1": after[1]}
    result = await conn.execute(
        _statement(
            f"SELECT ({count}) AS {_TOTAL}, {select} {from_} WHERE {page_where}"
            f" ORDER BY {key[0]}, {key[1]} LIMIT :limit"
        ),
        page_params,
    )
    frozen = result.freeze()
    rows = frozen().columns(*[name for name in result.keys() if name != _TOTAL]).all()
    if rows:
        return rows, int(frozen().scalar() or 0)
    if after is None:
        return rows, 0  # nothing matches at all
    # A page past the last row: the total still counts every match.
    return rows, int((await conn.execute(_statement(count), params)).scalar_one())
