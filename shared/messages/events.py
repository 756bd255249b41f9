"""Domain events: written to the outbox with the change that caused them, published to
`mantenimiento.eventos` with their `type` as routing key, served by `GET /eventos/`.

The message body is `{"id": <outbox id>, "type", "at", "data"}`; `data` is one of the models
below, validated when emitted and again by every consumer (`parse`). Orders without a technician
produce no technician-addressed event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from shared.enums import AvisoStatus, WorkOrderStatus

# Routing key → event model; filled as event classes are defined.
EVENTS: dict[str, type[DomainEvent]] = {}


class DomainEvent(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    type: ClassVar[str]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "type" in cls.__dict__:
            if cls.type in EVENTS:
                raise TypeError(f"two events share type {cls.type}")
            EVENTS[cls.type] = cls


def parse(event_type: str, data: Any) -> DomainEvent | None:
    """The event model of a received event, or None for a type this code does not know."""
    model = EVENTS.get(event_type)
    return model.model_validate(data) if model else None


class OrderAssigned(DomainEvent):
    """An order was assigned to a technician (created for them: split, notice, generation of one
    order)."""

    type = "ot.asignada"
    work_order_id: int
    technician_id: int
    assigned_by: int | None


class OrderStatusChanged(DomainEvent):
    type = "ot.estado"
    work_order_id: int
    old_status: WorkOrderStatus
    new_status: WorkOrderStatus
    technician_id: int | None
    changed_by: int | None
    # The notice this order was made from: its author is told of the change.
    aviso_id: int | None = None


class RescheduledOrder(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: int
    code: str
    old_start: datetime
    new_start: datetime


class OrdersRescheduled(DomainEvent):
    """One technician's orders moved by one command (one order or a bulk change)."""

    type = "ot.fecha_cambiada"
    technician_id: int
    changed_by: int | None
    reason: str
    work_orders: list[RescheduledOrder]


class OrdersGenerated(DomainEvent):
    """One technician's orders created by one batch generation."""

    type = "ot.generadas"
    technician_id: int
    count: int
    work_order_ids: list[int]


class OrderSplit(DomainEvent):
    type = "ot.dividida"
    work_order_id: int
    new_work_order_ids: list[int]
    split_by: int | None


class OrdersMerged(DomainEvent):
    type = "ot.fusionadas"
    work_order_id: int
    merged_work_order_ids: list[int]
    merged_by: int | None


class OrdersDeleted(DomainEvent):
    type = "ot.eliminadas"
    work_order_ids: list[int]
    deleted_by: int | None


class AvisoCreated(DomainEvent):
    """A notice was opened (by a person, an inspection, or an external system)."""

    type = "aviso.creado"
    aviso_id: int
    asset_id: int
    source: str
    author_id: int | None
    origin_work_order_id: int | None = None


class AvisoUpdated(DomainEvent):
    """A notice changed status or got a corrective order; its author is told."""

    type = "aviso.actualizado"
    aviso_id: int
    author_id: int | None
    old_status: AvisoStatus
    new_status: AvisoStatus
    work_order_id: int | None


class MeterAlarm(DomainEvent):
    """A reading outside its meter's alarm limits opened a notice (one per meter while it is
    open); planners are told through the notice's own `aviso.creado`."""

    type = "medidor.alarma"
    meter_id: int
    aviso_id: int
    asset_id: int
    value: float
    limit: float
    taken_at: datetime


class NotificationsCreated(DomainEvent):
    """The notifications worker stored the notifications of one event (WebSocket push signal).

    Small on purpose, whatever the number of recipients: each gateway reads the rows of its own
    connected users (`notifications.event_id`)."""

    type = "notificacion.creadas"
    event_id: int
