"""A batch generation costs the same number of statements for 10 programs as for 200: counted
on the engine of a worker of the test's own (in the test process), which consumes the command
groups only: no notifications of the first batch's events fan out while the second is counted."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from shared.settings import Settings
from tests.api import Api, Plant
from tests.e2e.program_helpers import routine, today
from tests.statements import not_the_relays, statements_sent


async def _programs(plant: Plant, routine_id: int, count: int, technician: int) -> list[int]:
    ids = await plant.scalar(
        """
        WITH made AS (
            INSERT INTO programs (routine_id, start_date, frequency_id, technician_id,
                                  one_order_per_asset)
            SELECT r.id, CAST(:start AS date), r.frequency_id, :tech, n % 3 = 0
              FROM routines r CROSS JOIN generate_series(1, :count) AS n
             WHERE r.id = :routine
            RETURNING id
        ), assets AS (
            INSERT INTO program_assets (program_id, asset_id)
            SELECT made.id, a.id FROM made CROSS JOIN unnest(CAST(:assets AS integer[])) AS a(id)
        )
        SELECT array_agg(id ORDER BY id) FROM made
        """,
        start=today(),
        tech=technician,
        count=count,
        routine=routine_id,
        assets=plant.assets[:2],
    )
    return list(ids)


async def test_a_batch_costs_the_same_statements_whatever_its_size(
    plant: Plant, tech: Api, own_namespace: Settings, worker_for: Any, gateway_for: Any
) -> None:
    worker = await worker_for(own_namespace, ("ordenes", "generacion"))
    planner, _ = await gateway_for(own_namespace)
    routine_id = await routine(plant, unit="SEMANA", interval=1)
    until = (today() + timedelta(days=27)).isoformat()  # four weekly due dates
    counts, generated = [], []
    for size in (10, 200):
        programs = await _programs(plant, routine_id, size, tech.id)
        with statements_sent(worker.engine, not_the_relays) as statements:
            answer = await planner.post(
                "/programas/generar/", {"until": until, "program_ids": programs}
            )
        assert answer.status == 200, answer.body
        generated.append(answer.body["generated"])
        counts.append(len(statements))
    # Every third program makes one order per asset (two assets): 4 dates × (n + n // 3).
    assert generated == [4 * (10 + 3), 4 * (200 + 66)]
    # The command-log look-up, then the generation itself.
    assert counts[0] == counts[1] and counts[0] <= 4, counts
