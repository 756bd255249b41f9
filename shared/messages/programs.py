"""Commands on programs: save one, generate one order, generate every due order."""

from __future__ import annotations

from pydantic import Field, field_validator

from shared.enums import PLANNERS, ProgramBasis
from shared.messages.base import Command
from shared.messages.fields import Day, HorizonDay, Id, Version

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
    # None: the routine's frequency.
    frequency_id: Id | None = None
    technician_id: Id | None = None
    one_order_per_asset: bool = False
    basis: ProgramBasis = ProgramBasis.FIJA
    active: bool = True
    version: Version | None = None

    _unique_assets = field_validator("asset_ids")(_unique)


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
