"""Body references to other rows: every named id checked in one statement, each missing one
reported as a 422 located at its body field."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Table, select

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
