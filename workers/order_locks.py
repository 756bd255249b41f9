"""Locking the work orders a planning command touches, and naming the ones it may not touch.

Rows are locked in id order, so two commands over overlapping sets of orders queue up behind each
other instead of deadlocking.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.enums import WorkOrderStatus
from shared.errors import Conflict, NotFound, field_error

# Every column a command on orders decides with (status changes, the app, planning).
_LOCK = text(
    "SELECT id, code, status, type, technician_id, version, notes, actual_start, actual_end,"
    " aviso_id FROM work_orders WHERE id = ANY(CAST(:ids AS integer[])) ORDER BY id FOR UPDATE"
)


async def lock_orders(session: AsyncSession, ids: Sequence[int]) -> dict[int, Row[Any]]:
    """The orders among `ids` that exist, locked until the end of the transaction."""
    rows = (await session.execute(_LOCK, {"ids": list(ids)})).all()
    return {row.id: row for row in rows}


async def find_locked(session: AsyncSession, order_id: int) -> Row[Any] | None:
    """One order, locked, or None."""
    return (await lock_orders(session, [order_id])).get(order_id)


async def lock_order(session: AsyncSession, order_id: int, version: int | None = None) -> Row[Any]:
    """One order, locked; 404 when it doesn't exist, 409 when `version` is stale."""
    row = await find_locked(session, order_id)
    if row is None:
        raise NotFound(f"work order {order_id} not found")
    check_version(row, version)
    return row


def check_version(row: Row[Any], version: int | None) -> None:
    if version is not None and version != row.version:
        raise Conflict(
            f"stale version {version}: work order {row.id} is at version {row.version}",
            [field_error(["body", "version"], "stale version", id=row.id)],
        )


def refuse_unless(
    ids: Sequence[int],
    locked: dict[int, Row[Any]],
    allowed: Collection[WorkOrderStatus],
    loc: Callable[[int], list[str | int]],
    action: str,
) -> None:
    """409 naming every id that is unknown or in a status `action` doesn't allow."""
    errors = []
    for index, order_id in enumerate(ids):
        row = locked.get(order_id)
        if row is None:
            errors.append(field_error(loc(index), "work order not found", id=order_id))
        elif row.status not in allowed:
            msg = f"{row.code} is {row.status}; only {'/'.join(allowed)} orders can be {action}"
            errors.append(field_error(loc(index), msg, id=order_id))
    if errors:
        raise Conflict(f"{len(errors)} of {len(ids)} orders cannot be {action}", errors)
