"""Work-order history lines, written with one statement in the handler's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert

from shared.db.models import WorkOrderEvent
from workers.uow import UnitOfWork


async def record(uow: UnitOfWork, lines: list[tuple[int, str, dict[str, Any]]]) -> None:
    """`lines`: (work_order_id, event, data) each, attributed to the command's user."""
    if not lines:
        return
    await uow.session.execute(
        insert(WorkOrderEvent),
        [
            {"work_order_id": order_id, "user_id": uow.actor.user_id, "event": event, "data": data}
            for order_id, event, data in lines
        ],
    )
