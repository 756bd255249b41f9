"""Planning commands on work orders: reschedule (one, bulk), split, merge, delete."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from pydantic import Field, StringConstraints, field_validator, model_validator

from shared.messages.base import Message, PlanningCommand
from shared.messages.fields import Day, Id, Version

BULK_LIMIT = 10_000
MERGE_LIMIT = 100

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)]


def _unique(ids: list[int]) -> list[int]:
    repeated = sorted(i for i, count in Counter(ids).items() if count > 1)
    if repeated:
        raise ValueError(f"ids must be unique; repeated: {repeated}")
    return ids


class RescheduleWorkOrder(PlanningCommand):
    """Move one PENDIENTE order to another day, keeping its local time of day and duration."""

    routing_key = "ot.fecha"

    work_order_id: Id
    date: Day
    reason: Reason
    version: Version | None = None


class RescheduleItem(Message):
    id: Id
    date: Day
    reason: Reason


class RescheduleWorkOrders(PlanningCommand):
    """Move many PENDIENTE orders at once: all of them, or none."""

    routing_key = "ot.fechas"
    long_running = True

    updates: list[RescheduleItem] = Field(min_length=1, max_length=BULK_LIMIT)

    @field_validator("updates")
    @classmethod
    def _ids_unique(cls, updates: list[RescheduleItem]) -> list[RescheduleItem]:
        _unique([item.id for item in updates])
        return updates


class SplitWorkOrder(PlanningCommand):
    """One order per asset: the order keeps its lowest asset, each other asset gets a copy."""

    routing_key = "ot.dividir"

    work_order_id: Id
    version: Version | None = None


class MergeWorkOrders(PlanningCommand):
    """Fold orders into the first id, scheduled on `date`; the others are deleted.

    `versions` (optional, aligned with `ids`) guards against merging orders that changed since
    the planner looked at them.
    """

    routing_key = "ot.fusionar"

    ids: list[Id] = Field(min_length=2, max_length=MERGE_LIMIT)
    date: Day
    versions: list[Version] | None = Field(None, max_length=MERGE_LIMIT)

    @field_validator("ids")
    @classmethod
    def _ids_unique(cls, ids: list[int]) -> list[int]:
        return _unique(ids)

    @model_validator(mode="after")
    def _versions_aligned(self) -> Any:
        if self.versions is not None and len(self.versions) != len(self.ids):
            raise ValueError("versions must have one entry per id")
        return self


class DeleteWorkOrders(PlanningCommand):
    """Delete PENDIENTE or CANCELADA orders: all of them, or none."""

    routing_key = "ot.eliminar"
    long_running = True

    ids: list[Id] = Field(min_length=1, max_length=BULK_LIMIT)

    @field_validator("ids")
    @classmethod
    def _ids_unique(cls, ids: list[int]) -> list[int]:
        return _unique(ids)
