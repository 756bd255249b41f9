"""Commands on work orders."""

from __future__ import annotations

from pydantic import Field

from shared.enums import READERS, WorkOrderStatus
from shared.messages.base import Command, PlantDateTime
from shared.messages.fields import Id, Version


class UpdateWorkOrder(Command):
    """Change an order's status and/or notes (`POST /ot/{id}/actualizar/`)."""

    routing_key = "ot.actualizar"
    roles = READERS

    work_order_id: Id
    status: WorkOrderStatus | None = None
    notes: str | None = Field(None, max_length=20_000)
    actual_start: PlantDateTime | None = None
    actual_end: PlantDateTime | None = None
    version: Version | None = None
