"""Storing a batch of readings (one from the app, up to a thousand from a machine) in the
caller's transaction, in a constant number of statements whatever the batch's size:

1. lock the batch's meters (id order);
2. only when some reading is not after its meter's last one: the stored readings around them;
3. judge each meter's readings in time order (`shared.domain.meter_readings`);
4. only when a reset went before stored readings: shift their usage;
5. insert the accepted readings; update each meter's last reading and usage;
6. open the alarm notices of indicators read out of their limits (one per meter while open);
7. generate the orders that the counters' new usage made due (`shared.generation`), without
   JIT compilation.

Each reading is judged on its own: the refused ones are reported, the rest stored. A reading
whose (meter, taken_at) already is one is a repeat: ignored, and reported with what it caused.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from shared.domain.meter_readings import Incoming, Judgement, Neighbours, Stored, judge
from shared.enums import MeterKind
from shared.generation import Generated, Horizon, Placement, generate
from shared.messages import events
from shared.messages.events import DomainEvent
from shared.settings import Settings
from workers.readings import statements
from workers.readings.alarms import Alarm, alarm_of

ALARM_SOURCE = "MEDIDOR"


class Refusal(StrEnum):
    """Why a reading was not stored: the HTTP answer's status follows from it."""

    UNKNOWN = "unknown"  # no such meter (404 in a path)
    INACTIVE = "inactive"  # the meter is inactive (409)
    INVALID = "invalid"  # the value or the time cannot be (422)


@dataclass(frozen=True)
class NewReading:
    """One reading to store; `position` is its place in the request or message. The meter is
    named by id (HTTP) or by code (AMQP)."""

    position: int
    value: Decimal
    taken_at: datetime
    reset: bool = False
    meter_id: int | None = None
    meter_code: str | None = None


@dataclass(frozen=True)
class Refused:
    position: int
    refusal: Refusal
    # The field at fault, named as the request names it.
    field: str
    reason: str


@dataclass(frozen=True)
class StoredReading:
    reading_id: int
    meter_id: int
    taken_at: datetime
    usage: Decimal | None
    aviso_id: int | None = None
    work_order_ids: tuple[int, ...] = ()


@dataclass
class Ingested:
    # By position: the readings stored now, and the repeats (as first stored).
    stored: dict[int, StoredReading] = field(default_factory=dict)
    repeats: dict[int, StoredReading] = field(default_factory=dict)
    refused: list[Refused] = field(default_factory=list)
    # Alarm notices opened, by meter id.
    alarms: dict[int, int] = field(default_factory=dict)
    generated: Generated | None = None
    events: list[DomainEvent] = field(default_factory=list)


@dataclass(frozen=True)
class Source:
    """Who sends the batch: the readings' `source`, the user (None: a machine), and when it
    is judged (readings older than the retention are refused: their partition is gone)."""

    name: str
    user_id: int | None
    now: datetime


async def ingest(
    session: AsyncSession, readings: Sequence[NewReading], source: Source, settings: Settings
) -> Ingested:
    result = Ingested()
    meters = await _lock_meters(session, readings)
    by_meter = _admit(readings, meters, source, settings, result)
    judgements = await _judge(session, meters, by_meter, result)
    await _write(session, meters, judgements, source, result)
    await _open_alarms(session, meters, judgements, source, result)
    await _generate(session, meters, judgements, source, settings, result)
    return result


async def _lock_meters(session: AsyncSession, readings: Sequence[NewReading]) -> list[Row[Any]]:
    ids = sorted({r.meter_id for r in readings if r.meter_id is not None})
    codes = sorted({r.meter_code for r in readings if r.meter_code is not None})
    return list((await session.execute(statements.LOCK_METERS, {"ids": ids, "codes": codes})).all())


def _admit(
    readings: Sequence[NewReading],
    meters: list[Row[Any]],
    source: Source,
    settings: Settings,
    result: Ingested,
) -> dict[int, list[NewReading]]:
    """The readings of known, active meters within the retention, by meter id; the others are
    refused."""
    by_id = {meter.id: meter for meter in meters}
    by_code = {meter.code: meter for meter in meters}
    oldest = source.now - timedelta(days=settings.readings_retention_days)
    admitted: dict[int, list[NewReading]] = defaultdict(list)
    for reading in readings:
        meter = by_id.get(reading.meter_id) if reading.meter_id else by_code.get(reading.meter_code)
        name_field = "meter_id" if reading.meter_id else "meter_code"
        if meter is None:
            result.refused.append(
                Refused(reading.position, Refusal.UNKNOWN, name_field, "unknown meter")
            )
        elif not meter.active:
            result.refused.append(
                Refused(reading.position, Refusal.INACTIVE, name_field, "the meter is inactive")
            )
        elif reading.taken_at < oldest:
            why = f"older than the readings kept ({settings.readings_retention_days} days)"
            result.refused.append(Refused(reading.position, Refusal.INVALID, "taken_at", why))
        else:
            admitted[meter.id].append(reading)
    return admitted


def _last(meter: Row[Any]) -> Stored | None:
    if meter.last_taken_at is None:
        return None
    return Stored(meter.last_taken_at, meter.last_value, meter.last_usage)


async def _judge(
    session: AsyncSession,
    meters: list[Row[Any]],
    by_meter: dict[int, list[NewReading]],
    result: Ingested,
) -> dict[int, Judgement]:
    by_id = {meter.id: meter for meter in meters}
    around = await _neighbours(session, by_id, by_meter)
    judgements: dict[int, Judgement] = {}
    for meter_id, readings in by_meter.items():
        meter = by_id[meter_id]
        judgement = judge(
            MeterKind(meter.kind),
            _last(meter),
            {at: neighbours for at, (neighbours, _) in around.get(meter_id, {}).items()},
            [Incoming(r.position, r.taken_at, r.value, r.reset) for r in readings],
        )
        judgements[meter_id] = judgement
        for position, reason in judgement.refused.items():
            result.refused.append(Refused(position, Refusal.INVALID, "value", reason))
        taken = {r.position: r.taken_at for r in readings}
        for position in judgement.repeats:
            # A repeat of a stored reading is answered with it; one of the same batch needs none.
            first = around.get(meter_id, {}).get(taken[position], (None, None))[1]
            if first is not None:
                result.repeats[position] = first
    return judgements


Around = dict[int, dict[datetime, tuple[Neighbours, StoredReading | None]]]


async def _neighbours(
    session: AsyncSession, meters: dict[int, Row[Any]], by_meter: dict[int, list[NewReading]]
) -> Around:
    """By meter and time, for each reading not after its meter's last one: the stored readings
    around it, and the stored reading it repeats (if it does)."""
    keys = sorted(
        {
            (meter_id, r.taken_at)
            for meter_id, readings in by_meter.items()
            for r in readings
            if meters[meter_id].last_taken_at is not None
            and r.taken_at <= meters[meter_id].last_taken_at
        }
    )
    if not keys:
        return {}
    rows = await session.execute(
        statements.NEIGHBOURS,
        {"meter_ids": [k[0] for k in keys], "taken_ats": [k[1] for k in keys]},
    )
    found: Around = defaultdict(dict)
    for row in rows:
        before = (
            None
            if row.before_at is None
            else Stored(row.before_at, row.before_value, row.before_usage, row.before_reset)
        )
        after = (
            None
            if row.after_at is None
            else Stored(row.after_at, row.after_value, row.after_usage, row.after_reset)
        )
        repeated = None
        if row.before_at is not None and row.before_at == row.taken_at:
            repeated = StoredReading(
                row.before_id,
                row.meter_id,
                row.before_at,
                row.before_usage,
                row.before_aviso_id,
                tuple(row.before_work_order_ids or ()),
            )
        found[row.meter_id][row.taken_at] = (Neighbours(before, after), repeated)
    return found


async def _write(
    session: AsyncSession,
    meters: list[Row[Any]],
    judgements: dict[int, Judgement],
    source: Source,
    result: Ingested,
) -> None:
    shifts = [
        (meter_id, since, delta)
        for meter_id, judgement in judgements.items()
        for since, delta in judgement.shifts
    ]
    if shifts:
        await session.execute(
            statements.SHIFT_USAGE,
            {
                "meter_ids": [s[0] for s in shifts],
                "sinces": [s[1] for s in shifts],
                "deltas": [s[2] for s in shifts],
            },
        )
    accepted = [(meter_id, a) for meter_id, j in judgements.items() for a in j.accepted]
    if not accepted:
        return
    rows = await session.execute(
        statements.INSERT_READINGS,
        {
            "meter_ids": [meter_id for meter_id, _ in accepted],
            "taken_ats": [a.taken_at for _, a in accepted],
            "values": [a.value for _, a in accepted],
            "usages": [a.usage for _, a in accepted],
            "resets": [a.reset for _, a in accepted],
            "source": source.name,
        },
    )
    ids = {(row.meter_id, row.taken_at): row.id for row in rows}
    for meter_id, a in accepted:
        reading_id = ids.get((meter_id, a.taken_at))
        if reading_id is not None:
            result.stored[a.position] = StoredReading(reading_id, meter_id, a.taken_at, a.usage)
    lasts = [
        (meter_id, j.last)
        for meter_id, j in judgements.items()
        if j.last is not None and (j.accepted or j.shifts)
    ]
    await session.execute(
        statements.UPDATE_LAST,
        {
            "ids": [meter_id for meter_id, _ in lasts],
            "values": [last.value for _, last in lasts],
            "taken_ats": [last.taken_at for _, last in lasts],
            "usages": [last.usage for _, last in lasts],
        },
    )


async def _open_alarms(
    session: AsyncSession,
    meters: list[Row[Any]],
    judgements: dict[int, Judgement],
    source: Source,
    result: Ingested,
) -> None:
    alarms: list[Alarm] = []
    for meter in meters:
        judgement = judgements.get(meter.id)
        if judgement is None or meter.kind != MeterKind.INDICADOR:
            continue
        for accepted in sorted(judgement.accepted, key=lambda a: a.taken_at):
            alarm = alarm_of(meter, accepted)
            if alarm is not None:
                alarms.append(alarm)
                break
    if not alarms:
        return
    rows = await session.execute(
        statements.OPEN_ALARMS,
        {
            "meter_ids": [a.meter_id for a in alarms],
            "titles": [a.title for a in alarms],
            "descriptions": [a.description for a in alarms],
            "taken_ats": [a.taken_at for a in alarms],
            "source": ALARM_SOURCE,
            "author_id": source.user_id,
        },
    )
    by_meter = {a.meter_id: a for a in alarms}
    for row in rows:
        alarm = by_meter[row.meter_id]
        result.alarms[row.meter_id] = row.id
        result.events.append(
            events.AvisoCreated(
                aviso_id=row.id,
                asset_id=row.asset_id,
                source=ALARM_SOURCE,
                author_id=source.user_id,
            )
        )
        result.events.append(
            events.MeterAlarm(
                meter_id=row.meter_id,
                aviso_id=row.id,
                asset_id=row.asset_id,
                value=float(alarm.value),
                limit=float(alarm.limit),
                taken_at=alarm.taken_at,
            )
        )


async def _generate(
    session: AsyncSession,
    meters: list[Row[Any]],
    judgements: dict[int, Judgement],
    source: Source,
    settings: Settings,
    result: Ingested,
) -> None:
    """The orders of programs by use that the counters' new usage made due, now."""
    counters = [
        meter.id
        for meter in meters
        if meter.kind == MeterKind.CONTADOR
        and (judgement := judgements.get(meter.id)) is not None
        and (judgement.accepted or judgement.shifts)
    ]
    if not counters:
        return
    today = source.now.astimezone(settings.tz).date()
    await session.execute(statements.NO_JIT)
    generated = await generate(
        session,
        Horizon(today, today, meter_ids=counters),
        Placement(settings.plant_tz, settings.generation_start_time),
        source.user_id,
    )
    result.generated = generated
    for technician_id, ids in generated.by_technician.items():
        if technician_id is None:
            continue
        result.events += [
            events.OrderAssigned(
                work_order_id=work_order_id,
                technician_id=technician_id,
                assigned_by=source.user_id,
            )
            for work_order_id in ids
        ]
