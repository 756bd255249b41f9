"""Notices filed in the app, and corrective orders made from notices by planners."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import text

from shared.enums import AvisoStatus, Role, WorkOrderStatus, WorkOrderType
from shared.errors import Conflict, Invalid, NotFound, field_error
from shared.messages import Command, events, success
from shared.messages.avisos import CreateAviso, GenerateOrderFromAviso
from workers.avisos import NewNotice, open_notices
from workers.dispatcher import Handler
from workers.uow import UnitOfWork

APP_SOURCE = "APP"
# A corrective order made from a notice starts at this plant-local time of its day and is
# planned for this long; planners move it afterwards like any order.
CORRECTIVE_START = time(8, 0)
CORRECTIVE_DURATION = timedelta(hours=2)

_ASSET_EXISTS = text("SELECT EXISTS (SELECT 1 FROM assets WHERE id = :id)")
_LOCK_NOTICE = text(
    "SELECT asset_id, title, description, status, work_order_id, author_id"
    " FROM avisos WHERE id = :id FOR UPDATE"
)
_ACTIVE_TECHNICIAN = text(
    "SELECT EXISTS (SELECT 1 FROM users WHERE id = :id AND role = :role AND active)"
)
_CREATE_ORDER = text(
    """
    WITH made AS (
        INSERT INTO work_orders (type, status, title, scheduled_start, scheduled_end,
                                 technician_id, notes, aviso_id)
        VALUES (:type, :status, :title, :start, :end, :technician_id, :notes, :aviso_id)
        RETURNING id
    ), linked AS (
        INSERT INTO work_order_assets (work_order_id, asset_id)
        SELECT id, :asset_id FROM made
    )
    SELECT id FROM made
    """
)
_LINK_NOTICE = text(
    "UPDATE avisos SET status = :status, work_order_id = :work_order_id, updated_at = now()"
    " WHERE id = :id"
)


async def create_aviso(cmd: CreateAviso, uow: UnitOfWork) -> dict[str, Any]:
    if not (await uow.session.execute(_ASSET_EXISTS, {"id": cmd.asset_id})).scalar_one():
        raise Invalid(
            f"asset {cmd.asset_id} does not exist",
            [field_error(["body", "asset_id"], "unknown asset")],
        )
    notice = NewNotice(cmd.asset_id, cmd.title, cmd.description, cmd.priority, APP_SOURCE)
    [aviso_id] = await open_notices(uow, [notice])
    return success("Aviso creado", aviso_id=aviso_id)


async def generate_order(cmd: GenerateOrderFromAviso, uow: UnitOfWork) -> dict[str, Any]:
    notice = (await uow.session.execute(_LOCK_NOTICE, {"id": cmd.aviso_id})).first()
    if notice is None:
        raise NotFound(f"notice {cmd.aviso_id} not found")
    if notice.work_order_id is not None:
        raise Conflict(
            f"notice {cmd.aviso_id} already has order {notice.work_order_id}",
            [
                field_error(
                    ["path", "id"], "already has an order", work_order_id=notice.work_order_id
                )
            ],
        )
    if notice.status == AvisoStatus.CERRADO:
        raise Conflict(f"notice {cmd.aviso_id} is closed")
    if (
        cmd.technician_id is not None
        and not (
            await uow.session.execute(
                _ACTIVE_TECHNICIAN, {"id": cmd.technician_id, "role": Role.TECNICO.value}
            )
        ).scalar_one()
    ):
        raise Invalid(
            f"user {cmd.technician_id} is not an active technician",
            [field_error(["body", "technician_id"], "not an active technician")],
        )
    start = datetime.combine(cmd.date, CORRECTIVE_START, uow.tz)
    work_order_id = (
        await uow.session.execute(
            _CREATE_ORDER,
            {
                "type": WorkOrderType.CORRECTIVA.value,
                "status": WorkOrderStatus.PENDIENTE.value,
                "title": notice.title,
                "start": start,
                "end": start + CORRECTIVE_DURATION,
                "technician_id": cmd.technician_id,
                "notes": notice.description,
                "aviso_id": cmd.aviso_id,
                "asset_id": notice.asset_id,
            },
        )
    ).scalar_one()
    await uow.session.execute(
        _LINK_NOTICE,
        {
            "id": cmd.aviso_id,
            "status": AvisoStatus.EN_PROCESO.value,
            "work_order_id": work_order_id,
        },
    )
    uow.record(work_order_id, "creacion", {"aviso_id": cmd.aviso_id})
    if cmd.technician_id is not None:
        uow.emit(
            events.OrderAssigned(
                work_order_id=work_order_id,
                technician_id=cmd.technician_id,
                assigned_by=uow.actor.user_id,
            )
        )
    uow.emit(
        events.AvisoUpdated(
            aviso_id=cmd.aviso_id,
            author_id=notice.author_id,
            old_status=notice.status,
            new_status=AvisoStatus.EN_PROCESO,
            work_order_id=work_order_id,
        )
    )
    return success("Orden correctiva creada", work_order_id=work_order_id)


HANDLERS: dict[type[Command], Handler] = {
    CreateAviso: create_aviso,
    GenerateOrderFromAviso: generate_order,
}
