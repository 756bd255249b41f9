"""The condition side of the demo: meters on some assets with four weeks of readings taken by the
plant's SCADA, one program by use over the compressors' hour meters, and the open alarm notice
of the one sensor whose last reading went past its limit.

The readings are judged by the service's own rules (`shared.domain.meter_readings`), so their
usage and each meter's last reading are what the service would have stored, and the alarm notice
is worded by the service's `alarm_of`. The program's compressors are short of their first 500 h
(less the lead) since it started: the service would not have made an order yet, and the forecast
predicts one.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.models import Aviso, Meter, MeterReading, Program, program_assets
from shared.demo.batch import Row, insert_ids, insert_rows
from shared.demo.catalog import (
    ALARM_METER,
    ALARM_PEAK,
    ALARM_RAMP,
    METER_PROGRAM,
    METERS,
    READING_DAYS,
    READING_EVERY_H,
    READINGS_SOURCE,
    REPLACED_DAYS_AGO,
    MeterSpec,
)
from shared.demo.plant import Plant
from shared.domain.meter_alarms import ALARM_SOURCE, alarm_of
from shared.domain.meter_readings import Incoming, Judgement, judge
from shared.enums import AvisoPriority, AvisoStatus, MeterKind, ProgramBasis

READINGS = READING_DAYS * 24 // READING_EVERY_H
# Readings until this hour of the story's day (its "now" is 07:00).
LAST_READING = time(6)
# Monthly partitions are made on demand for a plant whose `today` the migration did not cover.
_PARTITIONS = text("SELECT meter_readings_partitions(:first_day, :last_day)")


@dataclass(frozen=True)
class _Draft:
    spec: MeterSpec
    asset: int
    asset_code: str
    readings: list[Incoming]


async def load_meters(
    session: AsyncSession, rng: random.Random, plant: Plant, today: date, tz: tzinfo
) -> None:
    """Write the meters with their readings, the program by use, and the alarm notice."""
    last = datetime.combine(today, LAST_READING, tz)
    times = [last - timedelta(hours=READING_EVERY_H * k) for k in reversed(range(READINGS))]
    drafts = _drafts(rng, plant, times)
    judged = [judge(d.spec.kind, None, {}, d.readings) for d in drafts]
    await session.execute(
        _PARTITIONS,
        {"first_day": _utc_day(times[0]), "last_day": _utc_day(times[-1])},
    )
    rows = [_meter_row(d, j) for d, j in zip(drafts, judged, strict=True)]
    ids = await insert_ids(session, Meter, rows)
    await insert_rows(
        session,
        MeterReading,
        [
            {
                "meter_id": meter_id,
                "taken_at": a.taken_at,
                "value": a.value,
                "usage": a.usage,
                "reset": a.reset,
                "source": READINGS_SOURCE,
            }
            for meter_id, j in zip(ids, judged, strict=True)
            for a in j.accepted
        ],
    )
    alarms = _alarms(ids, rows, judged)
    if alarms:
        await insert_rows(session, Aviso, alarms)
    await _program(session, rng, plant, today, drafts)


def _utc_day(moment: datetime) -> date:
    return moment.astimezone(timezone.utc).date()


def _drafts(rng: random.Random, plant: Plant, times: list[datetime]) -> list[_Draft]:
    """Each spec's meters, on the first assets of its category (meters of one category share
    their assets: a hydraulic unit has both an hour meter and an oil thermometer)."""
    needed: dict[str, int] = {}
    for spec in METERS:
        needed[spec.category] = max(needed.get(spec.category, 0), spec.how_many)
    fitted = {
        category: rng.sample(plant.usable[category], min(count, len(plant.usable[category])))
        for category, count in needed.items()
    }
    drafts: list[_Draft] = []
    for spec in METERS:
        for asset in fitted[spec.category][: spec.how_many]:
            if spec.kind == MeterKind.CONTADOR:
                readings = _counted(rng, spec, times)
            else:
                ramp = spec.code == ALARM_METER and not any(
                    d.spec.code == ALARM_METER for d in drafts
                )
                readings = _indicated(rng, spec, times, ramp)
            drafts.append(_Draft(spec, asset, plant.asset_codes[asset], readings))
    # The last counter's meter was replaced: its reading then starts again from zero.
    replaced = max(i for i, d in enumerate(drafts) if d.spec.kind == MeterKind.CONTADOR)
    drafts[replaced] = _replaced(drafts[replaced])
    return drafts


def _counted(rng: random.Random, spec: MeterSpec, times: list[datetime]) -> list[Incoming]:
    """Running hours: a lifetime to date, then what the machine ran between readings."""
    value = rng.randint(15_000, 240_000) / 10
    readings = []
    for position, taken_at in enumerate(times):
        if position:
            value = round(value + READING_EVERY_H * rng.uniform(spec.low, spec.high), 1)
        readings.append(Incoming(position, taken_at, _sent(value)))
    return readings


def _sent(value: float) -> Decimal:
    """A value as the SCADA sends it (a JSON number) and the service keeps it."""
    return Decimal(str(value))


def _replaced(draft: _Draft) -> _Draft:
    since = len(draft.readings) - REPLACED_DAYS_AGO * 24 // READING_EVERY_H
    old = draft.readings[since - 1].value
    readings = [
        r
        if r.position < since
        else Incoming(r.position, r.taken_at, r.value - old, reset=r.position == since)
        for r in draft.readings
    ]
    return _Draft(draft.spec, draft.asset, draft.asset_code, readings)


def _indicated(
    rng: random.Random, spec: MeterSpec, times: list[datetime], ramp: bool
) -> list[Incoming]:
    """A level with a daily swing and noise, kept inside the usual band widened by half; with
    `ramp`, the last readings climb to the alarm peak."""
    low, high = spec.low, spec.high
    spread = high - low
    level = rng.uniform(low, high)
    digits = 1 if high >= 10 else 2
    readings = []
    for position, taken_at in enumerate(times):
        swing = spread / 4 * math.sin(2 * math.pi * taken_at.hour / 24)
        value = level + swing + rng.gauss(0, spread / 20)
        value = min(max(value, low - spread / 2), high + spread / 2)
        climbed = position - (len(times) - ALARM_RAMP) + 1
        if ramp and climbed > 0:
            value = level + (ALARM_PEAK - level) * (climbed / ALARM_RAMP) ** 2
        readings.append(Incoming(position, taken_at, _sent(round(value, digits))))
    return readings


def _meter_row(draft: _Draft, judgement: Judgement) -> Row:
    spec, last = draft.spec, judgement.last
    assert last is not None  # every meter has readings
    return {
        "code": f"{spec.code}-{draft.asset_code}",
        "name": f"{spec.name} {draft.asset_code}",
        "asset_id": draft.asset,
        "unit": spec.unit,
        "kind": spec.kind.value,
        "alarm_low": spec.alarm_low,
        "alarm_high": spec.alarm_high,
        "alarm_priority": AvisoPriority.ALTA.value,
        "last_value": last.value,
        "last_taken_at": last.taken_at,
        "last_usage": last.usage,
    }


def _alarms(ids: list[int], rows: list[Row], judged: list[Judgement]) -> list[Row]:
    """The notice each indicator's first reading past a limit opened (later ones found it open,
    and nobody has taken it up yet)."""
    notices = []
    for meter_id, row, judgement in zip(ids, rows, judged, strict=True):
        if row["kind"] != MeterKind.INDICADOR:
            continue
        meter = SimpleNamespace(id=meter_id, **row)
        alarm = next(
            (a for a in (alarm_of(meter, r) for r in judgement.accepted) if a is not None),
            None,
        )
        if alarm is not None:
            notices.append(
                {
                    "asset_id": row["asset_id"],
                    "title": alarm.title,
                    "description": alarm.description,
                    "priority": row["alarm_priority"],
                    "status": AvisoStatus.ABIERTO.value,
                    "source": ALARM_SOURCE,
                    "meter_id": meter_id,
                    "author_id": None,
                    "external_id": None,
                    "reported_at": alarm.taken_at,
                    "created_at": alarm.taken_at,
                }
            )
    return notices


async def _program(
    session: AsyncSession,
    rng: random.Random,
    plant: Plant,
    today: date,
    drafts: list[_Draft],
) -> None:
    """The program by use over the assets of its category that have one counter of its unit."""
    spec = METER_PROGRAM
    counters: dict[int, int] = {}
    for draft in drafts:
        if draft.spec.kind == MeterKind.CONTADOR and draft.spec.unit == spec.unit:
            counters[draft.asset] = counters.get(draft.asset, 0) + 1
    assets = sorted(
        asset
        for asset, count in counters.items()
        if count == 1 and plant.asset_codes[asset].startswith(f"{spec.category}-")
    )
    routine = next(r for r in plant.routines if (r.prefix, r.type) == (spec.category, spec.type))
    [program] = await insert_ids(
        session,
        Program,
        [
            {
                "routine_id": routine.id,
                "frequency_id": None,
                "start_date": today - timedelta(spec.started_days_ago),
                "technician_id": rng.choice(plant.technicians),
                "one_order_per_asset": True,
                "basis": ProgramBasis.MEDIDOR.value,
                "meter_interval": spec.interval,
                "meter_unit": spec.unit,
                "meter_lead": spec.lead,
            }
        ],
    )
    await insert_rows(
        session, program_assets, [{"program_id": program, "asset_id": a} for a in assets]
    )
