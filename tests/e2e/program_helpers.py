"""What the program and generation tests share: routines made in SQL (their CRUD is not under
test here), programs saved over HTTP, and the plant's today."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from tests.api import Api, Plant


def today() -> date:
    # The test settings keep PLANT_TZ at its default, UTC.
    return datetime.now(UTC).date()


async def routine(
    plant: Plant,
    *,
    interval: int = 1,
    unit: str = "SEMANA",
    steps: tuple[str, ...] = ("Revisar", "Medir"),
    minutes: int = 90,
) -> int:
    """A routine with its own frequency and `steps` (positions 1…n)."""
    tag = uuid.uuid4().hex[:8]
    frequency = await plant.scalar(
        "INSERT INTO frequencies (name, interval, unit) VALUES (:n, :i, :u) RETURNING id",
        n=f"Cada {interval} {unit} {tag}",
        i=interval,
        u=unit,
    )
    routine_id = await plant.scalar(
        "INSERT INTO routines (name, maintenance_type_id, frequency_id, estimated_duration_min)"
        " VALUES (:n, :t, :f, :m) RETURNING id",
        n=f"Rutina {tag}",
        t=plant.maintenance_type_id,
        f=frequency,
        m=minutes,
    )
    if steps:
        await plant.scalar(
            "INSERT INTO routine_steps (routine_id, position, description)"
            " SELECT :r, s.n, s.d FROM unnest(CAST(:d AS text[])) WITH ORDINALITY AS s(d, n)"
            " RETURNING 1",
            r=routine_id,
            d=list(steps),
        )
    return int(routine_id)


async def save_program(api: Api, **body: Any) -> int:
    response = await api.post("/programas/guardar/", body)
    assert response.status == 200, response.body
    assert response.body["status"] == "success"
    return int(response.body["program_id"])


async def new_program(
    plant: Plant,
    planner: Api,
    *,
    start: date,
    assets: list[int] | None = None,
    unit: str = "SEMANA",
    interval: int = 1,
    **fields: Any,
) -> tuple[int, int]:
    """A fresh routine and a program on it: (routine id, program id)."""
    routine_id = await routine(plant, unit=unit, interval=interval)
    program_id = await save_program(
        planner,
        routine_id=routine_id,
        asset_ids=assets or plant.assets[:2],
        start_date=start.isoformat(),
        **fields,
    )
    return routine_id, program_id
