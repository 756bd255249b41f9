"""Saving a row whose one column must be unique (a code, a username, a name)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, select, update
from sqlalchemy.dialects.postgresql import insert

from shared.errors import Conflict, field_error
from workers.uow import UnitOfWork


async def write_unique(
    uow: UnitOfWork,
    table: Table,
    values: dict[str, Any],
    object_id: int | None,
    unique: str,
    what: str,
) -> int:
    """Insert (no `object_id`) or update the row; its id. A taken `unique` value is a 409: told
    by the write's own result (`ON CONFLICT DO NOTHING`, a `NOT EXISTS` guard), no
    IntegrityError caught."""
    if object_id is None:
        statement: Any = insert(table).values(values).on_conflict_do_nothing()
    else:
        taken = select(table.c.id).where(table.c[unique] == values[unique], table.c.id != object_id)
        statement = update(table).where(table.c.id == object_id, ~taken.exists()).values(values)
    saved = (await uow.session.execute(statement.returning(table.c.id))).scalar_one_or_none()
    if saved is None:
        raise Conflict(
            f"a {what} with {unique} {values[unique]!r} already exists",
            [field_error(["body", unique], "already exists")],
        )
    return int(saved)
