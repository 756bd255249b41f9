"""Planning handlers on routines: save, delete, replace the steps.

Every handler locks the routine row first (404 if it is gone, 409 on a stale `version`), so
concurrent edits of one routine run one after the other. Work orders carry their own copy of
the steps (`work_order_steps`), so nothing here touches orders already made.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select, text, update

from shared.db.base import table
from shared.db.models import Frequency, MaintenanceType, Program, Routine, RoutineStep
from shared.errors import Conflict, NotFound, field_error
from shared.messages import Command, success
from shared.messages.routines import DeleteRoutine, ReplaceRoutineSteps, SaveRoutine
from workers.dispatcher import Handler
from workers.references import require_existing
from workers.uow import UnitOfWork

routines = table(Routine)
steps = table(RoutineStep)
programs = table(Program)

# The whole set in one statement: position is the step's place in the arrays (1-based).
_INSERT_STEPS = text(
    "INSERT INTO routine_steps"
    " (routine_id, position, description, kind, unit, min_value, max_value)"
    " SELECT CAST(:routine_id AS integer), s.position,"
    "        s.description, s.kind, s.unit, s.min_value, s.max_value"
    " FROM unnest(CAST(:descriptions AS text[]), CAST(:kinds AS text[]), CAST(:units AS text[]),"
    "             CAST(:min_values AS numeric[]), CAST(:max_values AS numeric[]))"
    " WITH ORDINALITY AS s(description, kind, unit, min_value, max_value, position)"
)


async def _lock(
    uow: UnitOfWork, routine_id: int, expected_version: int | None, *, deleting: bool = False
) -> int:
    """Lock the routine until the commit; its current version. An edit takes the weaker
    FOR NO KEY UPDATE, so programs may still be saved referencing the routine meanwhile; a
    delete takes FOR UPDATE, which holds them off until it has committed."""
    version = (
        await uow.session.execute(
            select(routines.c.version)
            .where(routines.c.id == routine_id)
            .with_for_update(key_share=not deleting)
        )
    ).scalar_one_or_none()
    if version is None:
        raise NotFound(f"routine {routine_id} not found")
    if expected_version is not None and expected_version != version:
        raise Conflict(
            f"stale version {expected_version}: the routine is at version {version}",
            [field_error(["body", "version"], "stale")],
        )
    return int(version)


async def _bump(uow: UnitOfWork, routine_id: int, values: dict[str, Any], version: int) -> int:
    await uow.session.execute(
        update(routines).where(routines.c.id == routine_id).values(**values, version=version + 1)
    )
    return version + 1


async def save_routine(cmd: SaveRoutine, uow: UnitOfWork) -> dict[str, Any]:
    references = {
        "maintenance_type_id": (table(MaintenanceType), cmd.maintenance_type_id),
        "frequency_id": (table(Frequency), cmd.frequency_id),
    }
    values = cmd.model_dump(exclude={"id", "version"})
    if cmd.id is None:
        await require_existing(uow, references)
        routine_id = (
            await uow.session.execute(insert(routines).values(values).returning(routines.c.id))
        ).scalar_one()
        return success("Rutina creada", routine_id=routine_id, version=1)
    version = await _lock(uow, cmd.id, cmd.version)
    await require_existing(uow, references)
    new_version = await _bump(uow, cmd.id, values, version)
    return success("Rutina guardada", routine_id=cmd.id, version=new_version)


async def delete_routine(cmd: DeleteRoutine, uow: UnitOfWork) -> dict[str, Any]:
    """Refused while an active program uses the routine. Its inactive programs go with it: a
    program cannot exist without its routine, and none can be reactivated once it is gone.
    Their orders stay (with their steps), their `routine_id` and `program_id` set to null."""
    await _lock(uow, cmd.routine_id, cmd.version, deleting=True)
    # Locking the programs too keeps a concurrent save from activating one meanwhile.
    using = (
        await uow.session.execute(
            select(programs.c.id, programs.c.active)
            .where(programs.c.routine_id == cmd.routine_id)
            .order_by(programs.c.id)
            .with_for_update()
        )
    ).all()
    active = [row.id for row in using if row.active]
    if active:
        raise Conflict(
            f"routine {cmd.routine_id} is used by active programs {active}",
            [field_error(["path", "id"], "used by active programs", program_ids=active)],
        )
    if using:
        await uow.session.execute(delete(programs).where(programs.c.routine_id == cmd.routine_id))
    await uow.session.execute(delete(routines).where(routines.c.id == cmd.routine_id))
    return success(
        "Rutina eliminada",
        routine_id=cmd.routine_id,
        deleted_program_ids=[row.id for row in using],
    )


async def replace_steps(cmd: ReplaceRoutineSteps, uow: UnitOfWork) -> dict[str, Any]:
    version = await _lock(uow, cmd.routine_id, cmd.version)
    await uow.session.execute(delete(steps).where(steps.c.routine_id == cmd.routine_id))
    if cmd.steps:
        await uow.session.execute(
            _INSERT_STEPS,
            {
                "routine_id": cmd.routine_id,
                "descriptions": [s.description for s in cmd.steps],
                "kinds": [s.kind.value for s in cmd.steps],
                "units": [s.unit for s in cmd.steps],
                "min_values": [s.min_value for s in cmd.steps],
                "max_values": [s.max_value for s in cmd.steps],
            },
        )
    new_version = await _bump(uow, cmd.routine_id, {}, version)
    return success(
        "Pasos guardados", routine_id=cmd.routine_id, steps=len(cmd.steps), version=new_version
    )


HANDLERS: dict[type[Command], Handler] = {
    SaveRoutine: save_routine,
    DeleteRoutine: delete_routine,
    ReplaceRoutineSteps: replace_steps,
}
