"""Work-order rows, built without the database: what the scheduler generated over the last and
next 30 days, and how far the technicians had got with each order by the story's "now".
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import NamedTuple

from shared.demo.batch import Row
from shared.demo.catalog import FREQUENCIES, PREVENTIVE_TARGET
from shared.demo.plant import Plant
from shared.domain.due_dates import due_dates_between
from shared.enums import FrequencyUnit, StepKind
from shared.enums import WorkOrderStatus as S


class Order(NamedTuple):
    row: Row  # the work_orders row
    assets: list[int]
    steps: list[Row]  # work_order_steps rows, without work_order_id


def preventive_orders(
    rng: random.Random, plant: Plant, today: date, morning: datetime, tz: tzinfo
) -> list[Order]:
    """What the scheduler would have generated over the last and next 30 days, for the programs
    that fit the target (a daily program on five assets would drown out the rest)."""
    plan: list[tuple[int, date, list[int]]] = []  # (program index, due date, assets)
    for n in rng.sample(range(len(plant.programs)), len(plant.programs)):
        program = plant.programs[n]
        interval, unit = FREQUENCIES[program.routine.frequency]
        dues = due_dates_between(
            program.start,
            interval,
            FrequencyUnit(unit),
            today - timedelta(30),
            today + timedelta(30),
        )
        groups = (
            [(d, [a]) for d in dues for a in program.assets]
            if program.one_order_per_asset
            else [(d, program.assets) for d in dues]
        )
        if len(plan) + len(groups) <= PREVENTIVE_TARGET:
            plan += [(n, d, g) for d, g in groups]
    plan.sort(key=lambda o: (o[1], o[0]))  # ids ascend with the schedule, as generated

    orders: list[Order] = []
    for n, due, assets in plan:
        program = plant.programs[n]
        routine = program.routine
        status = _preventive_status(rng.random(), due, today)
        what = plant.asset_codes[assets[0]] if len(assets) == 1 else f"{len(assets)} equipos"
        row = order_row(
            rng,
            f"{routine.name} - {what}",
            status,
            datetime.combine(due, time(8), tz),
            routine.minutes,
            program.technician,
            morning,
        )
        orders.append(
            Order(
                row
                | {
                    "type": "PREVENTIVA",
                    "routine_id": routine.id,
                    "program_id": program.id,
                    "due_date": due,
                },
                assets,
                [_result(rng, s, status, len(routine.steps)) for s in routine.steps],
            )
        )
    return orders


def order_row(
    rng: random.Random,
    title: str,
    status: S,
    start: datetime,
    minutes: int,
    technician: int,
    morning: datetime,
) -> Row:
    """The work_orders row as its technician left it by `morning`."""
    begun = status in (S.EN_PROGRESO, S.COMPLETADA)
    actual_start = start + timedelta(minutes=rng.randint(-20, 90)) if begun else None
    actual_end = (
        actual_start + timedelta(minutes=round(minutes * rng.uniform(0.8, 1.5)))
        if actual_start and status == S.COMPLETADA
        else None
    )
    created = min(start - timedelta(14), morning)  # made ahead, never after the story's now
    return {
        "title": title,
        "status": status.value,
        "scheduled_start": start,
        "scheduled_end": start + timedelta(minutes=minutes),
        "actual_start": actual_start,
        "actual_end": actual_end,
        "technician_id": technician,
        "notes": "",
        "created_at": created,
        "updated_at": actual_end or actual_start or created,
    }


def _result(rng: random.Random, step: Row, status: S, count: int) -> Row:
    """The step as the technician left it: all done when completed, half when in progress."""
    done = status == S.COMPLETADA or (status == S.EN_PROGRESO and step["position"] <= count // 2)
    ok, value, text = None, None, None
    if done and step["kind"] == StepKind.MEDICION:
        low, high = step["min_value"], step["max_value"]
        value = Decimal(f"{rng.uniform(float(low), float(high + (high - low) / 8)):.2f}")
        ok = value <= high  # about one reading in nine is out of range
    elif done and step["kind"] == StepKind.CHECK:
        ok = rng.random() > 0.04
    elif done:
        text = "Sin novedades."
    comment = "Fuera de tolerancia; se avisa a planificación." if ok is False else None
    return step | {
        "done": done,
        "ok": ok,
        "numeric_value": value,
        "text_value": text,
        "comment": comment,
    }


def _preventive_status(x: float, due: date, today: date) -> S:
    """How far a preventive order due on `due` has got by `today`, from one uniform draw."""
    if due > today:
        return S.CANCELADA if x < 0.03 else S.PENDIENTE
    if due == today:
        return S.EN_PROGRESO if x < 0.6 else S.PENDIENTE
    if x < 0.1:
        return S.CANCELADA if x < 0.03 else S.PENDIENTE  # cancelled, or overdue
    return S.EN_PROGRESO if x < 0.16 and due >= today - timedelta(3) else S.COMPLETADA
