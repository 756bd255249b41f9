"""Meters: saved by planners; read by people, one reading per command (`workers.readings` does
the storing, shared with the readings machines send over AMQP and those taken at completion).

Refusals of a save in order: role (403), unknown `id` (404), stale `version` (409), a new kind
for a meter that has readings (409: its usage would mean something else), an unknown asset
(422), a taken code (409).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text

from shared.db.base import table
from shared.db.models import Asset, Meter
from shared.errors import Conflict, DomainError, Invalid, NotFound, field_error
from shared.messages import Command, success
from shared.messages.meters import RecordReading, SaveMeter
from workers.dispatcher import Handler
from workers.readings import statements
from workers.readings.ingest import ingest
from workers.readings.model import Ingested, NewReading, Refusal, Refused, Source
from workers.references import require_existing
from workers.unique_rows import write_unique
from workers.uow import UnitOfWork

meters = table(Meter)
assets = table(Asset)
APP_SOURCE = "APP"
RECORDED = "Lectura registrada"

_CURRENT = text("SELECT version, kind, last_taken_at FROM meters WHERE id = :id FOR UPDATE")


async def save_meter(cmd: SaveMeter, uow: UnitOfWork) -> dict[str, Any]:
    version = 1
    if cmd.id is not None:
        current = (await uow.session.execute(_CURRENT, {"id": cmd.id})).first()
        if current is None:
            raise NotFound(f"meter {cmd.id} not found")
        if cmd.version is not None and cmd.version != current.version:
            raise Conflict(
                f"stale version {cmd.version}: the meter is at version {current.version}"
            )
        if cmd.kind != current.kind and current.last_taken_at is not None:
            raise Conflict(
                "a meter with readings keeps its kind",
                [field_error(["body", "kind"], f"the meter's readings are {current.kind}")],
            )
        version = current.version + 1
    await require_existing(uow, {"asset_id": (assets, cmd.asset_id)})
    values = cmd.model_dump(mode="json", exclude={"id", "version"})
    for limit in ("alarm_low", "alarm_high"):
        if values[limit] is not None:
            values[limit] = Decimal(str(values[limit]))
    meter_id = await write_unique(
        uow, meters, {**values, "version": version}, cmd.id, "code", "meter"
    )
    return success("Medidor guardado", meter_id=meter_id, version=version)


def refusal_error(refused: Refused, loc: list[str | int]) -> DomainError:
    """The HTTP answer to a refused reading; `loc` names the reading in the request."""
    if refused.refusal == Refusal.UNKNOWN:
        return NotFound(f"meter not found: {refused.reason}")
    errors = [field_error([*loc, refused.field], refused.reason)]
    if refused.refusal == Refusal.INACTIVE:
        return Conflict(refused.reason, errors)
    return Invalid(f"invalid reading: {refused.reason}", errors)


def _usage(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


async def record_reading(cmd: RecordReading, uow: UnitOfWork) -> dict[str, Any]:
    now = uow.now()
    taken_at: datetime = cmd.taken_at or now
    reading = NewReading(
        position=0,
        taken_at=taken_at,
        value=Decimal(str(cmd.value)),
        reset=cmd.reset,
        meter_id=cmd.meter_id,
    )
    done = await ingest(
        uow.session, [reading], Source(APP_SOURCE, uow.actor.user_id, now), uow.settings
    )
    if done.refused:
        raise refusal_error(done.refused[0], ["body"])
    first = done.repeats.get(0)
    if first is not None:
        # The same (meter, taken_at) again: answered as the first time, nothing changes.
        return success(
            RECORDED,
            reading_id=first.reading_id,
            usage=_usage(first.usage),
            work_order_ids=list(first.work_order_ids),
            aviso_id=first.aviso_id,
        )
    return _recorded(uow, done, cmd.meter_id, taken_at)


def _recorded(uow: UnitOfWork, done: Ingested, meter_id: int, taken_at: datetime) -> dict[str, Any]:
    stored = done.stored_at(0)
    assert stored is not None, "a reading neither stored, repeated nor refused"
    work_order_ids = done.generated.work_order_ids if done.generated else []
    aviso_id = done.alarms.get(meter_id)
    for event in done.events:
        uow.emit(event)
    if work_order_ids or aviso_id is not None:
        uow.write_at_end(
            statements.CAUSED,
            meter_id=meter_id,
            taken_at=taken_at,
            aviso_id=aviso_id,
            work_order_ids=work_order_ids,
        )
    return success(
        RECORDED,
        reading_id=stored.reading_id,
        usage=_usage(stored.usage),
        work_order_ids=work_order_ids,
        aviso_id=aviso_id,
    )


HANDLERS: dict[type[Command], Handler] = {SaveMeter: save_meter, RecordReading: record_reading}
