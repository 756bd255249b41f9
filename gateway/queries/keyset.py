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
    parts: Sequence[str] = ("TRUE",),
    descending: bool = False,
) -> tuple[Sequence[Row[Any]], int]:
    """Rows of `select … from_ WHERE where` ordered by the two `key` columns (`descending`:
    both from the largest), those after the cursor key `after` only, at most `limit`; and how
    many match `where` in all.

    `parts`: disjoint conditions whose union, under `where`, is the whole match, for a match that
    one index cannot walk in key order (a date window: the orders starting in it, and those
    spanning its start). Each part is walked in key order on its own and the page takes the first
    `limit` rows of their merge; the total adds up the parts' counts, each one a plain
    `count(*)` that an index-only scan can answer. A single OR would read every match instead,
    and the planner keeps no order through a UNION whose branches have a WHERE.

    One statement (one round trip): each page row carries the total, which is split off here.
    """
    first, second = key
    count = " + ".join(f"(SELECT count(*) {from_} WHERE {where} AND {part})" for part in parts)
    keyed = ""
    page_params = {**params, "limit": limit}
    beyond, direction = ("<", " DESC") if descending else (">", "")
    if after is not None:
        keyed = f" AND ({first}, {second}) {beyond} (:after_0, :after_1)"
        page_params |= {"after_0": after[0], "after_1": after[1]}
    by_key = f"{first}{direction}, {second}{direction}"
    ordered = f"ORDER BY {by_key} LIMIT :limit"
    if len(parts) == 1:
        page_where = f"{where} AND {parts[0]}{keyed} {ordered}"
    else:
        # The merge gives the page's keys; the page's columns are read for those rows only.
        legs = " UNION ALL ".join(
            f"(SELECT {first}, {second} {from_} WHERE {where} AND {part}{keyed} {ordered})"
            for part in parts
        )
        page_where = (
            f"({first}, {second}) IN (SELECT * FROM ({legs}) legs"
            f" ORDER BY 1{direction}, 2{direction} LIMIT :limit) ORDER BY {by_key}"
        )
    result = await conn.execute(
        _statement(f"SELECT ({count}) AS {_TOTAL}, {select} {from_} WHERE {page_where}"),
        page_params,
    )
    frozen = result.freeze()
    rows = frozen().columns(*[name for name in result.keys() if name != _TOTAL]).all()
    if rows:
        return rows, int(frozen().scalar() or 0)
    if after is None:
        return rows, 0  # nothing matches at all
    # A page past the last row: the total still counts every match.
    return rows, int((await conn.execute(_statement(f"SELECT {count}"), params)).scalar_one())
