"""Handlers of commands on one work order."""

from __future__ import annotations

from typing import Any

from shared.domain.work_orders import OrderState, plan_status_update
from shared.enums import Role, WorkOrderStatus
from shared.errors import Forbidden
from shared.messages import Command, success
from shared.messages.work_orders import UpdateWorkOrder
from workers.dispatcher import Handler
from workers.order_locks import check_version, lock_order
from workers.order_status import status_changed
from workers.uow import UnitOfWork

# The columns a status/notes update may change (the only names put into its SQL).
_CHANGEABLE = frozenset({"status", "notes", "actual_start", "actual_end"})


async def update_work_order(cmd: UpdateWorkOrder, uow: UnitOfWork) -> dict[str, Any]:
    row = await lock_order(uow.session, cmd.work_order_id)
    if not uow.is_planner and not (
        uow.actor.role == Role.TECNICO and row.technician_id == uow.actor.user_id
    ):
        raise Forbidden("only planners or the assigned technician may update this order")
    check_version(row, cmd.version)

    current = OrderState(WorkOrderStatus(row.status), row.actual_start, row.actual_end)
    changes = plan_status_update(current, cmd.status, cmd.actual_start, cmd.actual_end, uow.now())
    if cmd.notes is not None and cmd.notes != row.notes:
        changes["notes"] = cmd.notes
    if not changes:
        return success("Sin cambios", version=row.version)

    version = row.version + 1
    assert changes.keys() <= _CHANGEABLE
    # The row is locked: the update can wait for the command's last statement.
    uow.write_at_end(
        "UPDATE work_orders SET "
        + "".join(f"{column} = :{column}, " for column in sorted(changes))
        + "version = :version, updated_at = now() WHERE id = :id",
        **changes,
        version=version,
        id=cmd.work_order_id,
    )
    if "status" in changes:
        await status_changed(
            uow,
            cmd.work_order_id,
            row.status,
            changes["status"],
            technician_id=row.technician_id,
            aviso_id=row.aviso_id,
        )
    if "notes" in changes:
        uow.record(cmd.work_order_id, "notas")
    return success("Orden actualizada", version=version)


HANDLERS: dict[type[Command], Handler] = {UpdateWorkOrder: update_work_order}
