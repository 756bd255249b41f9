"""Planning commands on routines: save (create/update), delete, and replace the steps."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field, model_validator

from shared.enums import PLANNERS, StepKind
from shared.messages.base import Command, Message
from shared.messages.fields import Id, Version

Limit = Field(None, allow_inf_nan=False, max_digits=20, decimal_places=6)


class SaveRoutine(Command):
    """Create (no `id`) or update (`id`) a routine (`POST /rutinas/guardar/`)."""

    routing_key = "rutina.guardar"
    roles = PLANNERS

    id: Id | None = None
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=20_000)
    maintenance_type_id: Id
    frequency_id: Id
    estimated_duration_min: int = Field(0, ge=0, le=100_000)
    version: Version | None = None


class DeleteRoutine(Command):
    """Hard-delete a routine (`POST /rutinas/{id}/eliminar/`)."""

    routing_key = "rutina.eliminar"
    roles = PLANNERS

    routine_id: Id
    version: Version | None = None


class StepInput(Message):
    """One step of a routine. `unit`, `min_value` and `max_value` describe a measurement, so only
    MEDICION steps may carry them: on another kind they would be silently meaningless."""

    description: str = Field(min_length=1, max_length=2000)
    kind: StepKind = StepKind.CHECK
    unit: str | None = Field(None, min_length=1, max_length=50)
    min_value: Decimal | None = Limit
    max_value: Decimal | None = Limit

    @model_validator(mode="after")
    def _measurement(self) -> StepInput:
        if self.kind != StepKind.MEDICION and (
            self.unit is not None or self.min_value is not None or self.max_value is not None
        ):
            raise ValueError("unit, min_value and max_value are only for MEDICION steps")
        if (
            self.min_value is not None
            and self.max_value is not None
            and self.min_value > self.max_value
        ):
            raise ValueError("min_value is greater than max_value")
        return self


class ReplaceRoutineSteps(Command):
    """Replace a routine's steps; their order is the array's (`POST /rutinas/{id}/pasos/`)."""

    routing_key = "rutina.pasos"
    roles = PLANNERS

    routine_id: Id
    steps: list[StepInput] = Field(max_length=500)
    version: Version | None = None
