"""Rescheduling PENDIENTE orders, one or many: the new day keeps each order's local time of day
and its duration, every move is in the order's history, and each technician gets one event."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text

from shared.enums import WorkOrderStatus
from shared.errors import Conflict
from shared.messages import Command, events, success
from shared.messages.planning import RescheduleItem, RescheduleWorkOrder, RescheduleWorkOrders
from workers.dispatcher import Handler
from workers.order_locks import lock_order, lock_orders, refuse_unless
from workers.uow import UnitOfWork

RESCHEDULABLE = (WorkOrderStatus.PENDIENTE,)

# `day + local time of day`, read in the plant's zone; the duration is carried over unchanged.
_MOVE = text(
    """
    UPDATE work_orders wo
       SET scheduled_start = moved.new_start,
           scheduled_end = moved.new_start + (old.scheduled_end - old.scheduled_start),
           version = wo.version + 1,
           updated_at = now()
      FROM unnest(CAST(:ids AS integer[]), CAST(:days AS date[])) AS item(id, day)
      JOIN work_orders old ON old.id = item.id
     CROSS JOIN LATERAL (
           SELECT (item.day + CAST(old.scheduled_start AT TIME ZONE :tz AS time))
                  AT TIME ZONE :tz AS new_start
           ) AS moved
     WHERE wo.id = item.id
    RETURNING wo.id, wo.code, wo.technician_id, wo.version,
              old.scheduled_start AS old_start, wo.scheduled_start AS new_start
    """
)


async def reschedule(uow: UnitOfWork, items: Sequence[RescheduleItem]) -> dict[int, Any]:
    """Move locked, PENDIENTE orders; returns the moved rows by id."""
    rows = (
        await uow.session.execute(
            _MOVE,
            {
                "ids": [item.id for item in items],
                "days": [item.date for item in items],
                "tz": uow.tz.key,
            },
        )
    ).all()
    moved = {row.id: row for row in rows}
    by_technician: dict[int, list[events.RescheduledOrder]] = defaultdict(list)
    reasons: dict[int, set[str]] = defaultdict(set)
    for item in items:
        row = moved[item.id]
        uow.record(
            row.id,
            "fecha",
            {
                "old_start": row.old_start.astimezone(uow.tz).isoformat(),
                "new_start": row.new_start.astimezone(uow.tz).isoformat(),
                "reason": item.reason,
            },
        )
        if row.technician_id is not None:
            by_technician[row.technician_id].append(
                events.RescheduledOrder(
                    id=row.id, code=row.code, old_start=row.old_start, new_start=row.new_start
                )
            )
            reasons[row.technician_id].add(item.reason)
    for technician_id, orders in by_technician.items():
        uow.emit(
            events.OrdersRescheduled(
                technician_id=technician_id,
                changed_by=uow.actor.user_id,
                reason="; ".join(sorted(reasons[technician_id])),
                work_orders=orders,
            )
        )
    return moved


async def reschedule_one(cmd: RescheduleWorkOrder, uow: UnitOfWork) -> dict[str, Any]:
    row = await lock_order(uow.session, cmd.work_order_id, cmd.version)
    if row.status not in RESCHEDULABLE:
        raise Conflict(f"{row.code} is {row.status}; only PENDIENTE orders can be rescheduled")
    item = RescheduleItem(id=cmd.work_order_id, date=cmd.date, reason=cmd.reason)
    moved = (await reschedule(uow, [item]))[cmd.work_order_id]
    return success(
        "Orden reprogramada",
        work_order_id=moved.id,
        scheduled_start=moved.new_start.astimezone(uow.tz).isoformat(),
        version=moved.version,
    )


async def reschedule_many(cmd: RescheduleWorkOrders, uow: UnitOfWork) -> dict[str, Any]:
    ids = [item.id for item in cmd.updates]
    locked = await lock_orders(uow.session, ids)
    refuse_unless(ids, locked, RESCHEDULABLE, lambda index: ["updates", index, "id"], "rescheduled")
    moved = await reschedule(uow, cmd.updates)
    return success(f"{len(moved)} órdenes reprogramadas", updated=len(moved))


HANDLERS: dict[type[Command], Handler] = {
    RescheduleWorkOrder: reschedule_one,
    RescheduleWorkOrders: reschedule_many,
}
