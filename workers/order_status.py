"""What follows a work order's status change, whoever made it (`/ot/{id}/actualizar/`, the app):
the history line, the event, and what it means for the notice the order was made from."""

from __future__ import annotations

from shared.enums import WorkOrderStatus
from shared.messages import events
from workers.avisos import close_notice_of_completed, reopen_notices_of
from workers.uow import UnitOfWork


async def status_changed(
    uow: UnitOfWork,
    work_order_id: int,
    old: WorkOrderStatus | str,
    new: WorkOrderStatus | str,
    *,
    technician_id: int | None,
    aviso_id: int | None,
) -> None:
    uow.record(work_order_id, "estado", {"from": str(old), "to": str(new)})
    uow.emit(
        events.OrderStatusChanged(
            work_order_id=work_order_id,
            old_status=WorkOrderStatus(old),
            new_status=WorkOrderStatus(new),
            technician_id=technician_id,
            changed_by=uow.actor.user_id,
            aviso_id=aviso_id,
        )
    )
    if new == WorkOrderStatus.COMPLETADA:
        await close_notice_of_completed(uow, work_order_id)
    elif new == WorkOrderStatus.CANCELADA:
        await reopen_notices_of(uow, [work_order_id])
