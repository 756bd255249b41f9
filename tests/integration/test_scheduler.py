"""The scheduler's daily command: it generates the horizon, and two schedulers at once (two
workers started with `--scheduler`) generate each order once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.settings import Settings
from tests.api import Api, Plant
from tests.e2e.program_helpers import new_program, today
from workers.scheduler import Scheduler, daily_command, seconds_until_next_run


async def _finished(plant: Plant, command_id: Any) -> dict[str, Any]:
    for _ in range(200):
        row = await plant.scalar(
            "SELECT to_jsonb(c) FROM command_log c WHERE id = :id AND status <> 'pending'",
            id=command_id,
        )
        if row is not None:
            return dict(row)
        await asyncio.sleep(0.1)
    raise AssertionError("the scheduler's command was never handled")


async def test_two_schedulers_generate_the_horizon_once(
    plant: Plant, planner: Api, own_namespace: Settings, worker_for: Any
) -> None:
    settings = own_namespace.model_copy(update={"generation_horizon_days": 20})
    _, weekly = await new_program(plant, planner, start=today())
    _, daily = await new_program(
        plant, planner, start=today(), unit="DIA", interval=1, one_order_per_asset=True
    )
    # Two workers of the generation group, and two schedulers publishing the same day.
    for _ in range(2):
        await worker_for(settings, ("generacion",))
    schedulers = [Scheduler(settings, plant.db) for _ in range(2)]
    try:
        for scheduler in schedulers:
            scheduler.start()
        command_id, command = daily_command(settings, today())
        assert command.until == today() + timedelta(days=20) and command.program_ids is None
        outcome = await _finished(plant, command_id)
        assert outcome["status"] == "success" and outcome["user_id"] is None, outcome
    finally:
        for scheduler in schedulers:
            await scheduler.stop()
    count = "SELECT count(*) FROM work_orders WHERE program_id = :id"
    assert await plant.scalar(count, id=weekly) == 3  # today, +7, +14
    assert await plant.scalar(count, id=daily) == 21 * 2  # 21 days × 2 assets
    duplicates = await plant.scalar(
        "SELECT count(*) FROM (SELECT w.program_id, w.due_date, wa.asset_id"
        " FROM work_orders w JOIN work_order_assets wa ON wa.work_order_id = w.id"
        " WHERE w.program_id IN (:a, :b) GROUP BY 1, 2, 3 HAVING count(*) > 1) d",
        a=weekly,
        b=daily,
    )
    assert duplicates == 0
    created_by = await plant.scalar(
        "SELECT array_agg(DISTINCT coalesce(e.user_id, 0)) FROM work_order_events e"
        " JOIN work_orders w ON w.id = e.work_order_id WHERE w.program_id = :id",
        id=daily,
    )
    assert created_by == [0]  # the service itself, no user


def test_the_next_run_is_just_after_the_next_midnight() -> None:
    now = datetime(2027, 3, 1, 23, 0, tzinfo=UTC)
    assert seconds_until_next_run(now) == timedelta(hours=1, minutes=5).total_seconds()
    assert seconds_until_next_run(datetime(2027, 3, 1, 0, 1, tzinfo=UTC)) == (
        timedelta(hours=24, minutes=4).total_seconds()
    )
