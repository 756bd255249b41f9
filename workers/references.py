"""Body references to other rows, checked in one statement whatever their number: single ids
named by body fields (`require_existing`, a 422 per missing one) and lists of ids
(`missing_ids`)."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

from sqlalchemy import Table, TextClause, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.errors import Invalid, field_error
from workers.uow import UnitOfWork

References = Mapping[str, tuple[Table, int | None]]


async def require_existing(uow: UnitOfWork, references: References) -> None:
    """`references` maps a body field to (table, id); a `None` id names nothing and passes."""
    named = {field: ref for field, ref in references.items() if ref[1] is not None}
    if not named:
        return
    row = (
        await uow.session.execute(
            select(
                *(
                    select(ref_table.c.id).where(ref_table.c.id == ref_id).exists().label(field)
                    for field, (ref_table, ref_id) in named.items()
                )
            )
        )
    ).one()
    errors = [
        field_error(["body", field], f"no object with id {ref_id}")
        for field, (_, ref_id) in named.items()
        if not row._mapping[field]
    ]
    if errors:
        raise Invalid("the body refers to objects that do not exist", errors)


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
