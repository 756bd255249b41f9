"""Commands of the technicians' app on their orders (`/app/ot/{pk}/…`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AllowInfNan, Field, Strict, field_validator

from shared.enums import EVERYONE
from shared.messages.base import Command, Message, PlantDateTime
from shared.messages.fields import BigId, Id
from shared.messages.meters import ReadingFields

# JSON numbers and strings only (no booleans read as numbers); which one fits depends on the
# step's kind, which only the worker knows.
StepValue = (
    Annotated[int, Strict()]
    | Annotated[float, Strict(), AllowInfNan(False)]
    | Annotated[str, Strict(), Field(max_length=2_000)]
)


class StartOrder(Command):
    """PENDIENTE → EN_PROGRESO; `at` is the actual start (default now)."""

    routing_key = "ot.iniciar"
    roles = EVERYONE

    work_order_id: Id
    at: PlantDateTime | None = None


class StepResult(Message):
    id: BigId
    done: bool
    ok: bool | None = None
    value: StepValue | None = None
    comment: str | None = Field(None, max_length=2_000)


class MeterValue(ReadingFields):
    """A meter of the order's assets read at completion (taken at the order's actual end)."""

    meter_id: Id


class FinishOrder(Command):
    """EN_PROGRESO → COMPLETADA with the steps' results and the readings of the assets' meters;
    `at` is the actual end (default now)."""

    routing_key = "ot.finalizar"
    roles = EVERYONE

    work_order_id: Id
    at: PlantDateTime | None = None
    notes: str | None = Field(None, max_length=20_000)
    steps: list[StepResult] = Field(default_factory=list, max_length=1_000)
    meter_readings: list[MeterValue] = Field(default_factory=list, max_length=100)

    @field_validator("steps")
    @classmethod
    def _unique_ids(cls, steps: list[StepResult]) -> list[StepResult]:
        ids = [step.id for step in steps]
        if len(set(ids)) != len(ids):
            raise ValueError("step ids must be unique")
        return steps

    @field_validator("meter_readings")
    @classmethod
    def _one_per_meter(cls, readings: list[MeterValue]) -> list[MeterValue]:
        ids = [reading.meter_id for reading in readings]
        if len(set(ids)) != len(ids):
            raise ValueError("one reading per meter")
        return readings
