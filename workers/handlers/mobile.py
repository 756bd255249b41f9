"""The technicians' app on their orders: start, and finish with the steps' results. A failed
inspection step opens a notice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text, update

from shared.db.base import table
from shared.db.models import WorkOrder
from shared.domain.inspection import StepSpec, failed, in_range, value_error
from shared.domain.work_orders import OrderState, plan_status_update
from shared.enums import AvisoPriority, StepKind, WorkOrderStatus
from shared.errors import Conflict, Invalid, NotFound, field_error
from shared.messages import Command, success
from shared.messages.avisos import TITLE_MAX
from shared.messages.mobile import FinishOrder, MeterValue, StartOrder, StepResult
from workers.avisos import NewNotice, open_notices
from workers.dispatcher import Handler
from workers.handlers.meters import APP_SOURCE, refusal_error
from workers.order_locks import find_locked
from workers.order_status import status_changed
from workers.readings.ingest import ingest
from workers.readings.model import NewReading, Source
from workers.uow import UnitOfWork

wo = table(WorkOrder)

INSPECTION_SOURCE = "INSPECCION"
INSPECTION_PRIORITY = AvisoPriority.MEDIA

_STEPS = text(
    "SELECT id, position, description, kind, unit, min_value, max_value"
    " FROM work_order_steps WHERE work_order_id = :work_order_id"
)
_STORE_RESULTS = text(
    """
    UPDATE work_order_steps s
       SET done = r.done, ok = r.ok, numeric_value = r.numeric_value, text_value = r.text_value,
           comment = r.comment
      FROM unnest(CAST(:ids AS bigint[]), CAST(:done AS boolean[]), CAST(:ok AS boolean[]),
                  CAST(:numeric_values AS numeric[]), CAST(:text_values AS text[]),
                  CAST(:comments AS text[]))
           AS r(id, done, ok, numeric_value, text_value, comment)
     WHERE s.id = r.id AND s.work_order_id = :work_order_id
    """
)
_ORDER_METERS = text(
    "SELECT m.id FROM meters m"
    " JOIN work_order_assets wa ON wa.asset_id = m.asset_id AND wa.work_order_id = :work_order_id"
    " WHERE m.id = ANY(CAST(:ids AS integer[]))"
)
# An order made for several assets reports its inspection on the first (lowest id), as a split
# keeps that one on the original order.
_FIRST_ASSET = text(
    "SELECT min(asset_id) FROM work_order_assets WHERE work_order_id = :work_order_id"
)


@dataclass(frozen=True)
class _Step:
    spec: StepSpec
    position: int
    description: str
    unit: str | None


async def _locked_order(uow: UnitOfWork, work_order_id: int) -> Any:
    """The order, locked; invisible (404) unless assigned to the caller or the caller plans."""
    row = await find_locked(uow.session, work_order_id)
    if row is None or not (uow.is_planner or row.technician_id == uow.actor.user_id):
        raise NotFound(f"work order {work_order_id} not found")
    return row


async def _move(
    uow: UnitOfWork,
    work_order_id: int,
    row: Any,
    target: WorkOrderStatus,
    at: datetime | None,
    extra: dict[str, Any],
) -> int:
    """Apply the transition with the state machine's rules; the new version."""
    current = OrderState(WorkOrderStatus(row.status), row.actual_start, row.actual_end)
    starting = target == WorkOrderStatus.EN_PROGRESO
    try:
        changes = plan_status_update(
            current, target, at if starting else None, None if starting else at, uow.now()
        )
    except Invalid as error:  # the app calls the date `at`
        raise Invalid(error.message, [field_error(["body", "at"], error.message)]) from error
    version = row.version + 1
    await uow.session.execute(
        update(wo).where(wo.c.id == work_order_id).values(**changes, **extra, version=version)
    )
    await status_changed(
        uow,
        work_order_id,
        row.status,
        target,
        technician_id=row.technician_id,
        aviso_id=row.aviso_id,
    )
    return version


def _require_status(row: Any, expected: WorkOrderStatus, action: str) -> None:
    if row.status != expected:
        raise Conflict(f"only a {expected} order can be {action}; this one is {row.status}")


async def start_order(cmd: StartOrder, uow: UnitOfWork) -> dict[str, Any]:
    row = await _locked_order(uow, cmd.work_order_id)
    _require_status(row, WorkOrderStatus.PENDIENTE, "started")
    version = await _move(uow, cmd.work_order_id, row, WorkOrderStatus.EN_PROGRESO, cmd.at, {})
    return success("Orden iniciada", version=version)


async def finish_order(cmd: FinishOrder, uow: UnitOfWork) -> dict[str, Any]:
    row = await _locked_order(uow, cmd.work_order_id)
    _require_status(row, WorkOrderStatus.EN_PROGRESO, "finished")
    steps = await _order_steps(uow, cmd.work_order_id)
    _check_results(cmd.steps, steps)
    await _check_meters(uow, cmd.work_order_id, cmd.meter_readings)
    extra = {"notes": cmd.notes} if cmd.notes is not None else {}
    ended = cmd.at or uow.now()
    version = await _move(uow, cmd.work_order_id, row, WorkOrderStatus.COMPLETADA, ended, extra)
    await _store_results(uow, cmd.work_order_id, cmd.steps, steps)
    aviso_ids = await _open_inspection_notices(uow, cmd.work_order_id, row.code, cmd.steps, steps)
    aviso_ids += await _store_meter_readings(uow, cmd.meter_readings, ended)
    return success("Orden finalizada", version=version, aviso_ids=aviso_ids)


async def _check_meters(uow: UnitOfWork, work_order_id: int, readings: list[MeterValue]) -> None:
    if not readings:
        return
    params = {"work_order_id": work_order_id, "ids": [r.meter_id for r in readings]}
    own = set((await uow.session.execute(_ORDER_METERS, params)).scalars())
    errors = [
        field_error(
            ["body", "meter_readings", index, "meter_id"], "not a meter of the order's assets"
        )
        for index, reading in enumerate(readings)
        if reading.meter_id not in own
    ]
    if errors:
        raise Invalid("readings of meters the order does not cover", errors)


async def _store_meter_readings(
    uow: UnitOfWork, readings: list[MeterValue], ended: datetime
) -> list[int]:
    """The readings taken at completion, at the order's actual end (the next cycle of a program
    by use counts from them); the alarm notices they opened."""
    if not readings:
        return []
    done = await ingest(
        uow.session,
        [
            NewReading(
                position=index,
                taken_at=ended,
                value=Decimal(str(r.value)),
                reset=r.reset,
                meter_id=r.meter_id,
            )
            for index, r in enumerate(readings)
        ],
        Source(APP_SOURCE, uow.actor.user_id, uow.now()),
        uow.settings,
    )
    if done.refused:
        refused = done.refused[0]
        raise refusal_error(refused, ["body", "meter_readings", refused.position])
    for event in done.events:
        uow.emit(event)
    return sorted(done.alarms.values())


async def _order_steps(uow: UnitOfWork, work_order_id: int) -> dict[int, _Step]:
    rows = await uow.session.execute(_STEPS, {"work_order_id": work_order_id})
    return {
        row.id: _Step(
            StepSpec(StepKind(row.kind), row.min_value, row.max_value),
            row.position,
            row.description,
            row.unit,
        )
        for row in rows
    }


def _check_results(results: list[StepResult], steps: dict[int, _Step]) -> None:
    errors = []
    for index, result in enumerate(results):
        step = steps.get(result.id)
        if step is None:
            errors.append(field_error(["body", "steps", index, "id"], "not a step of this order"))
        elif why := value_error(step.spec.kind, result.value):
            errors.append(field_error(["body", "steps", index, "value"], why))
    if errors:
        raise Invalid("invalid step results", errors)


def _measured(result: StepResult, step: _Step) -> Decimal | None:
    if step.spec.kind != StepKind.MEDICION or result.value is None:
        return None
    return Decimal(str(result.value))


def _ok(result: StepResult, step: _Step) -> bool | None:
    """A measurement is ok when it is within its limits; other kinds say so themselves."""
    measured = _measured(result, step)
    return in_range(step.spec, measured) if measured is not None else result.ok


async def _store_results(
    uow: UnitOfWork, work_order_id: int, results: list[StepResult], steps: dict[int, _Step]
) -> None:
    if not results:
        return
    await uow.session.execute(
        _STORE_RESULTS,
        {
            "work_order_id": work_order_id,
            "ids": [r.id for r in results],
            "done": [r.done for r in results],
            "ok": [_ok(r, steps[r.id]) for r in results],
            "numeric_values": [_measured(r, steps[r.id]) for r in results],
            "text_values": [r.value if isinstance(r.value, str) else None for r in results],
            "comments": [r.comment for r in results],
        },
    )


def _finding(result: StepResult, step: _Step) -> str:
    what = f"Paso {step.position} «{step.description}»"
    if step.spec.kind == StepKind.MEDICION:
        low = "-∞" if step.spec.min_value is None else step.spec.min_value
        high = "∞" if step.spec.max_value is None else step.spec.max_value
        unit = f" {step.unit}" if step.unit else ""
        what += f": {result.value}{unit} fuera de [{low}, {high}]"
    else:
        what += ": no conforme"
    return f"{what}. {result.comment}" if result.comment else what


async def _open_inspection_notices(
    uow: UnitOfWork,
    work_order_id: int,
    code: str,
    results: list[StepResult],
    steps: dict[int, _Step],
) -> list[int]:
    failures = [
        (r, steps[r.id])
        for r in results
        if failed(steps[r.id].spec, r.ok, _measured(r, steps[r.id]))
    ]
    if not failures:
        return []
    asset_id = (
        await uow.session.execute(_FIRST_ASSET, {"work_order_id": work_order_id})
    ).scalar_one()
    notices = [
        NewNotice(
            asset_id=asset_id,
            title=f"Inspección {code}: {step.description}"[:TITLE_MAX],
            description=_finding(result, step),
            priority=INSPECTION_PRIORITY,
            source=INSPECTION_SOURCE,
        )
        for result, step in failures
    ]
    return await open_notices(uow, notices, origin_work_order_id=work_order_id)


HANDLERS: dict[type[Command], Handler] = {StartOrder: start_order, FinishOrder: finish_order}
