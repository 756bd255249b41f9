"""The work side of the demo: the preventive orders, the notices people and systems raised (some
already turned into corrective orders), and writing them all with their assets, steps,
program generations and creation events.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.base import table
from shared.db.models import (
    Aviso,
    ProgramGeneration,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderStep,
    work_order_assets,
)
from shared.demo.batch import Row, insert_ids, insert_rows
from shared.demo.catalog import NOTICES
from shared.demo.orders import Order, order_row, preventive_orders
from shared.demo.plant import Plant
from shared.enums import AvisoStatus as AS
from shared.enums import WorkOrderStatus as S


async def load_work(
    session: AsyncSession, rng: random.Random, plant: Plant, today: date, tz: tzinfo
) -> None:
    """Write the orders with their assets, steps, generations and creation events, then the
    notices, all as of 07:00 on `today`."""
    morning = datetime.combine(today, time(7), tz)  # the story's "now", so reruns are identical
    preventive = preventive_orders(rng, plant, today, morning, tz)
    notices = _notices(rng, plant, today, morning, tz)
    orders = [*preventive, *(o for _, o in notices if o is not None)]
    order_ids = await insert_ids(session, WorkOrder, [o.row for o in orders])
    await insert_rows(
        session,
        work_order_assets,
        [
            {"work_order_id": i, "asset_id": a}
            for i, o in zip(order_ids, orders, strict=True)
            for a in o.assets
        ],
    )
    await insert_rows(
        session,
        WorkOrderStep,
        [
            {"work_order_id": i, **s}
            for i, o in zip(order_ids, orders, strict=True)
            for s in o.steps
        ],
    )
    await insert_rows(
        session,
        ProgramGeneration,
        [
            {
                "program_id": o.row["program_id"],
                "asset_id": a,
                "due_date": o.row["due_date"],
                "work_order_id": i,
            }
            for i, o in zip(order_ids, orders, strict=True)
            if o.row["program_id"]
            for a in o.assets
        ],
    )
    # The scheduler creates preventive orders (no user); the planner, corrective ones.
    await insert_rows(
        session,
        WorkOrderEvent,
        [
            {
                "work_order_id": i,
                "at": o.row["created_at"],
                "event": "creacion",
                "user_id": None if o.row["program_id"] else plant.planner,
                "data": {"type": o.row["type"], "status": S.PENDIENTE.value},
            }
            for i, o in zip(order_ids, orders, strict=True)
        ],
    )
    corrective = iter(order_ids[len(preventive) :])  # in notice order, after the preventive ones
    aviso_ids = await insert_ids(
        session,
        Aviso,
        [n | {"work_order_id": next(corrective) if o is not None else None} for n, o in notices],
    )
    # The order -> notice key is circular, so it is filled afterwards in one UPDATE ... FROM.
    wo, av = table(WorkOrder).c, table(Aviso).c
    await session.execute(
        update(table(WorkOrder))
        .where(wo.id == av.work_order_id, av.id.in_(aviso_ids))
        .values(aviso_id=av.id)
    )


def _notices(
    rng: random.Random, plant: Plant, today: date, morning: datetime, tz: tzinfo
) -> list[tuple[Row, Order | None]]:
    """The avisos rows (without work_order_id), each with the corrective order made from it."""
    notices: list[tuple[Row, Order | None]] = []
    for notice in NOTICES:
        asset, app = rng.choice(plant.rotating), notice.source == "APP"
        reported = morning - timedelta(minutes=rng.randint(10, 5000))
        order = None
        if notice.order_status is not None:  # the planner turned it into a corrective order
            row = order_row(
                rng,
                f"{notice.title} - {plant.asset_codes[asset]}",
                notice.order_status,
                datetime.combine(today + timedelta(notice.order_day), time(10), tz),
                120,
                rng.choice(plant.technicians),
                morning,
            )
            reported = row["scheduled_start"] - timedelta(hours=20)
            order = Order(
                row
                | {"type": "CORRECTIVA", "routine_id": None, "program_id": None, "due_date": None},
                [asset],
                [],
            )
        status = (
            AS.ABIERTO
            if notice.order_status is None
            else AS.CERRADO
            if notice.order_status in (S.COMPLETADA, S.CANCELADA)
            else AS.EN_PROCESO
        )
        notices.append(
            (
                {
                    "asset_id": asset,
                    "title": notice.title,
                    "priority": notice.priority,
                    "source": notice.source,
                    "status": status.value,
                    "author_id": rng.choice(plant.reporters) if app else None,
                    "external_id": None if app else f"ALM-{rng.randint(100000, 999999)}",
                    "reported_at": reported,
                    "created_at": reported,
                },
                order,
            )
        )
    return notices
