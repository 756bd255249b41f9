"""Storing a batch of readings (one from the app, up to a thousand from a machine) in the
caller's transaction, in a constant number of statements whatever the batch's size:

1. lock the batch's meters (id order);
2. only when some reading is not after its meter's last one: the stored readings around them;
3. judge each meter's readings in time order (`shared.domain.meter_readings`);
4. only when a reset went before stored readings: shift their usage;
5. insert the accepted readings; update each meter's last reading and usage;
6. open the alarm notices of indicators read out of their limits (one per meter while open);
7. only for counters under a program by use: generate the orders their new usage made due
   (`shared.generation`).

Each reading is judged on its own: the refused ones are reported, the rest stored. A reading
whose (meter, taken_at) already is one is a repeat: ignored, and reported with what it caused.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.json_rows import json_rows
from shared.domain.meter_alarms import ALARM_SOURCE, Alarm, alarm_of
from shared.domain.meter_readings import Judgement, judge
from shared.enums import MeterKind
from shared.generation import Horizon, Placement, generate
from shared.messages import events
from shared.settings import Settings
from workers.readings import statements
from workers.readings.model import (
    Ingested,
    LockedMeter,
    NewReading,
    Refusal,
    Refused,
    Source,
)
from workers.readings.neighbours import stored_around


async def ingest(
    session: AsyncSession, readings: Sequence[NewReading], source: Source, settings: Settings
) -> Ingested:
    batch = _Batch(session, source, settings)
    await batch.lock(readings)
    await batch.judge(batch.admit(readings))
    await batch.write()
    await batch.open_alarms()
    await batch.generate()
    return batch.result


class _Batch:
    """One batch's steps, sharing its transaction, its locked meters and its judgements."""

    def __init__(self, session: AsyncSession, source: Source, settings: Settings) -> None:
        self.session = session
        self.source = source
        self.settings = settings
        self.result = Ingested()
        self.meters: dict[int, LockedMeter] = {}
        self.judgements: dict[int, Judgement] = {}
        # The source of each admitted reading, by position.
        self.sources: dict[int, str] = {}

    async def lock(self, readings: Sequence[NewReading]) -> None:
        ids = sorted({r.meter_id for r in readings if r.meter_id is not None})
        codes = sorted({r.meter_code for r in readings if r.meter_code is not None})
        rows = await self.session.execute(statements.LOCK_METERS, {"ids": ids, "codes": codes})
        self.meters = {row.id: LockedMeter.of(row) for row in rows}

    def admit(self, readings: Sequence[NewReading]) -> dict[int, list[NewReading]]:
        """The readings of known, active meters within the retention, by meter id; the
        others are refused."""
        by_code = {meter.code: meter for meter in self.meters.values()}
        # In UTC, as the readings' times are (compared within one zone, the fastest).
        oldest = (
            self.source.now - timedelta(days=self.settings.readings_retention_days)
        ).astimezone(UTC)
        admitted: dict[int, list[NewReading]] = defaultdict(list)
        for reading in readings:
            if reading.meter_id is not None:
                meter, named = self.meters.get(reading.meter_id), "meter_id"
            else:
                meter, named = by_code.get(reading.meter_code or ""), "meter_code"
            if meter is None:
                self._refuse(reading, Refusal.UNKNOWN, named, "unknown meter")
            elif not meter.active:
                self._refuse(reading, Refusal.INACTIVE, named, "the meter is inactive")
            elif reading.taken_at < oldest:
                days = self.settings.readings_retention_days
                self._refuse(
                    reading,
                    Refusal.INVALID,
                    "taken_at",
                    f"older than the readings kept ({days} days)",
                )
            else:
                admitted[meter.id].append(reading)
                self.sources[reading.position] = reading.source or self.source.name
        return admitted

    def _refuse(self, reading: NewReading, refusal: Refusal, named: str, why: str) -> None:
        self.result.refused.append(Refused(reading.position, refusal, named, why))

    async def judge(self, admitted: dict[int, list[NewReading]]) -> None:
        late = [
            (meter_id, r.taken_at)
            for meter_id, readings in admitted.items()
            if (last := self.meters[meter_id].last) is not None
            for r in readings
            if r.taken_at <= last.taken_at
        ]
        around = await stored_around(self.session, late)
        for meter_id, readings in admitted.items():
            meter = self.meters[meter_id]
            stored = around.get(meter_id, {})
            judgement = judge(
                meter.kind, meter.last, {at: near for at, (near, _) in stored.items()}, readings
            )
            self.judgements[meter_id] = judgement
            for position, reason in judgement.refused.items():
                self.result.refused.append(Refused(position, Refusal.INVALID, "value", reason))
            if judgement.repeats:
                taken = {r.position: r.taken_at for r in readings}
                for position in judgement.repeats:
                    # A repeat of a stored reading is answered with it (one of the same batch
                    # needs no answer).
                    first = stored.get(taken[position], (None, None))[1]
                    if first is not None:
                        self.result.repeats[position] = first

    async def write(self) -> None:
        shifts = [
            (meter_id, since, delta)
            for meter_id, judgement in self.judgements.items()
            for since, delta in judgement.shifts
        ]
        if shifts:
            meter_ids, sinces, deltas = zip(*shifts, strict=True)
            await self.session.execute(
                statements.SHIFT_USAGE,
                {"meter_ids": list(meter_ids), "sinces": list(sinces), "deltas": list(deltas)},
            )
        accepted = self.result.accepted
        rows = []
        for meter_id, judgement in self.judgements.items():
            for a in judgement.accepted:
                accepted[a.position] = (meter_id, a)
                rows.append(
                    {
                        "position": a.position,
                        "meter_id": meter_id,
                        "taken_at": a.taken_at,
                        "value": a.value,
                        "usage": a.usage,
                        "reset": a.reset,
                        "source": self.sources[a.position],
                    }
                )
        if not rows:
            return
        stored = (
            await self.session.execute(statements.INSERT_READINGS, {"rows": json_rows(rows)})
        ).one()
        self.result.reading_ids = dict(zip(stored.positions, stored.ids, strict=True))
        lasts = json_rows(
            {"id": meter_id, "value": last.value, "taken_at": last.taken_at, "usage": last.usage}
            for meter_id, j in self.judgements.items()
            if (last := j.last) is not None and (j.accepted or j.shifts)
        )
        await self.session.execute(statements.UPDATE_LAST, {"rows": lasts})

    async def open_alarms(self) -> None:
        alarms: list[Alarm] = []
        for meter_id, judgement in self.judgements.items():
            meter = self.meters[meter_id]
            if meter.kind != MeterKind.INDICADOR:
                continue
            # The first reading out of its limits, in time.
            in_time = sorted(judgement.accepted, key=lambda a: a.taken_at)
            raised = (alarm_of(meter, a) for a in in_time)
            alarm = next((a for a in raised if a is not None), None)
            if alarm is not None:
                alarms.append(alarm)
        if not alarms:
            return
        rows = await self.session.execute(
            statements.OPEN_ALARMS,
            {
                "meter_ids": [a.meter_id for a in alarms],
                "titles": [a.title for a in alarms],
                "descriptions": [a.description for a in alarms],
                "taken_ats": [a.taken_at for a in alarms],
                "source": ALARM_SOURCE,
                "author_id": self.source.user_id,
            },
        )
        by_meter = {a.meter_id: a for a in alarms}
        for row in rows:
            alarm = by_meter[row.meter_id]
            self.result.alarms[row.meter_id] = row.id
            self.result.events += [
                events.AvisoCreated(
                    aviso_id=row.id,
                    asset_id=row.asset_id,
                    source=ALARM_SOURCE,
                    author_id=self.source.user_id,
                ),
                events.MeterAlarm(
                    meter_id=row.meter_id,
                    aviso_id=row.id,
                    asset_id=row.asset_id,
                    value=float(alarm.value),
                    limit=float(alarm.limit),
                    taken_at=alarm.taken_at,
                ),
            ]

    async def generate(self) -> None:
        """The orders of programs by use that the counters' new usage made due, now."""
        counters = [
            meter_id
            for meter_id, judgement in self.judgements.items()
            if self.meters[meter_id].by_use and (judgement.accepted or judgement.shifts)
        ]
        if not counters:
            return
        settings = self.settings
        today = self.source.now.astimezone(settings.tz).date()
        generated = await generate(
            self.session,
            Horizon(today, today, meter_ids=counters),
            Placement(settings.plant_tz, settings.generation_start_time),
            self.source.user_id,
        )
        self.result.generated = generated
        for technician_id, ids in generated.by_technician.items():
            if technician_id is None:
                continue
            self.result.events += [
                events.OrderAssigned(
                    work_order_id=work_order_id,
                    technician_id=technician_id,
                    assigned_by=self.source.user_id,
                )
                for work_order_id in ids
            ]
