"""Commands on programs: save one, generate one order, generate every due order."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator

from shared.enums import PLANNERS, ProgramBasis
from shared.messages.base import Command
from shared.messages.fields import Day, HorizonDay, Id, Version
from shared.messages.meters import Unit

# An amount of a meter's unit (running hours, kilometres, cycles).
Use = Annotated[float, Field(allow_inf_nan=False, ge=0, le=1e12)]

# A batch may name many programs; bodies stay within the gateway's size limit anyway.
MAX_IDS = 10_000


def _unique(ids: list[int] | None) -> list[int] | None:
    if ids is not None and len(set(ids)) != len(ids):
        raise ValueError("ids must be unique")
    return ids


class SaveProgram(Command):
    """Create (no `id`) or update (`id`) a program (`POST /programas/guardar/`)."""

    routing_key = "programa.guardar"
    roles = PLANNERS

    id: Id | None = None
    routine_id: Id
    asset_ids: list[Id] = Field(min_length=1, max_length=MAX_IDS)
    start_date: Day
    # None: the routine's frequency; on a program by use (MEDIDOR), none (by use only).
    frequency_id: Id | None = None
    technician_id: Id | None = None
    one_order_per_asset: bool = False
    basis: ProgramBasis = ProgramBasis.FIJA
    # By use: every `meter_interval` of `meter_unit` (each asset's counter of that unit),
    # `meter_lead` early.
    meter_interval: Use | None = Field(None, validate_default=True)
    meter_unit: Unit | None = Field(None, validate_default=True)
    meter_lead: Use | None = None
    active: bool = True
    version: Version | None = None

    _unique_assets = field_validator("asset_ids")(_unique)

    @field_validator("meter_interval", "meter_unit", "meter_lead")
    @classmethod
    def _by_use_only(cls, value: float | str | None, info: ValidationInfo) -> float | str | None:
        by_use = info.data.get("basis") == ProgramBasis.MEDIDOR
        if not by_use and value is not None:
            raise ValueError("only a program by use (basis MEDIDOR) has it")
        if by_use and info.field_name == "meter_interval" and not value:
            raise ValueError("a program by use (basis MEDIDOR) needs an interval above 0")
        if by_use and info.field_name == "meter_unit" and value is None:
            raise ValueError("a program by use (basis MEDIDOR) needs the unit of its meters")
        return value


class GenerateProgramOrder(Command):
    """One order of a program for a date (`POST /programas/{id}/generar-ot/`)."""

    routing_key = "programa.generar_ot"
    roles = PLANNERS
    queue = "generacion"

    program_id: Id
    date: Day
    # None: all the program's assets.
    asset_ids: list[Id] | None = Field(None, min_length=1, max_length=MAX_IDS)

    _unique_assets = field_validator("asset_ids")(_unique)


class GenerateOrders(Command):
    """Every due order of the active programs up to `until` (`POST /programas/generar/`; also
    what the scheduler publishes daily)."""

    routing_key = "programa.generar"
    roles = PLANNERS
    long_running = True
    queue = "generacion"

    until: HorizonDay
    # None: every active program.
    program_ids: list[Id] | None = Field(None, max_length=MAX_IDS)
    dry_run: bool = False

    _unique_programs = field_validator("program_ids")(_unique)
