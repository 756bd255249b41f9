"""Generation of preventive orders from programs: one order on demand (`generar-ot`) and every
due order up to a date (`generar`, also the scheduler's daily command). The SQL is in
`shared.generation`; these handlers add the refusals, the answers and the events."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from shared.db.base import table
from shared.db.models import Program
from shared.errors import Conflict, Invalid, NotFound, field_error
from shared.generation import Horizon, Placement, forecast, generate, generate_one
from shared.messages import Command, events, success
from shared.messages.programs import GenerateOrders, GenerateProgramOrder
from workers.dispatcher import Handler
from workers.references import missing_ids
from workers.uow import UnitOfWork

programs = table(Program)
GENERATED = "Órdenes generadas"

# FOR SHARE: the program cannot change (or lose assets) while its order is written.
_PROGRAM = text(
    "SELECT p.active, p.start_date,"
    " (SELECT array_agg(asset_id ORDER BY asset_id) FROM program_assets"
    "   WHERE program_id = p.id) AS asset_ids"
    " FROM programs p WHERE p.id = :id FOR SHARE"
)
_EXISTING = text(
    "SELECT min(work_order_id) FROM program_generations"
    " WHERE program_id = :program_id AND due_date = :due_date"
    " AND asset_id = ANY(CAST(:asset_ids AS integer[])) AND work_order_id IS NOT NULL"
)


def _placement(uow: UnitOfWork) -> Placement:
    return Placement(uow.settings.plant_tz, uow.settings.generation_start_time)


async def generate_program_order(cmd: GenerateProgramOrder, uow: UnitOfWork) -> dict[str, Any]:
    program = (await uow.session.execute(_PROGRAM, {"id": cmd.program_id})).first()
    if program is None:
        raise NotFound(f"program {cmd.program_id} not found")
    if not program.active:
        raise Conflict(f"program {cmd.program_id} is not active")
    if cmd.date < program.start_date:
        raise Invalid(
            "the date is before the program's start",
            [field_error(["body", "date"], f"before the start date {program.start_date}")],
        )
    own = list(program.asset_ids or [])
    asset_ids = sorted(cmd.asset_ids) if cmd.asset_ids is not None else own
    strangers = sorted(set(asset_ids) - set(own))
    if strangers or not asset_ids:
        raise Invalid(
            "the assets must belong to the program",
            [field_error(["body", "asset_ids"], f"not assets of the program: {strangers}")],
        )
    made = await generate_one(
        uow.session, cmd.program_id, cmd.date, asset_ids, _placement(uow), uow.actor.user_id
    )
    if made.claimed < len(asset_ids):
        # Some asset already has this program's order for the date: nothing is kept (the
        # transaction rolls back), and the caller learns which order it is.
        params = {"program_id": cmd.program_id, "due_date": cmd.date, "asset_ids": asset_ids}
        existing = (await uow.session.execute(_EXISTING, params)).scalar_one_or_none()
        raise Conflict(
            f"program {cmd.program_id} already has an order for {cmd.date} and these assets",
            work_order_id=existing,
        )
    [(technician_id, [work_order_id])] = made.by_technician.items()
    if technician_id is not None:
        uow.emit(
            events.OrderAssigned(
                work_order_id=work_order_id,
                technician_id=technician_id,
                assigned_by=uow.actor.user_id,
            )
        )
    return success("Orden generada", work_order_id=work_order_id)


async def generate_orders(cmd: GenerateOrders, uow: UnitOfWork) -> dict[str, Any]:
    unknown = await missing_ids(uow.session, programs, cmd.program_ids or [])
    if unknown:
        raise Invalid(
            "the body refers to programs that do not exist",
            [field_error(["body", "program_ids"], f"no programs with ids {unknown}")],
        )
    horizon = Horizon(uow.now().date(), cmd.until, cmd.program_ids)
    if cmd.dry_run:
        planned = await forecast(uow.session, horizon, uow.settings.plant_tz, limit=0)
        # The body of a real run, plus the flag (the contract's dry run).
        return success(GENERATED, generated=planned.generable, dry_run=True)
    made = await generate(uow.session, horizon, _placement(uow), uow.actor.user_id)
    for technician_id, ids in made.by_technician.items():
        if technician_id is not None:
            uow.emit(
                events.OrdersGenerated(
                    technician_id=technician_id, count=len(ids), work_order_ids=ids
                )
            )
    return success(GENERATED, generated=len(made.work_order_ids))


HANDLERS: dict[type[Command], Handler] = {
    GenerateProgramOrder: generate_program_order,
    GenerateOrders: generate_orders,
}
