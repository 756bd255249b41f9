"""Saving a program: a routine put on assets, with a start, a frequency and a technician; or,
by use (basis MEDIDOR), an interval of its assets' counters, and optionally a frequency too.

Refusals in order: role (403), unknown `id` (404), stale `version` (409), body references to
missing rows, a user who is not an active technician, or (by use) an asset without exactly one
active counter of the program's unit (422, every one reported).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Row, insert, select, text, update

from shared.db.base import table
from shared.db.models import Asset, Program
from shared.enums import MeterKind, ProgramBasis, Role
from shared.errors import Conflict, Invalid, NotFound, field_error
from shared.messages import Command, success
from shared.messages.programs import SaveProgram
from workers.dispatcher import Handler
from workers.references import missing_ids
from workers.uow import UnitOfWork

programs = table(Program)
assets = table(Asset)

_REFERENCES = text(
    "SELECT (SELECT frequency_id FROM routines WHERE id = :routine_id) AS routine_frequency,"
    " EXISTS (SELECT 1 FROM frequencies WHERE id = :frequency_id) AS frequency,"
    " EXISTS (SELECT 1 FROM users WHERE id = :technician_id AND role = :technician_role"
    "         AND active) AS technician"
)
# By use: how many active counters of the unit each asset has (it needs exactly one).
_COUNTERS = text(
    "SELECT a.id, a.position,"
    " (SELECT count(*) FROM meters m WHERE m.asset_id = a.id AND m.active"
    "   AND m.kind = :kind AND m.unit = :unit) AS counters"
    " FROM unnest(CAST(:asset_ids AS integer[])) WITH ORDINALITY AS a(id, position)"
)
# The program's assets become exactly `asset_ids`: one DELETE and one INSERT whatever their number.
_DROP_ASSETS = text(
    "DELETE FROM program_assets"
    " WHERE program_id = :program_id AND asset_id <> ALL(CAST(:asset_ids AS integer[]))"
)
_ADD_ASSETS = text(
    "INSERT INTO program_assets (program_id, asset_id)"
    " SELECT :program_id, t.id FROM unnest(CAST(:asset_ids AS integer[])) AS t(id)"
    " ON CONFLICT DO NOTHING"
)


def _reference_errors(
    cmd: SaveProgram, found: Row[Any], missing_assets: list[int]
) -> list[dict[str, Any]]:
    errors = []
    if found.routine_frequency is None:
        errors.append(field_error(["body", "routine_id"], f"no routine with id {cmd.routine_id}"))
    if cmd.frequency_id is not None and not found.frequency:
        errors.append(
            field_error(["body", "frequency_id"], f"no frequency with id {cmd.frequency_id}")
        )
    if cmd.technician_id is not None and not found.technician:
        errors.append(
            field_error(
                ["body", "technician_id"], f"user {cmd.technician_id} is not an active technician"
            )
        )
    if missing_assets:
        errors.append(field_error(["body", "asset_ids"], f"no assets with ids {missing_assets}"))
    return errors


async def _counter_errors(
    uow: UnitOfWork, cmd: SaveProgram, missing: set[int]
) -> list[dict[str, Any]]:
    """Each asset of a program by use must have exactly one active counter of its unit."""
    rows = await uow.session.execute(
        _COUNTERS,
        {"asset_ids": cmd.asset_ids, "kind": MeterKind.CONTADOR.value, "unit": cmd.meter_unit},
    )
    return [
        field_error(
            ["body", "asset_ids", row.position - 1],
            f"asset {row.id} has {row.counters} active {MeterKind.CONTADOR} meters in"
            f" {cmd.meter_unit!r}; a program by use needs exactly one",
        )
        for row in rows
        if row.counters != 1 and row.id not in missing
    ]


async def save_program(cmd: SaveProgram, uow: UnitOfWork) -> dict[str, Any]:
    version = 1
    if cmd.id is not None:
        current = (
            await uow.session.execute(
                select(programs.c.version).where(programs.c.id == cmd.id).with_for_update()
            )
        ).scalar_one_or_none()
        if current is None:
            raise NotFound(f"program {cmd.id} not found")
        if cmd.version is not None and cmd.version != current:
            raise Conflict(f"stale version {cmd.version}: the program is at version {current}")
        version = current + 1
    found = (
        await uow.session.execute(
            _REFERENCES,
            {
                "routine_id": cmd.routine_id,
                "frequency_id": cmd.frequency_id,
                "technician_id": cmd.technician_id,
                "technician_role": Role.TECNICO.value,
            },
        )
    ).one()
    missing_assets = await missing_ids(uow.session, assets, cmd.asset_ids)
    errors = _reference_errors(cmd, found, missing_assets)
    if cmd.basis == ProgramBasis.MEDIDOR:
        errors += await _counter_errors(uow, cmd, set(missing_assets))
    if errors:
        raise Invalid("the body refers to objects that do not exist or do not fit", errors)

    values = cmd.model_dump(
        mode="json",
        include={
            "routine_id",
            "start_date",
            "technician_id",
            "one_order_per_asset",
            "basis",
            "active",
        },
    )
    values["start_date"] = cmd.start_date
    if cmd.basis == ProgramBasis.MEDIDOR:
        # By use, no frequency means by use alone.
        values |= {
            "frequency_id": cmd.frequency_id,
            "meter_interval": Decimal(str(cmd.meter_interval)),
            "meter_unit": cmd.meter_unit,
            "meter_lead": Decimal(str(cmd.meter_lead or 0)),
        }
    else:
        values |= {
            "frequency_id": cmd.frequency_id or found.routine_frequency,
            "meter_interval": None,
            "meter_unit": None,
            "meter_lead": None,
        }
    if cmd.id is None:
        statement: Any = insert(programs).values(values)
    else:
        statement = (
            update(programs).where(programs.c.id == cmd.id).values({**values, "version": version})
        )
    program_id = int((await uow.session.execute(statement.returning(programs.c.id))).scalar_one())
    params = {"program_id": program_id, "asset_ids": cmd.asset_ids}
    if cmd.id is not None:
        await uow.session.execute(_DROP_ASSETS, params)
    await uow.session.execute(_ADD_ASSETS, params)
    return success("Programa guardado", program_id=program_id, version=version)


HANDLERS: dict[type[Command], Handler] = {SaveProgram: save_program}
